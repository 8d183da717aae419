"""The package's layering: each subpackage imports only the stages below it (see ``epic/__init__.py``).

Read from the source alone (every import, module level or inside a function), so a lazy import that
runs back up the stack fails here before it becomes an import cycle or a tangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "epic"
# rank of each subpackage: a module may import its own subpackage and those of lower rank only
RANKS = {"utils": 0, "data": 1, "encoder": 2, "training": 3, "evaluation": 3, "serving": 3, "recipes": 4, "cli": 5}
FACADES = {"epic", "epic.st"}  # the public entry points: they import down, nothing inside imports them


def _module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, package: Path) -> list[tuple[int, str]]:
    """``(line, absolute module)`` of every ``epic`` import in ``path``, names imported from a package included."""
    module, is_package = _module_name(path, package), path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name == "epic" or name.startswith("epic.")]


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANKS else None


def layer_violations(package: Path = PACKAGE) -> list[str]:
    """Every import that runs from a stage to a higher one, to a sibling of the same rank, or to a facade."""
    modules = {_module_name(p, package) for p in package.rglob("*.py")}
    problems = []
    for path in sorted(package.rglob("*.py")):
        here = _stage(_module_name(path, package))
        if here is None:  # a facade (epic/__init__.py, epic/st.py) may import any stage
            continue
        for line, target in _imports(path, package):
            if target not in modules:  # a name imported from a module, checked as that module
                continue
            there = _stage(target)
            where = f"{path.relative_to(package.parent)}:{line} imports {target}"
            if there is None and here != "cli":
                problems.append(f"{where}: only epic.cli may import the package's facade")
            elif there is not None and there != here and RANKS[there] >= RANKS[here]:
                problems.append(f"{where}: {here} (rank {RANKS[here]}) may not import {there} (rank {RANKS[there]})")
    return problems


def test_every_module_lives_in_a_stage_or_is_a_facade():
    loose = {_module_name(p) for p in PACKAGE.rglob("*.py")} - FACADES
    assert sorted(m for m in loose if _stage(m) is None) == []


def test_no_stage_imports_a_higher_one_or_a_sibling():
    assert layer_violations() == []


@pytest.mark.parametrize(
    "source, message",
    [
        ("from ..training.loss import info_nce\n", "encoder (rank 2) may not import training (rank 3)"),
        ("def f():\n    from ..serving import api\n", "evaluation (rank 3) may not import serving (rank 3)"),
        ("from .. import EpicEncoder\n", "only epic.cli may import the package's facade"),
    ],
)
def test_the_layer_check_catches_an_upward_import(tmp_path, source, message):
    """The check itself can fail: a copy of the package with one planted import is reported."""
    import shutil

    copy = tmp_path / "epic"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    stage = message.split(" ")[0] if "rank" in message else "encoder"
    (copy / stage / "planted.py").write_text(source)
    assert any(message in p and "planted.py" in p for p in layer_violations(copy))


def test_every_subpackage_says_what_lives_there():
    for stage in RANKS:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
        assert doc and len(doc) > 60, (
            f"epic/{stage}/__init__.py needs a docstring: what lives there, what it may import"
        )
