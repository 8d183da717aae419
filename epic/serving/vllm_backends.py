"""Where the gateway's prompts are embedded: vLLM in this process (``AsyncLLM``) or a vLLM server at a URL.

vLLM is never a dependency of epic: it lives in its own environment (``scripts/install-vllm.sh``) and is
imported here only when an in-process engine is asked for. Both backends take prompts as vLLM does:
``{"prompt_token_ids": [...]}``, or mixed ``{"prompt_token_ids", "prompt_embeds", "prompt_is_token_ids"}``
for soft tokens that are not rows of the exported vocabulary (demonstrations given in a request). The
stock ``/v1/embeddings`` of a vLLM server takes token ids only: the URL backend refuses mixed prompts.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import numpy as np

from .api import RequestError

INSTALL = "bash scripts/install-vllm.sh"
VENV = Path(os.environ.get("EPIC_VLLM_VENV") or Path.home() / ".venvs" / "epic-vllm")


def vllm_missing() -> RuntimeError:
    return RuntimeError(
        f"the vLLM engine needs vLLM, which is not installed in this environment: run `{INSTALL}` (it makes its "
        f"own venv) and run its epic ({VENV}/bin/epic), or give --vllm-url of a running vLLM server"
    )


class InProcessVllm:
    """An ``AsyncLLM`` pooling engine over an exported folder, prompt embeddings enabled (behind the
    gateway only: they are raw tensors a client must not send)."""

    def __init__(
        self, folder: str | Path, dtype: str = "auto", memory_fraction: float = 0.2, max_model_len: int = 2048
    ):
        try:
            from vllm import AsyncEngineArgs, PoolingParams
            from vllm.v1.engine.async_llm import AsyncLLM
        except ImportError:
            raise vllm_missing() from None
        args = AsyncEngineArgs(
            model=str(folder), runner="pooling", dtype=dtype, enable_prompt_embeds=True, enforce_eager=True,
            gpu_memory_utilization=memory_fraction, max_model_len=max_model_len,
        )  # fmt: skip
        self.engine = AsyncLLM.from_engine_args(args)
        self.params = PoolingParams(task="embed")

    async def _one(self, prompt: dict) -> np.ndarray:
        final = None
        async for out in self.engine.encode(prompt, self.params, request_id=uuid.uuid4().hex):
            final = out
        return final.outputs.data.float().cpu().numpy()

    async def embed(self, prompts: list[dict]) -> np.ndarray:
        return np.stack(await asyncio.gather(*(self._one(p) for p in prompts))).astype(np.float32)

    async def close(self) -> None:
        engine, self.engine = self.engine, None
        engine.shutdown()
        del engine  # released now, not at interpreter exit (where its __del__ finds half the world gone)


class RemoteVllm:
    """A vLLM server (or a fleet behind a load balancer) at ``url``, through its ``/v1/embeddings`` with
    token-id lists: documents, queries, and fixed, nearest or random demonstrations of exported tasks."""

    def __init__(self, url: str, model: str, api_key: str | None = None, timeout_s: float = 120.0):
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=timeout_s)
        self.model = model

    async def embed(self, prompts: list[dict]) -> np.ndarray:
        if any("prompt_embeds" in p for p in prompts):
            raise RequestError(
                400, "demonstrations given in the request need the in-process vLLM engine (epic serve --engine vllm "
                "without --vllm-url): a vLLM server's /v1/embeddings takes token ids only", "demonstrations",
            )  # fmt: skip
        body = {"model": self.model, "input": [p["prompt_token_ids"] for p in prompts]}
        response = await self.client.post("/v1/embeddings", json=body)
        if response.status_code != 200:
            raise RequestError(502, f"the vLLM server answered {response.status_code}: {response.text[:300]}")
        data = sorted(response.json()["data"], key=lambda d: d["index"])
        return np.array([d["embedding"] for d in data], dtype=np.float32)

    async def close(self) -> None:
        await self.client.aclose()
