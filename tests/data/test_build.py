"""The dictd readers (FOLDOC, the Jargon File, The Devil's Dictionary), their tasks, and the builder,
on small dictd folders written here in each database's format."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from epic.data.dictionary_tasks import (
    foldoc_lead2rest,
    foldoc_term2def,
    jargon_lead2rest,
    jargon_term2def,
    neighbour_rows,
)
from epic.data.sources.devil import read_devil
from epic.data.sources.foldoc import read_foldoc
from epic.data.sources.jargon import read_jargon

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


def write_dictd(folder: Path, name: str, entries: dict[str, str], aliases: dict[str, str] | None = None) -> None:
    """A dictd database ``name.{index,dict.dz}``; ``aliases`` maps an extra headword to an entry's."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def b64(n: int) -> str:
        digits = ""
        while True:
            n, r = divmod(n, 64)
            digits = alphabet[r] + digits
            if n == 0:
                return digits

    blob, index = b"", []
    for word, body in entries.items():
        data = body.encode()
        index.append(f"{word}\t{b64(len(blob))}\t{b64(len(data))}\n")
        index += [
            f"{a}\t{b64(len(blob))}\t{b64(len(data))}\n" for a, target in (aliases or {}).items() if target == word
        ]
        blob += data
    (folder / f"{name}.index").write_text("".join(index))
    (folder / f"{name}.dict.dz").write_bytes(gzip.compress(blob))


def write_foldoc(folder: Path) -> None:
    write_dictd(folder, "foldoc", ENTRIES, {"kash": "cache"})  # an alias of one entry is read once


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
    term2def = {r["query"]: r for r in foldoc_term2def({"foldoc": entries}, seed=0)}
    assert term2def["cache"]["pos"] == [entries[0][2][0]]
    assert term2def["cache"]["neg"] == [entries[1][2][0]]  # disk: the other <storage> entry
    assert term2def["ping"]["neg"] == []  # alone in <networking>
    # only cache has two paragraphs of passage length; disk's "Results." is a fragment
    cache = entries[0][2]
    lead2rest = foldoc_lead2rest({"foldoc": entries}, seed=0)
    assert len(lead2rest) == 1 and lead2rest[0]["query"] == cache[0] and lead2rest[0]["pos"] == [cache[1]]
    assert lead2rest[0]["neg"] == []  # disk's second paragraph is too short to be a negative


JARGON = {
    "00databaseshort": "\n     The Jargon Lexicon\n",
    "hot spot": """hot spot
 n.

    1. [Mac] The active location of a cursor on a bit-map display, the point
    a click lands on.

    2. A screen region that is sensitive to mouse gestures, which trigger
    some action, as {hypertext} links do.

    See also {mouse}.


""",
    "drugged": """drugged
 adj.

    (also on drugs)

    n. Conspicuously stupid, heading toward {brain-damaged}.


""",
    "cycle of reincarnation": """cycle of reincarnation
 n.

    See {wheel of reincarnation}.


""",
    "kluge": """kluge
 /klooj/, vt.,n.

    [from the German 'klug', clever] To use a clever programming trick
    intended to solve a particular nasty case.


""",
}
DEVIL = {
    "00databaseshort": "The Devil's Dictionary\n",
    "abdication": """ABDICATION, n.  An act whereby a sovereign attests his sense of the
high temperature of the throne.

    Poor Isabella's dead, whose abdication
    Set all tongues wagging in the Spanish nation.
""",
    "cui bono": """CUI BONO?  [Latin]  What good would that do _me_?
""",
    "abet": """ABET, v.t.  To encourage in crime, as to aid _poverty_ with pennies.
""",
}


def test_read_jargon_drops_etymology_senses_and_parts_of_speech_and_cross_references(tmp_path):
    write_dictd(tmp_path, "jargon", JARGON, {"hotspot": "hot spot"})
    entries = read_jargon(tmp_path)
    assert [term for term, _ in entries] == ["hot spot", "drugged", "kluge"]  # the pure "See" entry is left out
    assert entries[0][1] == [
        "The active location of a cursor on a bit-map display, the point a click lands on.",
        "A screen region that is sensitive to mouse gestures, which trigger some action, as hypertext links do.",
    ]  # fmt: skip
    assert entries[1][1] == ["Conspicuously stupid, heading toward brain-damaged."]  # "(also on drugs)": a fragment
    assert entries[2][1] == ["To use a clever programming trick intended to solve a particular nasty case."]


