"""Small built-in examples used by ``epic demo``, the benchmarks and the docs."""

from __future__ import annotations

from .tasks import Demo, Task


def demo_task() -> tuple[Task, list[str], list[str]]:
    task = Task(
        "definitions",
        "Given a word, retrieve its dictionary definition",
        [
            Demo("thermometer", "an instrument for measuring temperature"),
            Demo("harbor", "a sheltered port where ships can take on or discharge cargo"),
            Demo("violin", "a bowed stringed instrument with four strings"),
        ],
    )
    queries = ["telescope", "bakery", "glacier", "surgeon", "umbrella"]
    docs = [
        "an optical instrument that makes distant objects appear nearer",
        "a workplace where bread and cakes are baked and sold",
        "a slowly moving mass of ice formed by snow on mountains",
        "a physician who specializes in operations",
        "a canopy that protects you from the rain",
    ]
    return task, queries, docs
