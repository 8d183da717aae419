"""The HTTP side of ``epic serve``: limits, request parsing and validation, OpenAI-style errors.

Everything a client sends is checked here, before it reaches the model: a bad item fails its own
request with a 4xx naming the field, and never reaches the worker that batches requests together.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Future
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import JSONResponse

from ..data.tasks import Demo, Task
from ..encoder.config import DEFAULT_INSTRUCTION, DEMO_SELECTIONS
from ..encoder.engine import MIXED_PRECISION


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
    body_timeout_s: float = 30.0  # the whole body must arrive within this; else 408
    max_connections: int = 256  # concurrent connections (uvicorn limit_concurrency); beyond it: 503
    drain_timeout_s: float = 30.0  # on SIGTERM: answer what is in flight (new requests: 503) for at most this
    max_demos: int = 16  # demonstrations given in one request
    api_key: str | None = None  # require "Authorization: Bearer KEY" (also from $EPIC_API_KEY)
    mixed_precision: str = "none"  # none | bf16 | auto (bf16 matmuls where native: ~1.7x faster on such CPUs)
    engine: str = "torch"  # torch (this process embeds) | vllm (a gateway to vLLM: docs/serve.md)
    vllm_url: str | None = None  # with --engine vllm: a running vLLM server of the export, not one in-process
    vllm_model: str | None = None  # the model name that server serves (default: the export folder's path)
    vllm_dtype: str = "auto"  # in-process engine: auto | float32 | bfloat16 (float32 for exact equality)
    vllm_memory_fraction: float = 0.2  # in-process engine: share of (GPU, or on CPU host) memory for vLLM

    def __post_init__(self) -> None:
        for name in ("max_inputs", "max_chars", "max_body_bytes", "max_batch_texts", "max_queue", "batch_size",
                     "max_connections", "max_demos"):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"ServeConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.mixed_precision not in MIXED_PRECISION:
            raise ValueError(f"ServeConfig.mixed_precision must be none, bf16 or auto, got {self.mixed_precision!r}")
        if self.engine not in ("torch", "vllm"):
            raise ValueError(f"ServeConfig.engine must be torch or vllm, got {self.engine!r}")
        if self.vllm_url and self.engine != "vllm":
            raise ValueError("--vllm-url goes with --engine vllm")
        if not self.body_timeout_s > 0 or self.max_wait_ms < 0 or not self.drain_timeout_s > 0:
            raise ValueError("ServeConfig.body_timeout_s and drain_timeout_s must be > 0 and max_wait_ms >= 0")


class RequestError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


@dataclass
class Job:
    """One request's work: its texts and how to embed them. ``demos`` (given in the request) replace the
    task's demonstrations; ``selection`` picks among them (fixed | nearest | random; None: the model's)."""

    texts: list[str]
    task: Task | None
    input_type: str
    n_demos: int | None
    selection: str | None = None
    demos: tuple[Demo, ...] = ()
    future: Future = field(default_factory=Future)

    def key(self) -> tuple:
        """Jobs with equal keys are embedded the same way and may share one encode call."""
        return (self.task.name if self.task else None, self.input_type, self.n_demos, self.selection, self.demos)

    def query_task(self) -> Task:
        """The task a query is embedded under: the registered one (or the generic instruction), with the
        request's demonstrations in place of its own when it gave some."""
        base = self.task or Task("request", DEFAULT_INSTRUCTION)
        if not self.demos:
            return base
        return Task(f"{base.name}+request", base.instruction, list(self.demos), base.type)


def parse_request(body: bytes, tasks: dict[str, Task], config: ServeConfig) -> tuple[Job, str]:
    """Validate an embeddings request; returns the job and the encoding format."""
    if len(body) > config.max_body_bytes:
        raise RequestError(413, f"request body of {len(body)} bytes exceeds the limit of {config.max_body_bytes}")
    try:
        req = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RequestError(400, f"request body is not valid JSON: {e}") from None
    except RecursionError:
        raise RequestError(400, "request body is not valid JSON: nested too deeply") from None
    if not isinstance(req, dict):
        raise RequestError(400, "request body must be a JSON object")
    known = {"input", "model", "encoding_format", "user", "dimensions", "task", "input_type", "n_demos",
             "demo_selection", "demonstrations"}  # fmt: skip
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
        try:
            t.encode("utf-8")
        except UnicodeEncodeError as e:  # a lone surrogate such as "\ud800" is no text
            raise RequestError(
                400, f"'input[{i}]' is not valid Unicode text ({e.reason} at {e.start})", "input"
            ) from None
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
    demos = _demonstrations(req.get("demonstrations"), input_type, config)
    selection = req.get("demo_selection")
    if selection is not None and selection not in DEMO_SELECTIONS:
        raise RequestError(400, f"'demo_selection' must be one of {list(DEMO_SELECTIONS)}", "demo_selection")
    n_demos = req.get("n_demos")
    if n_demos is not None:
        if not isinstance(n_demos, int) or isinstance(n_demos, bool) or n_demos < 0:
            raise RequestError(400, "'n_demos' must be a non-negative integer", "n_demos")
        available = len(demos) if demos else len(task.demos) if task else 0
        if n_demos > available:
            raise RequestError(400, f"'n_demos'={n_demos} but {available} demonstrations are available", "n_demos")
    return Job(texts, task, input_type, n_demos, selection, demos), fmt


def _demonstrations(items, input_type: str, config: ServeConfig) -> tuple[Demo, ...]:
    """The request's own demonstrations (``[{"query", "response"}]``), checked."""
    if items is None:
        return ()
    if input_type != "query":
        raise RequestError(400, "'demonstrations' apply to queries only", "demonstrations")
    if not isinstance(items, list) or not items or len(items) > config.max_demos:
        raise RequestError(400, f"'demonstrations' must be a list of 1 to {config.max_demos} items", "demonstrations")
    demos = []
    for i, item in enumerate(items):
        ok = isinstance(item, dict) and set(item) == {"query", "response"}
        if not ok or not all(isinstance(v, str) and v.strip() and len(v) <= config.max_chars for v in item.values()):
            raise RequestError(
                400, f"'demonstrations[{i}]' must be {{\"query\": text, \"response\": text}} with non-empty texts "
                f"of at most {config.max_chars} characters", "demonstrations",
            )  # fmt: skip
        demos.append(Demo(item["query"], item["response"]))
    return tuple(demos)


def error(e: RequestError) -> JSONResponse:
    """An OpenAI-style error body."""
    kind = {401: "authentication_error"}.get(e.status, "invalid_request_error" if e.status < 500 else "server_error")
    return JSONResponse({"error": {"message": e.message, "type": kind, "param": e.param}}, status_code=e.status)


async def read_body(request: Request, config: ServeConfig) -> bytes:
    """The body, read as it arrives: over ``max_body_bytes`` is a 413 as soon as it is exceeded (chunked
    bodies too), and a body slower than ``body_timeout_s`` is a 408."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > config.max_body_bytes:
        raise RequestError(413, f"request body exceeds the limit of {config.max_body_bytes} bytes")

    async def collect() -> bytes:
        parts, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > config.max_body_bytes:
                raise RequestError(413, f"request body exceeds the limit of {config.max_body_bytes} bytes")
            parts.append(chunk)
        return b"".join(parts)

    try:
        return await asyncio.wait_for(collect(), config.body_timeout_s)
    except asyncio.TimeoutError:
        raise RequestError(408, f"request body not received within {config.body_timeout_s} s") from None