def test_jargon_tasks_take_neighbouring_entries_as_negatives(tmp_path):
    write_dictd(tmp_path, "jargon", JARGON)
    entries = read_jargon(tmp_path)
    term2def = {r["query"]: r for r in jargon_term2def({"jargon": entries}, seed=0)}
    assert term2def["drugged"]["pos"] == [entries[1][1][0]]
    assert term2def["drugged"]["neg"] == [entries[0][1][0], entries[2][1][0]]
    lead2rest = jargon_lead2rest({"jargon": entries}, seed=0)  # only hot spot has two passage-length paragraphs
    assert [(r["query"], r["pos"]) for r in lead2rest] == [(entries[0][1][0], [entries[0][1][1]])]


def test_read_devil_takes_the_definition_after_the_part_of_speech(tmp_path):
    write_dictd(tmp_path, "devil", DEVIL, {"abetting": "abet"})
    assert read_devil(tmp_path) == [
        ("abdication", "An act whereby a sovereign attests his sense of the high temperature of the throne."),
        ("abet", "To encourage in crime, as to aid poverty with pennies."),
    ]  # the verse is not the definition; "CUI BONO?" has no part of speech; the alias is read once


def test_neighbour_rows_take_up_to_two_pairs_either_side():
    pairs = [(f"q{i}", f"p{i}") for i in range(6)]
    rows = neighbour_rows(pairs)
    assert rows[0]["neg"] == ["p1", "p2"] and rows[3]["neg"] == ["p1", "p2", "p4", "p5"]
    assert all(r["pos"] == [f"p{i}"] and f"p{i}" not in r["neg"] for i, r in enumerate(rows))


@pytest.mark.parametrize(
    ("reader", "name", "package"),
    [
        (read_foldoc, "foldoc", "dict-foldoc"),
        (read_jargon, "jargon", "dict-jargon"),
        (read_devil, "devil", "dict-devil"),
    ],
)
def test_dictd_readers_name_the_missing_package(tmp_path, reader, name, package):
    with pytest.raises(
        FileNotFoundError, match=rf"{name}.index is missing: install .* with `apt-get install .*{package}\b"
    ):
        reader(tmp_path)


def _fake_sources(monkeypatch, tmp_path):
    """The builder's readers on the tiny databases above, and a three-synset WordNet with a GCIDE to match."""
    import epic.data.build as builddata

    write_foldoc(tmp_path)
    write_dictd(tmp_path, "jargon", JARGON)
    write_dictd(tmp_path, "devil", DEVIL)
    synsets = [
        {"id": "noun:1", "lemmas": ["car", "auto"], "gloss": "a motor vehicle with four wheels", "examples": ["he parked the car"]},
        {"id": "noun:2", "lemmas": ["car"], "gloss": "a wheeled vehicle adapted to the rails", "examples": []},
        {"id": "noun:3", "lemmas": ["gale"], "gloss": "a strong wind moving 34-40 knots", "examples": []},
    ]  # fmt: skip
    readers = {
        "wordnet": lambda: synsets,
        "gcide": lambda: [("gale", "A strong current of air; a wind", True)],
        "foldoc": lambda: read_foldoc(tmp_path),
        "jargon": lambda: read_jargon(tmp_path),
        "devil": lambda: read_devil(tmp_path),
    }
    monkeypatch.setattr(builddata, "read_source", lambda name: readers[name]())


@pytest.mark.parametrize(
    "sources", [("wordnet", "gcide"), ("wordnet", "gcide", "foldoc"), ("foldoc", "jargon", "devil"), ("devil",)]
)
def test_build_writes_the_tasks_of_the_chosen_sources_and_only_those(monkeypatch, tmp_path, sources):
    from epic.data.build import build
    from epic.data.catalog import TASKS
    from epic.data.train_data import load_train_data

    _fake_sources(monkeypatch, tmp_path)
    manifest = build(tmp_path / "set", sources=",".join(sources))
    assert [s["name"] for s in manifest["sources"]] == list(sources)
    assert all(set(t["sources"]) <= set(sources) for t in manifest["tasks"].values())
    possible = {t.name for t in TASKS if set(t.sources) & set(sources)}
    assert set(manifest["tasks"]) <= possible and manifest["tasks"]
    data = load_train_data(tmp_path / "set")  # tasks.yaml names exactly the JSONL files written
    assert set(data.tasks) == set(manifest["tasks"]) == {p.stem for p in (tmp_path / "set").glob("*.jsonl")}
    by_source = {s["name"]: s["examples"] for s in manifest["sources"]}
    assert by_source == {
        s: sum(t["examples"] for t in manifest["tasks"].values() if s in t["sources"]) for s in sources
    }
    if {"wordnet", "gcide"} <= set(sources):  # gale: one WordNet sense, one Webster definition
        assert manifest["tasks"]["def-paraphrase"]["examples"] == 1


