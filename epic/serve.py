"""``epic serve``: an OpenAI-compatible embeddings service with cached task demonstrations.

``POST /v1/embeddings`` takes the OpenAI request (``input``, ``model``, ``encoding_format``) plus the
extensions ``task`` (registered at start-up), ``input_type`` (``query`` | ``document``) and ``n_demos``.
Demonstration vectors of every task are computed once at start-up. Requests that arrive together are
batched: one worker thread owns the model, takes jobs from a bounded queue, waits at most
``max_wait_ms`` for more, and encodes compatible jobs in one call.
"""

from __future__ import annotations

import asyncio
import base64
import json
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .data import Task
from .model import EpicEncoder

DEFAULT_INSTRUCTION = "Given a query, retrieve relevant passages"


@dataclass
class ServeConfig:
    """Service limits and batching; all are ``epic serve`` flags."""

    max_inputs: int = 256  # inputs per request
    max_chars: int = 20000  # characters per input
    max_body_bytes: int = 2_000_000
    max_batch_texts: int = 64  # texts encoded together
    max_wait_ms: float = 5.0  # how long the worker waits for more requests to batch
    max_queue: int = 1024  # pending requests; beyond it: 503
    batch_size: int = 32


class RequestError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


@dataclass
class Job:
    texts: list[str]
    task: Task | None
    input_type: str
    n_demos: int | None
    future: Future = field(default_factory=Future)

    def key(self) -> tuple:
        return (self.task.name if self.task else None, self.input_type, self.n_demos)


class BatchingEncoder:
    """Owns the model in one worker thread; groups compatible concurrent jobs into one encode call."""

    def __init__(self, model: EpicEncoder, config: ServeConfig):
        self.model, self.config = model, config
        self.jobs: queue.Queue[Job | None] = queue.Queue(maxsize=config.max_queue)
        self.batches = 0
        self.thread = threading.Thread(target=self._run, name="epic-encoder", daemon=True)
        self.thread.start()

    def submit(self, job: Job) -> Future:
        try:
            self.jobs.put_nowait(job)
        except queue.Full:
            raise RequestError(503, "the server is busy (request queue full); retry later") from None
        return job.future

    def close(self) -> None:
        """Finish every queued job, then stop the worker."""
        self.jobs.put(None)
        self.thread.join()

    def _run(self) -> None:
        pending: list[Job] = []
        stop = False
        while not stop or pending:
            if not pending:
                job = self.jobs.get()
                if job is None:
                    break
                pending.append(job)
            deadline = time.monotonic() + self.config.max_wait_ms / 1000
            n_texts = sum(len(j.texts) for j in pending)
            while n_texts < self.config.max_batch_texts:
                timeout = deadline - time.monotonic()
                try:
                    job = self.jobs.get(timeout=max(0.0, timeout)) if timeout > 0 else self.jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                pending.append(job)
                n_texts += len(job.texts)
            key = pending[0].key()
            group = [j for j in pending if j.key() == key]
            pending = [j for j in pending if j.key() != key]
            self._encode(group)

    def _encode(self, group: list[Job]) -> None:
        first = group[0]
        texts = [t for j in group for t in j.texts]
        try:
            if first.input_type == "document":
                emb = self.model.encode_documents(texts, task=first.task, batch_size=self.config.batch_size)
            else:
                emb = self.model.encode_queries(
                    texts, task=first.task, instruction=None if first.task else DEFAULT_INSTRUCTION,
                    n_demos=first.n_demos, batch_size=self.config.batch_size, show_progress=False,
                )  # fmt: skip
            self.batches += 1
            start = 0
            for j in group:
                j.future.set_result(emb[start : start + len(j.texts)])
                start += len(j.texts)
        except Exception as e:  # one bad job must not kill the worker
            for j in group:
                if not j.future.done():
                    j.future.set_exception(e)


