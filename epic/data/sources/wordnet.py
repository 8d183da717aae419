"""WordNet 3.0 (Debian ``wordnet-base``): synsets with their lemmas, gloss and example sentences."""

from __future__ import annotations

import re
from pathlib import Path

from . import Package, Source

WORDNET_DIR = Path("/usr/share/wordnet")
INSTALL_HINT = "apt-get install -y wordnet-base"


SOURCE = Source(
    "wordnet", "WordNet 3.0", "dictionary", "WordNet 3.0 licence (Princeton)", Package("deb", "wordnet-base", "")
)


def read_wordnet(folder: Path = WORDNET_DIR) -> list[dict]:
    """Synsets as ``{"id", "lemmas", "gloss", "examples"}``, in file order."""
    synsets = []
    for pos in ("noun", "verb", "adj", "adv"):
        path = folder / f"data.{pos}"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: install WordNet with `{INSTALL_HINT}`")
        for line in path.open(encoding="latin-1"):
            if line.startswith("  "):  # licence header
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            n_words = int(fields[3], 16)
            lemmas = [fields[4 + 2 * i].replace("_", " ") for i in range(n_words)]
            lemmas = [re.sub(r"\(\w+\)$", "", w) for w in lemmas]  # adjective markers like (a)
            parts = [p.strip() for p in gloss.strip().split(";")]
            definition = "; ".join(p for p in parts if not p.startswith('"')).strip()
            examples = [p.strip('"') for p in parts if p.startswith('"') and p.endswith('"') and len(p) > 12]
            if definition:
                synsets.append(
                    {"id": f"{pos}:{fields[0]}", "lemmas": lemmas, "gloss": definition, "examples": examples}
                )
    return synsets
