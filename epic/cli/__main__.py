"""``python -m epic.cli`` (what ``torchrun -m epic.cli train ...`` runs)."""

from . import main

main()
