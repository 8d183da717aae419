"""Stopping a server without dropping work.

On SIGTERM (a rolling update, a preempted machine) or Ctrl-C the service drains: requests in flight are
answered, new ones get 503 with ``Retry-After`` (so a load balancer sends them elsewhere) while the
listener stays open, and once nothing is in flight, or after ``drain_timeout_s``, uvicorn shuts down
as usual and the process ends by the signal it was sent. A second signal stops at once.
"""

from __future__ import annotations

import asyncio
import time

import uvicorn
from fastapi import FastAPI, Request

from .api import RequestError, error


class Drain:
    """Requests in flight, and whether the service is draining (new requests are refused)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.draining = False

    def install(self, app: FastAPI) -> None:
        """Count every request, and refuse new ones once draining."""

        @app.middleware("http")
        async def count(request: Request, call_next):
            if self.draining:
                response = error(RequestError(503, "the server is shutting down; retry on another replica"))
                response.headers["Retry-After"] = "1"
                response.headers["Connection"] = "close"
                return response
            self.in_flight += 1
            try:
                return await call_next(request)
            finally:
                self.in_flight -= 1


class DrainingServer(uvicorn.Server):
    """uvicorn's server whose first exit signal drains :class:`Drain` before the usual shutdown."""

    def __init__(self, config: uvicorn.Config, drain: Drain, timeout_s: float) -> None:
        super().__init__(config)
        self.drain, self.timeout_s = drain, timeout_s
        self.loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets=None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame) -> None:
        if self.drain.draining or self.loop is None:  # asked twice, or not started: uvicorn's own way
            super().handle_exit(sig, frame)
            return
        self.drain.draining = True
        self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self._exit_when_drained(sig)))

    async def _exit_when_drained(self, sig: int) -> None:
        deadline = time.monotonic() + self.timeout_s
        while self.drain.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        super().handle_exit(sig, None)  # uvicorn closes the listener, then ends with the signal
