"""Training: from examples to trained weights.

:mod:`.config` (``TrainConfig``, nesting ``EpicConfig``) · :mod:`.batches` (task-homogeneous batches,
in-batch demonstrations) · :mod:`.loss` (InfoNCE, logit scale, batch geometry) · :mod:`.objective` (a
step's prompts, the loss, plain and GradCache backward) · :mod:`.trainable` (LoRA or full weights) ·
:mod:`.checkpoint` (atomic checkpoints, resume) · :mod:`.sharding` (FSDP2) · :mod:`.validation` (the
learning curve) · :mod:`.telemetry` (logs, TensorBoard, plots) · :mod:`.plan` (``epic plan``'s memory
model) · :mod:`.trainer` (``Trainer``: the loop).

May import :mod:`epic.utils`, :mod:`epic.data` and :mod:`epic.encoder`.
"""
