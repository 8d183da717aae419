"""Stop cleanly when asked: SIGTERM (a spot machine being taken back, torchrun's elastic agent) or
SIGINT (Ctrl-C) end the run after the current step, with a checkpoint, instead of losing everything
since the last one.

The handler only records the signal; the trainer asks :meth:`StopSignals.agreed` after each step. With
many processes the ranks agree by an all-reduce (a signal may reach them a step apart), so every rank
writes the same checkpoint and leaves at the same step. A second Ctrl-C stops at once.
"""

from __future__ import annotations

import signal
import threading

import torch
import torch.distributed as dist

HANDLED = (signal.SIGTERM, signal.SIGINT)


class TrainingInterrupted(Exception):
    """The run stopped on a signal after writing a checkpoint; ``--resume`` continues it."""

    def __init__(self, signum: int, step: int, checkpoint: str) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"stopped by {name} after step {step}; checkpoint in {checkpoint}: continue with --resume")
        self.signum, self.step, self.checkpoint = signum, step, checkpoint
        self.exit_code = 128 + signum  # the shell's convention for "ended by this signal"


class StopSignals:
    """A context in which SIGTERM and SIGINT set :attr:`received` instead of ending the process."""

    def __init__(self) -> None:
        self.received = 0
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():  # handlers can only be set there
            for signum in HANDLED:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame) -> None:
        if self.received == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: stop now
        self.received = self.received or signum

    def agreed(self, world_size: int) -> int:
        """The signal any rank received (0 if none); a collective every rank must call each step."""
        if world_size == 1:
            return self.received
        flag = torch.tensor([self.received], dtype=torch.int64)
        if dist.get_backend() == "nccl":
            flag = flag.cuda()
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return int(flag.item())
