"""epic: decoder-only LLMs as text encoders with EPIC (embedding-based in-context prompt training)."""

from .data import DataError, Demo, Task, load_tasks
from .model import EpicConfig, EpicEncoder

__all__ = ["EpicEncoder", "EpicConfig", "Task", "Demo", "DataError", "load_tasks"]
__version__ = "0.1.0"
