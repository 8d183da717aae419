"""Serving: the OpenAI-style HTTP service (:mod:`.api`: requests, checks and errors; :mod:`.server`: the
app, batching and start-up).

May import :mod:`epic.utils`, :mod:`epic.data` and :mod:`epic.encoder` (not training or evaluation).
"""
