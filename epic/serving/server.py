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
import os
import queue
import secrets
import threading
import time
import warnings
from concurrent.futures import Future
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Request

from ..data.tasks import Task
from ..encoder.model import EpicEncoder
from .api import Job, RequestError, ServeConfig, error, parse_request, read_body

__all__ = ["BatchingEncoder", "BackgroundServer", "ServeConfig", "create_app", "parse_request", "serve"]


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

    # the engine interface create_app serves through (the vLLM gateway has the same three)
    async def run(self, job: Job) -> tuple[np.ndarray, int]:
        return await asyncio.wrap_future(self.submit(job))

    def queued(self) -> int:
        return self.jobs.qsize()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)  # in-flight and queued requests finish first

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

    def _embed(self, job: Job, texts: list[str]) -> np.ndarray:
        if job.input_type == "document":
            return self.model.encode_documents(texts, task=job.task, batch_size=self.config.batch_size)
        return self.model.encode_queries(
            texts, task=job.query_task(), n_demos=job.n_demos, demo_selection=job.selection,
            batch_size=self.config.batch_size, show_progress=False,
        )  # fmt: skip

    def _tokens(self, texts: list[str]) -> int:
        # in the worker thread: the tokenizer is the model's, and only this thread may touch it
        return sum(map(len, self.model.tokenizer(texts, add_special_tokens=False)["input_ids"]))

    def _encode(self, group: list[Job]) -> None:
        try:
            emb = self._embed(group[0], [t for j in group for t in j.texts])
            self.batches += 1
            start = 0
            for j in group:
                j.future.set_result((emb[start : start + len(j.texts)], self._tokens(j.texts)))
                start += len(j.texts)
        except Exception:  # one bad job must fail alone: encode its neighbours without it
            for j in group:
                if j.future.done():
                    continue
                try:
                    j.future.set_result((self._embed(j, j.texts), self._tokens(j.texts)))
                except Exception as e:
                    j.future.set_exception(e)


def embeddings_response(emb: np.ndarray, fmt: str, model_name: str, tokens: int) -> dict:
    """The OpenAI-style body: one entry per input, as floats or base64 little-endian float32."""
    data = []
    for i, vec in enumerate(emb):
        if fmt == "base64":
            value = base64.b64encode(np.ascontiguousarray(vec, dtype="<f4").tobytes()).decode()
        else:
            value = vec.tolist()
        data.append({"object": "embedding", "index": i, "embedding": value})
    return {
        "object": "list",
        "data": data,
        "model": model_name,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def create_app(
    model: EpicEncoder | None, tasks: dict[str, Task], model_name: str, config: ServeConfig | None = None,
    engine_factory=None,
):  # fmt: skip
    """The FastAPI application. It embeds through ``model`` (demonstration vectors of every task computed
    here, once; one worker thread batches requests) or, given ``engine_factory``, through the engine it
    makes at start-up (the vLLM gateway: anything with ``run(job)``, ``queued()`` and ``aclose()``)."""
    from contextlib import asynccontextmanager

    config = config or ServeConfig()
    if engine_factory is None:
        for task in tasks.values():
            if task.demos:
                model.demo_vectors(task)
        engine_factory = lambda: BatchingEncoder(model, config)  # noqa: E731
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app):
        state["encoder"] = app.state.encoder = engine_factory()
        yield
        await state["encoder"].aclose()

    app = FastAPI(title="epic embeddings", lifespan=lifespan)

    @app.middleware("http")
    async def authenticate(request: Request, call_next):
        if config.api_key and not secrets.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {config.api_key}"
        ):
            return error(RequestError(401, "missing or wrong API key (Authorization: Bearer KEY)"))
        try:
            return await call_next(request)
        except Exception as e:  # never a plain-text 500: an OpenAI-style error, without internals
            return error(RequestError(500, f"internal error ({type(e).__name__})"))

    @app.post("/v1/embeddings")
    async def embeddings(request: Request):
        try:
            job, fmt = parse_request(await read_body(request, config), tasks, config)
            emb, tokens = await state["encoder"].run(job)
        except RequestError as e:
            return error(e)
        except (ValueError, TypeError, UnicodeError) as e:  # the job's own input: it fails alone
            return error(RequestError(400, str(e)))
        return embeddings_response(emb, fmt, model_name, tokens)

    @app.get("/v1/models")
    async def models():
        return {
            "object": "list",
            "data": [{"id": model_name, "object": "model", "owned_by": "epic", "tasks": sorted(tasks)}],
        }

    @app.get("/health")
    async def health():
        enc = state.get("encoder")
        return {"status": "ok", "model": model_name, "tasks": sorted(tasks), "queued": enc.queued() if enc else 0}

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
    from ..data.tasks import load_tasks

    config.api_key = config.api_key or os.environ.get("EPIC_API_KEY") or None
    if not config.api_key and host not in ("127.0.0.1", "localhost", "::1"):
        warnings.warn(
            f"epic serve: listening on {host} without an API key: anyone who reaches it can use it "
            "(set --api-key or EPIC_API_KEY)",
            stacklevel=2,
        )
    name = "epic-default" if model_path in (None, "default") else Path(model_path).name  # never the path
    if config.engine == "vllm":
        from .vllm_gateway import gateway_parts

        tasks, factory = gateway_parts(model_path, task_file, config)
        app = create_app(None, tasks, name, config, factory)
    else:
        tasks = load_tasks(task_file) if task_file else {}
        model = EpicEncoder.from_pretrained(model_path, mixed_precision=config.mixed_precision)
        app = create_app(model, tasks, name, config)
    run_server(app, host, port, config)


def run_server(app, host: str, port: int, config: ServeConfig) -> None:
    """Serve ``app`` with uvicorn until a signal; SIGTERM drains first (:mod:`epic.serving.draining`)."""
    import uvicorn

    from .draining import Drain, DrainingServer

    drain = Drain()  # finish what is in flight, refuse new requests with 503, then stop
    drain.install(app)
    settings = uvicorn.Config(app, host=host, port=port, limit_concurrency=config.max_connections,
                              timeout_graceful_shutdown=config.drain_timeout_s)  # fmt: skip
    DrainingServer(settings, drain, config.drain_timeout_s).run()