def test_build_leaves_a_source_out_and_rebuilds_a_folder_without_stale_tasks(monkeypatch, tmp_path):
    from epic.data.build import build

    _fake_sources(monkeypatch, tmp_path)
    build(tmp_path / "set", sources="wordnet,gcide,foldoc,jargon")
    manifest = build(tmp_path / "set", sources="wordnet,gcide,foldoc,jargon", without=("jargon",))
    assert not any(t.startswith("jargon") for t in manifest["tasks"])
    assert {p.stem for p in (tmp_path / "set").glob("*.jsonl")} == set(manifest["tasks"])  # no stale jargon file


def test_build_names_an_unknown_source_and_refuses_a_foreign_folder(tmp_path):
    from epic.data.build import build

    with pytest.raises(ValueError, match=r"unknown source\(s\) \['bible'\]; choose from wordnet, gcide"):
        build(tmp_path / "set", sources="foldoc,bible")
    assert not (tmp_path / "set").exists()  # nothing written
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a training set built here"):
        build(tmp_path / "mine", sources="devil")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"


def test_cached_sets_are_kept_apart_by_their_sources(monkeypatch, tmp_path):
    """A cached set is reused only for the same sources, even one left by an older default in the same folder."""
    import epic.data.build as builddata

    _fake_sources(monkeypatch, tmp_path)
    monkeypatch.setenv("EPIC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(builddata, "DEFAULT_SOURCES", ("wordnet", "gcide"))
    default = builddata.default_train_data()
    other = builddata.default_train_data(sources="foldoc,jargon")
    assert default != other
    for folder, names in ((default, ["wordnet", "gcide"]), (other, ["foldoc", "jargon"])):
        assert [s["name"] for s in json.loads((folder / "manifest.json").read_text())["sources"]] == names
    stamp = (default / "manifest.json").stat().st_mtime_ns
    assert builddata.default_train_data() == default and (default / "manifest.json").stat().st_mtime_ns == stamp
    # a folder under the default's name that holds other sources is rebuilt, never trained on
    shutil.rmtree(default)
    shutil.copytree(other, default)
    builddata.default_train_data()
    assert [s["name"] for s in json.loads((default / "manifest.json").read_text())["sources"]] == ["wordnet", "gcide"]


def test_choose_sources_expands_default_and_all_and_keeps_catalog_order():
    from epic.data.build import DEFAULT_SOURCES, choose_sources
    from epic.data.catalog import SOURCES

    assert choose_sources() == choose_sources("default") == DEFAULT_SOURCES
    assert choose_sources("all") == SOURCES
    assert choose_sources("default,foldoc") == tuple(s for s in SOURCES if s in {*DEFAULT_SOURCES, "foldoc"})
    assert choose_sources("sotu, brown") == choose_sources(("brown", "sotu")) == ("brown", "sotu")
    assert choose_sources("all", without=DEFAULT_SOURCES) == tuple(s for s in SOURCES if s not in DEFAULT_SOURCES)
    with pytest.raises(ValueError, match="no source left"):
        choose_sources("sotu", without=("sotu",))


def test_a_damaged_cached_training_table_is_built_again(tmp_path, capsys):
    from train_fixtures import write_train_set

    from epic.data.train_data import load_train_data

    data = write_train_set(tmp_path / "data")
    first = load_train_data(data)
    table, rows = first.examples.path, [tuple(e.pos) for e in first.examples]
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])  # a half-written cache file
    again = load_train_data(data)
    assert again.examples.path == table and [tuple(e.pos) for e in again.examples] == rows
    assert f"the training table {table} is damaged; building it again" in capsys.readouterr().err
