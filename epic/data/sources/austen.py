"""Jane Austen's six novels (Debian ``r-cran-janeaustenr``, the CRAN package ``janeaustenr`` 1.0.0).

Format: ``usr/lib/R/site-library/janeaustenr/data/Rdata.{rdx,rdb}``, an R lazy-load database read
here without R. The ``.rdx`` is a gzip-compressed RDS stream (R's ``saveRDS`` default) of the index, a
list whose ``variables`` element maps each object name to ``(offset, length)`` in the ``.rdb``; each blob
there is a 4-byte big-endian length and a zlib stream of one serialized object (``compressed = TRUE``;
bzip2/xz databases are refused with a ValueError). :func:`unserialize` reads the XDR ("X") binary
serialization, versions 2 and 3, for the types such data holds; any other type is a ValueError naming the
file. Each novel is a character vector, one element a line of the Project Gutenberg text, ``""`` between
paragraphs.

One document a chapter: id = ``<object name>:<chapter number within the novel>`` (1, 2, ... across
volumes), title = ``"<novel>, <heading>"`` (``"Emma, VOLUME I, CHAPTER I"``: the volume is kept in the
heading where the novel has volumes, as chapter numbers restart in each), group = the novel's title.
Paragraphs are the lines between blank lines, joined and cleaned; Gutenberg's ``_italics_`` marks and
footnote stars are removed, its ``--`` becomes "—". Dialogue paragraphs are kept: they are the novels' prose.

Dropped: the title page, the author's "Advertisement" to Northanger Abbey and everything else before the
first chapter heading; everything from a closing "THE END"/"FINIS" line or the editor's "A NOTE ON THE
TEXT" on (with the footnote printed there); chapter and volume heading lines; the editors' bracketed
notes ("[At this point in the first and second editions, Volume 1 ends.]"); footnotes ("*Vide a
letter..."); fragments under 8 words (signatures, "ELLIOT OF KELLYNCH HALL.", short exclamations).
Exclusions: ``austen_books`` (where a database holds it: the same text again as a data frame) and any
object not one of the six novels.
"""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from pathlib import Path

from ..documents import Document, Section, clean
from . import Package, Source

SOURCE = Source(
    "austen",
    "Jane Austen's novels",
    "literature",
    "MIT (package); the novels are public domain",
    Package("deb", "r-cran-janeaustenr", ""),
)
DATA = "usr/lib/R/site-library/janeaustenr/data"
NOVELS = {  # object name -> title, in the package's (alphabetical) order
    "emma": "Emma",
    "mansfieldpark": "Mansfield Park",
    "northangerabbey": "Northanger Abbey",
    "persuasion": "Persuasion",
    "prideprejudice": "Pride and Prejudice",
    "sensesensibility": "Sense and Sensibility",
}
MIN_WORDS = 8  # a shorter paragraph is "THE END", a signature or a lone exclamation

_HEADING = re.compile(r"(?P<kind>CHAPTER|Chapter|VOLUME|Volume) +(?:[IVXLC]+|\d+)\.?")  # a whole line
_END = re.compile(r"THE END|FINIS|Finis|A NOTE ON THE TEXT")  # a whole line: the end, or an editor's afterword

# R's serialization: SEXP type codes and the special codes for shared singletons
SYM, LIST, CHAR, LGL, INT, REAL, STR, VEC, EXPR = 1, 2, 9, 10, 13, 14, 16, 19, 20
REF, NILVALUE, GLOBALENV, UNBOUND, MISSINGARG, BASENAMESPACE, EMPTYENV, BASEENV = 255, 254, 253, 252, 251, 247, 242, 241
NA_INT = -(2**31)
UTF8, LATIN1, BYTES, ASCII = 1 << 3, 1 << 2, 1 << 1, 1 << 6  # CHARSXP encoding bits of the "levels"


class RVector(list):
    """An R vector or list as a Python list, with its attributes (``names``...) by name."""

    def __init__(self, items: list, attributes: dict | None = None):
        super().__init__(items)
        self.attributes = attributes or {}


