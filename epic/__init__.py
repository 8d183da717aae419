"""epic: decoder-only LLMs as text encoders with EPIC (embedding-based in-context prompt training).

The package follows the data, one subpackage a stage; each may import only the stages below it
(``tests/test_layout.py`` holds the rule):

* :mod:`epic.utils`      atomic files, the cache folder, dataclass configs from YAML and flags
* :mod:`epic.data`       tasks and demonstrations, training examples and tables, the sources and the builder
* :mod:`epic.encoder`    prompts as token spans, the backbone, demo injection, pooling, the engine, ``EpicEncoder``
* :mod:`epic.training`   batches, the loss and objective, trainable weights, checkpoints, sharding, the trainer
* :mod:`epic.evaluation` the offline suite, mteb tasks and wrapper, reports  (beside training and serving)
* :mod:`epic.serving`    the OpenAI-style HTTP service                        (beside training and evaluation)
* :mod:`epic.recipes`    end-to-end jobs: the quickstart
* :mod:`epic.cli`        the ``epic`` command line
"""

from .data.tasks import DataError, Demo, Task, load_tasks
from .encoder.config import EpicConfig
from .encoder.model import EpicEncoder
from .utils.integrity import DamagedFileError

__all__ = ["EpicEncoder", "EpicConfig", "Task", "Demo", "DataError", "DamagedFileError", "load_tasks"]
__version__ = "0.1.0"
