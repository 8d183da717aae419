"""The FOLDOC reader and its tasks, on a small dictd folder written here in FOLDOC's format."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from epic.builddata import _foldoc_rows, read_foldoc

ENTRIES = {
    "00-database-short": "\n     The Free On-line Dictionary of Computing\n",
    "cache": """cache

   <storage> /kash/ A small fast {memory} holding recently accessed
   data, designed to speed up subsequent access to the same data.

   When data is read from, or written to, {main memory (main.html)} a
   copy is also saved in the cache, along with its address.

   See also {cache line}.

   [{Jargon File}]

   (1997-06-09)
""",
    "broker": """broker

   {object request broker}
""",
    "disk": """disk

   <storage> A round plate on which data can be encoded, read by a
   head that moves over its surface as the plate turns.

   Results.

   (2004-02-12)
""",
    "ping": """ping

   <networking, tool> A program that sends an echo request to a host
   and reports whether, and how fast, the answer comes back.

   (2003-11-08)
""",
}


def write_foldoc(folder: Path) -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def b64(n: int) -> str:
        digits = ""
        while True:
            n, r = divmod(n, 64)
            digits = alphabet[r] + digits
            if n == 0:
                return digits

    blob, index = b"", []
    for word, body in ENTRIES.items():
        data = body.encode()
        index.append(f"{word}\t{b64(len(blob))}\t{b64(len(data))}\n")
        if word == "cache":  # an alias pointing at the same entry is read once
            index.append(f"kash\t{b64(len(blob))}\t{b64(len(data))}\n")
        blob += data
    (folder / "foldoc.index").write_text("".join(index))
    (folder / "foldoc.dict.dz").write_bytes(gzip.compress(blob))


def test_read_foldoc_keeps_the_text_and_drops_tags_links_dates_and_sources(tmp_path):
    write_foldoc(tmp_path)
    entries = read_foldoc(tmp_path)
    assert [(term, subject) for term, subject, _ in entries] == [
        ("cache", "storage"),
        ("disk", "storage"),
        ("ping", "networking"),
    ]
    cache = entries[0][2]
    assert cache == [
        "/kash/ A small fast memory holding recently accessed data, designed to speed up subsequent access to the same data.",
        "When data is read from, or written to, main memory a copy is also saved in the cache, along with its address.",
    ]  # fmt: skip
    assert entries[1][2][1] == "Results."  # kept as text, but too short to be a passage (below)


def test_foldoc_tasks_pair_terms_and_paragraphs_with_same_subject_negatives(tmp_path):
    write_foldoc(tmp_path)
    entries = read_foldoc(tmp_path)
    rows = _foldoc_rows(entries, seed=0)
    term2def = {r["query"]: r for r in rows["foldoc-term2def"]}
    assert term2def["cache"]["pos"] == [entries[0][2][0]]
    assert term2def["cache"]["neg"] == [entries[1][2][0]]  # disk: the other <storage> entry
    assert term2def["ping"]["neg"] == []  # alone in <networking>
    # only cache has two paragraphs of passage length; disk's "Results." is a fragment
    cache = entries[0][2]
    lead2rest = rows["foldoc-lead2rest"]
    assert len(lead2rest) == 1 and lead2rest[0]["query"] == cache[0] and lead2rest[0]["pos"] == [cache[1]]
    assert lead2rest[0]["neg"] == []  # disk's second paragraph is too short to be a negative


def test_read_foldoc_names_the_missing_package(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"foldoc.index is missing: install FOLDOC with `apt-get install .*dict-foldoc`"
    ):
        read_foldoc(tmp_path)