class _Reader:
    """One XDR serialization stream: a cursor, the reference table and the native encoding."""

    def __init__(self, data: bytes, name: str):
        self.data, self.pos, self.name, self.refs, self.encoding = data, 0, name, [], "utf-8"

    def ints(self, n: int) -> tuple[int, ...]:
        values = struct.unpack_from(f">{n}i", self.data, self.pos)
        self.pos += 4 * n
        return values

    def length(self) -> int:
        (n,) = self.ints(1)
        if n == -1:  # a long vector: the length in two more words
            high, low = self.ints(2)
            n = (high << 32) + (low & 0xFFFFFFFF)
        return n

    def header(self) -> None:
        if self.data[:2] != b"X\n":
            raise ValueError(f"{self.name}: not an XDR R serialization (starts {self.data[:2]!r})")
        self.pos = 2
        version, _, _ = self.ints(3)
        if version == 3:
            (n,) = self.ints(1)
            self.encoding = self.data[self.pos : self.pos + n].decode("ascii").lower()
            self.pos += n
        elif version != 2:
            raise ValueError(f"{self.name}: R serialization version {version} (2 or 3 expected)")

    def item(self):
        (flags,) = self.ints(1)
        kind, levels = flags & 0xFF, flags >> 12
        has_attr = flags & (1 << 9)
        if kind in (NILVALUE, GLOBALENV, UNBOUND, MISSINGARG, BASENAMESPACE, EMPTYENV, BASEENV):
            return None
        if kind == REF:
            index = flags >> 8 or self.ints(1)[0]
            return self.refs[index - 1]
        if kind == SYM:
            symbol = self.item()
            self.refs.append(symbol)
            return symbol
        if kind == LIST:
            return self.pairlist(flags)
        if kind == CHAR:
            return self.string(levels)
        if kind in (LGL, INT):
            values = [None if v == NA_INT else v for v in self.ints(self.length())]
        elif kind == REAL:
            n = self.length()
            values = list(struct.unpack_from(f">{n}d", self.data, self.pos))
            self.pos += 8 * n
        elif kind in (STR, VEC, EXPR):
            values = [self.item() for _ in range(self.length())]
        else:
            raise ValueError(f"{self.name}: R object type {kind} at byte {self.pos - 4} is not supported")
        return RVector(values, self.pairlist_attributes() if has_attr else None)

    def string(self, levels: int) -> str | None:
        n = self.ints(1)[0]
        if n == -1:
            return None  # NA_STRING
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        if levels & (UTF8 | ASCII):
            return raw.decode("utf-8")
        if levels & (LATIN1 | BYTES):
            return raw.decode("latin-1")
        return raw.decode(self.encoding)

    def pairlist(self, flags: int) -> dict:
        """A pairlist (read iteratively: it may be long) as ``{tag: value}``; untagged cells get their index."""
        out: dict = {}
        while True:
            if flags & (1 << 9):
                self.pairlist_attributes()  # a pairlist cell's own attributes: never used here
            tag = self.item() if flags & (1 << 10) else len(out)
            out[tag] = self.item()
            (flags,) = self.ints(1)
            if flags & 0xFF == NILVALUE:
                return out
            if flags & 0xFF != LIST:
                raise ValueError(f"{self.name}: a pairlist ends in type {flags & 0xFF}")

    def pairlist_attributes(self) -> dict:
        (flags,) = self.ints(1)
        if flags & 0xFF != LIST:
            raise ValueError(f"{self.name}: attributes of type {flags & 0xFF} (a pairlist expected)")
        return self.pairlist(flags)


def unserialize(data: bytes, name: str = "<data>"):
    """The R object in an XDR serialization (``name`` is for error messages)."""
    reader = _Reader(data, name)
    reader.header()
    return reader.item()


def read_objects(data_dir: Path, base: str = "Rdata") -> dict[str, object]:
    """Every object of the lazy-load database ``data_dir/base.{rdx,rdb}``, by name, in index order."""
    rdx, rdb = data_dir / f"{base}.rdx", data_dir / f"{base}.rdb"
    raw = rdx.read_bytes()
    index = unserialize(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw, str(rdx))
    parts = dict(zip(index.attributes["names"], index))
    if parts.get("compressed") not in ([True], [1]):
        raise ValueError(f"{rdx}: compression {parts.get('compressed')} (only zlib, TRUE, is read)")
    blob, out = rdb.read_bytes(), {}
    for name, (offset, length) in zip(parts["variables"].attributes["names"], parts["variables"]):
        out[name] = unserialize(zlib.decompress(blob[offset + 4 : offset + length]), f"{rdb}[{name}]")
    return out


def _paragraphs(lines: list[str]) -> list[str]:
    """Runs of non-blank lines joined and cleaned, fragments dropped; ``_italics_`` marks removed and
    Gutenberg's ``--`` made the dash it stands for."""
    paras = [clean(p.replace("--", "—").replace("_", "")) for p in re.split(r"\n\s*\n", "\n".join(lines))]
    paras = [re.sub(r"(?<=\S)\*", "", p) for p in paras if not p.startswith(("*", "["))]  # footnotes, notes
    return [p for p in paras if len(p.split()) >= MIN_WORDS]


def chapters(name: str, lines: list[str]) -> list[Document]:
    """The chapters of one novel's lines (``None``, R's NA, read as blank): what comes before the first
    chapter heading and from the end mark on is dropped."""
    novel, volume, heads, bodies = NOVELS[name], "", [], []
    for line in lines:
        line = (line or "").strip()
        if _END.fullmatch(line):
            break
        heading = _HEADING.fullmatch(line)
        if heading and heading["kind"].upper() == "VOLUME":
            volume = line.rstrip(".")
        elif heading:
            heads.append(", ".join(filter(None, [volume, line.rstrip(".")])))
            bodies.append([])
        elif bodies:
            bodies[-1].append(line)
    return [
        Document(f"{name}:{i}", f"{novel}, {head}", (Section("", tuple(_paragraphs(body))),), novel)
        for i, (head, body) in enumerate(zip(heads, bodies), 1)
    ]


def read(folder: Path | None = None) -> list[Document]:
    """Every chapter of the six novels, novel by novel in the database's order, chapter by chapter;
    ``folder`` = the unpacked package root (default ``SOURCE.folder()``)."""
    data_dir = SOURCE.path(DATA, folder)
    for part in ("rdx", "rdb"):
        SOURCE.path(f"{DATA}/Rdata.{part}", folder)
    return [doc for name, lines in read_objects(data_dir).items() if name in NOVELS for doc in chapters(name, lines)]
