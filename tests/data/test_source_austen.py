"""The Jane Austen reader, on a small R lazy-load database (``Rdata.rdx``/``Rdata.rdb``) serialized here
the way R writes one: XDR big-endian, a gzip index and zlib blobs behind a 4-byte length."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import pytest

from epic.data.documents import Document, Section
from epic.data.sources.austen import DATA, read, read_objects, unserialize

NIL = 254  # what ends a pairlist
ASCII, UTF8, LATIN1 = 64, 8, 4


def ints(*values: int) -> bytes:
    return struct.pack(f">{len(values)}i", *values)


def header(version: int) -> bytes:
    """``X\\n``, the format version, R's version, the oldest R that reads it (and, in version 3, the encoding)."""
    return (
        b"X\n"
        + ints(version, 0x040201, 0x030500 if version == 3 else 0x020300)
        + (ints(5) + b"UTF-8" if version == 3 else b"")
    )


def charsxp(text: str | None, levels: int = UTF8) -> bytes:
    if text is None:
        return ints(9, -1)  # NA_STRING
    data = text.encode("latin-1" if levels == LATIN1 else "utf-8")
    return ints(9 | levels << 12, len(data)) + data


class Ser:
    """Writes R objects as R does, symbols the first time and references after that."""

    def __init__(self):
        self.symbols: list[str] = []

    def symbol(self, name: str) -> bytes:
        if name in self.symbols:
            return ints((self.symbols.index(name) + 1) << 8 | 255)
        self.symbols.append(name)
        return ints(1) + charsxp(name, ASCII)

    def attributes(self, attrs: dict[str, bytes]) -> bytes:
        return b"".join(ints(2 | 1 << 10) + self.symbol(tag) + value for tag, value in attrs.items()) + ints(NIL)

    def vector(self, kind: int, items: list[bytes], attrs: dict[str, bytes] | None = None) -> bytes:
        flags = kind | (1 << 9 if attrs else 0)
        return ints(flags, len(items)) + b"".join(items) + (self.attributes(attrs) if attrs else b"")

    def strings(self, texts: list, attrs: dict[str, bytes] | None = None, levels: int = UTF8) -> bytes:
        return self.vector(16, [charsxp(t, levels if t and not t.isascii() else ASCII) for t in texts], attrs)


def write_database(root: Path, objects: dict[str, bytes]) -> Path:
    """``Rdata.rdb`` (each object: its length, then zlib) and the gzip-compressed ``Rdata.rdx`` index."""
    folder = root / DATA
    folder.mkdir(parents=True)
    blob, offsets = b"", []
    for raw in objects.values():
        packed = ints(len(raw)) + zlib.compress(raw)
        offsets.append((len(blob), len(packed)))
        blob += packed
    (folder / "Rdata.rdb").write_bytes(blob)
    s = Ser()
    names = s.strings(list(objects))
    variables = s.vector(19, [ints(13, 2, *pair) for pair in offsets], {"names": names})
    index = s.vector(
        19,
        [variables, s.vector(19, [], {"names": s.strings([])}), ints(10, 1, 1)],
        {"names": s.strings(["variables", "references", "compressed"])},
    )
    (folder / "Rdata.rdx").write_bytes(gzip.compress(header(3) + index))
    return folder


EMMA = [
    "EMMA", "", "By Jane Austen", "", "", "VOLUME I", "", "", "CHAPTER I", "", "",
    "Emma Woodhouse, handsome, clever, and rich, with a comfortable home",
    "and happy disposition, seemed to unite some of the best blessings of",
    "existence.", "",
    '"Poor Miss Taylor!--I wish she were here again."', "",
    "Between _them_ it was more the intimacy of sisters than of a governess.", "", "", "",
    "CHAPTER II", "", "",
    "Mr. Weston was a native of Highbury, and born of a respectable family.", None, "",
    "VOLUME II", "", "CHAPTER I", "",
    "Emma and Harriet had been walking together one morning, and, in Emma's",
    "opinion, had been talking enough of Mr. Elton for that day.", "",
    "[End volume one of this edition. Printed by T. and A. Constable, Printers]", "",
    "Her income was very small; she cost her \u00a3100 a year, it was said.", "", "", "FINIS",
    "This line after the end is never read by anyone at all.",
]  # fmt: skip
PERSUASION = [
    "Persuasion", "", "by", "", "Jane Austen", "", "(1818)", "", "ADVERTISEMENT BY THE AUTHORESS, TO PERSUASION",
    "", "THIS little work was finished in the year 1816, and intended for immediate publication.", "",
    "Chapter 1", "", "",
    "Sir Walter Elliot, of Kellynch Hall, in Somersetshire, was a man who,",
    "for his own amusement, never took up any book but the Baronetage;* there", "",
    '           "ELLIOT OF KELLYNCH HALL.', "", "*Vide the Baronetage of England, by Debrett, No. 97, Vol. II.", "",
    "Chapter 2", "", "Mr Shepherd, a civil, cautious lawyer, who, whatever might be his hold", "",
    "A NOTE ON THE TEXT", "", "Persuasion was written in 1815-16 and published after the author's death.",
]  # fmt: skip


