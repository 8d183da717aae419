"""The files that make a saved epic folder load with ``SentenceTransformer(path, trust_remote_code=True)``.

Kept apart from :mod:`epic.encoder.st` (the module class, which imports the model) so saving a model needs no
import of the model's own integration: no import cycle.
"""

from __future__ import annotations

import json
from pathlib import Path


def write_st_files(folder: Path) -> None:
    """The files that make ``folder`` a sentence-transformers model (one custom module, in the root)."""
    import sentence_transformers

    # the stable public path (epic/st.py), not the implementation's, so folders load whatever the layout
    modules = [{"idx": 0, "name": "0", "path": "", "type": "epic.st.EpicSTModule"}]
    (folder / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")
    config = {
        "model_type": "SentenceTransformer",
        "__version__": {"sentence_transformers": sentence_transformers.__version__},
        "prompts": {},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }
    (folder / "config_sentence_transformers.json").write_text(json.dumps(config, indent=2) + "\n")
