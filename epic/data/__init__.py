"""Data: what the model reads, before any tokenizer.

* :mod:`.tasks`         the data model: ``Task``, ``Demo``, task files, texts to encode (errors name file, line, field)
* :mod:`.train_data`    training examples (JSONL or Parquet, validated line by line) and the training task file
* :mod:`.example_table` the examples on disk: an Arrow file read a batch at a time
* :mod:`.sources`       readers of the installed real text, one module a source
* :mod:`.build`         the default training set built from those sources (``epic data build``)
* :mod:`.examples`      small built-in examples (``epic demo``, benchmarks, docs)

May import :mod:`epic.utils` only.
"""

from .tasks import DataError, Demo, Task, load_tasks

__all__ = ["DataError", "Demo", "Task", "load_tasks"]