def austen_books(s: Ser) -> bytes:
    """The package's tidy data frame: a list of columns with names, class and compact row names."""
    return s.vector(
        19,
        [s.strings(["Emma Woodhouse, handsome, clever, and rich, and happy too, it is said"]), s.strings(["Emma"])],
        {"names": s.strings(["text", "book"]), "class": s.strings(["data.frame"]), "row.names": ints(13, 2, -(2**31), -1)},
    )  # fmt: skip


@pytest.fixture
def package(tmp_path: Path) -> Path:
    s = Ser()
    emma = header(3) + s.strings(EMMA, levels=LATIN1)  # one line in latin-1, R's CHARSXP encoding bit says so
    books = header(3) + austen_books(Ser())
    persuasion = header(2) + Ser().strings(PERSUASION)  # an older, version-2 serialization
    write_database(tmp_path, {"austen_books": books, "emma": emma, "persuasion": persuasion})
    return tmp_path


def section(*paragraphs: str) -> tuple[Section, ...]:
    return (Section("", paragraphs),)


def test_reads_chapters_of_each_novel(package: Path) -> None:
    assert read(package) == [
        Document(
            "emma:1",
            "Emma, VOLUME I, CHAPTER I",
            section(
                "Emma Woodhouse, handsome, clever, and rich, with a comfortable home and happy disposition, seemed "
                "to unite some of the best blessings of existence.",
                '"Poor Miss Taylor!—I wish she were here again."',
                "Between them it was more the intimacy of sisters than of a governess.",
            ),
            "Emma",
        ),
        Document(
            "emma:2",
            "Emma, VOLUME I, CHAPTER II",
            section("Mr. Weston was a native of Highbury, and born of a respectable family."),
            "Emma",
        ),
        Document(
            "emma:3",
            "Emma, VOLUME II, CHAPTER I",
            section(
                "Emma and Harriet had been walking together one morning, and, in Emma's opinion, had been talking "
                "enough of Mr. Elton for that day.",
                "Her income was very small; she cost her £100 a year, it was said.",
            ),
            "Emma",
        ),
        Document(
            "persuasion:1",
            "Persuasion, Chapter 1",
            section(
                "Sir Walter Elliot, of Kellynch Hall, in Somersetshire, was a man who, for his own amusement, never "
                "took up any book but the Baronetage; there"
            ),
            "Persuasion",
        ),
        Document(
            "persuasion:2",
            "Persuasion, Chapter 2",
            section("Mr Shepherd, a civil, cautious lawyer, who, whatever might be his hold"),
            "Persuasion",
        ),
    ]


def test_drops_front_and_back_matter_notes_and_the_data_frame(package: Path) -> None:
    text = " ".join(p for doc in read(package) for p in doc.paragraphs)
    for junk in ("By Jane Austen", "ADVERTISEMENT", "THIS little work", "FINIS", "after the end", "NOTE ON THE TEXT",
                 "written in 1815", "Vide", "KELLYNCH HALL.", "[", "*", "_", "--", "VOLUME", "CHAPTER"):  # fmt: skip
        assert junk not in text
    assert {doc.id.split(":")[0] for doc in read(package)} == {"emma", "persuasion"}  # not austen_books


def test_unserializes_what_r_writes(package: Path) -> None:
    objects = read_objects(package / DATA)
    assert list(objects) == ["austen_books", "emma", "persuasion"]
    assert objects["emma"] == EMMA  # NA_STRING read as None, the latin-1 line decoded as such
    assert objects["persuasion"] == PERSUASION
    books = objects["austen_books"]
    assert books.attributes["names"] == ["text", "book"]
    assert books.attributes["class"] == ["data.frame"]
    assert books.attributes["row.names"] == [None, -1]  # NA_integer_ read as None
    assert unserialize(header(3) + ints(14, 2) + struct.pack(">2d", 1.5, -2.0)) == [1.5, -2.0]


def test_unknown_type_is_a_clear_error(tmp_path: Path) -> None:
    write_database(tmp_path, {"emma": header(3) + ints(4, 0)})  # an environment
    with pytest.raises(ValueError, match=r"Rdata\.rdb\[emma\].*type 4"):
        read(tmp_path)


def test_deterministic(package: Path) -> None:
    assert read(package) == read(package)


def test_missing_package_names_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch austen"):
        read(tmp_path / "nowhere")