def parse_request(body: bytes, tasks: dict[str, Task], config: ServeConfig) -> tuple[Job, str]:
    """Validate an embeddings request; returns the job and the encoding format."""
    if len(body) > config.max_body_bytes:
        raise RequestError(413, f"request body of {len(body)} bytes exceeds the limit of {config.max_body_bytes}")
    try:
        req = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RequestError(400, f"request body is not valid JSON: {e}") from None
    if not isinstance(req, dict):
        raise RequestError(400, "request body must be a JSON object")
    known = {"input", "model", "encoding_format", "user", "dimensions", "task", "input_type", "n_demos"}
    unknown = sorted(set(req) - known)
    if unknown:
        raise RequestError(400, f"unknown field(s) {unknown}", unknown[0])
    texts = req.get("input")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts:
        raise RequestError(400, "'input' must be a string or a non-empty list of strings", "input")
    if len(texts) > config.max_inputs:
        raise RequestError(413, f"'input' has {len(texts)} items; the limit is {config.max_inputs}", "input")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise RequestError(400, f"'input[{i}]' must be a string, got {type(t).__name__}", "input")
        if len(t) > config.max_chars:
            raise RequestError(413, f"'input[{i}]' has {len(t)} characters; the limit is {config.max_chars}", "input")
    fmt = req.get("encoding_format", "float")
    if fmt not in ("float", "base64"):
        raise RequestError(400, "'encoding_format' must be 'float' or 'base64'", "encoding_format")
    if req.get("dimensions") is not None:
        raise RequestError(400, "'dimensions' is not supported: epic embeddings have a fixed size", "dimensions")
    task = None
    if req.get("task") is not None:
        if not isinstance(req["task"], str) or req["task"] not in tasks:
            raise RequestError(404, f"unknown task {req['task']!r}; registered tasks: {sorted(tasks)}", "task")
        task = tasks[req["task"]]
    input_type = req.get("input_type", "query" if task is not None else "document")
    if input_type not in ("query", "document"):
        raise RequestError(400, "'input_type' must be 'query' or 'document'", "input_type")
    n_demos = req.get("n_demos")
    if n_demos is not None:
        if not isinstance(n_demos, int) or isinstance(n_demos, bool) or n_demos < 0:
            raise RequestError(400, "'n_demos' must be a non-negative integer", "n_demos")
        available = len(task.demos) if task else 0
        if n_demos > available:
            raise RequestError(400, f"'n_demos'={n_demos} but the task has {available} demonstrations", "n_demos")
    return Job(texts, task, input_type, n_demos), fmt


def create_app(model: EpicEncoder, tasks: dict[str, Task], model_name: str, config: ServeConfig | None = None):
    """The FastAPI application (demonstration vectors of every task are computed here, once)."""
    from contextlib import asynccontextmanager

    config = config or ServeConfig()
    for task in tasks.values():
        if task.demos:
            model.demo_vectors(task)
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app):
        state["encoder"] = app.state.encoder = BatchingEncoder(model, config)
        yield
        await asyncio.to_thread(state["encoder"].close)  # in-flight and queued requests finish first

    app = FastAPI(title="epic embeddings", lifespan=lifespan)

    def error(e: RequestError) -> JSONResponse:
        kind = "invalid_request_error" if e.status < 500 else "server_error"
        return JSONResponse({"error": {"message": e.message, "type": kind, "param": e.param}}, status_code=e.status)

    @app.post("/v1/embeddings")
    async def embeddings(request: Request):
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > config.max_body_bytes:
            return error(RequestError(413, f"request body exceeds the limit of {config.max_body_bytes} bytes"))
        try:
            job, fmt = parse_request(await request.body(), tasks, config)
            emb = await asyncio.wrap_future(state["encoder"].submit(job))
        except RequestError as e:
            return error(e)
        except ValueError as e:
            return error(RequestError(400, str(e)))
        data = []
        for i, vec in enumerate(emb):
            value = (
                base64.b64encode(np.ascontiguousarray(vec, dtype="<f4").tobytes()).decode()
                if fmt == "base64"
                else vec.tolist()
            )
            data.append({"object": "embedding", "index": i, "embedding": value})
        tokens = sum(map(len, model.tokenizer(job.texts, add_special_tokens=False)["input_ids"]))  # one batched call
        return {
            "object": "list",
            "data": data,
            "model": model_name,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    @app.get("/v1/models")
    async def models():
        return {
            "object": "list",
            "data": [{"id": model_name, "object": "model", "owned_by": "epic", "tasks": sorted(tasks)}],
        }

    @app.get("/health")
    async def health():
        enc = state.get("encoder")
        return {"status": "ok", "model": model_name, "tasks": sorted(tasks), "queued": enc.jobs.qsize() if enc else 0}

    return app


class BackgroundServer:
    """Run the app with uvicorn in a thread on loopback (tests and the load benchmark)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def serve(model_path: str | None, task_file: str | None, host: str, port: int, config: ServeConfig) -> None:
    import uvicorn

    from .data import load_tasks

    tasks = load_tasks(task_file) if task_file else {}
    model = EpicEncoder.from_pretrained(model_path)
    name = "epic-default" if model_path in (None, "default") else Path(model_path).name  # never the path
    uvicorn.run(create_app(model, tasks, name, config), host=host, port=port, timeout_graceful_shutdown=30)
