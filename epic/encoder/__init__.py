"""The encoder: from a task and texts to vectors.

:mod:`.config` (``EpicConfig``) → :mod:`.prompt` (prompts as token spans, soft slots that name their
vectors) → :mod:`.inject` (the EPIC mechanism: projector and slot injection) → :mod:`.backbone` (the
embedded default or any HF decoder) → :mod:`.pooling` → :mod:`.engine` (the forward pass and the one
batching engine, prefix key/value cache included) → :mod:`.demos` (selection and the vector memory) →
:mod:`.model_io` (the saved folder) → :mod:`.model` (``EpicEncoder``, the facade); :mod:`.card` (model
card, ``epic info``) and :mod:`.st` / :mod:`.st_files` (sentence-transformers).

May import :mod:`epic.utils` and :mod:`epic.data`.
"""
