"""Registry of the heavier sub-commands (train, eval, serve, bench, quickstart, data)."""

from __future__ import annotations

REGISTER: list = []
