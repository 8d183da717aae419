"""The Perl 5.36 manual (Debian ``perl-doc``): the ``perl*.pod`` pages of perldoc, the perlfaqs included.

Format: ``usr/share/perl/5.36.0/pod/*.pod``, Plain Old Documentation, read here with the standard library:
paragraphs separated by blank lines, each a command (``=head1``..``=head4``, ``=over``/``=item``/``=back``,
``=begin``/``=end``, ``=for``, ``=pod``/``=cut``/``=encoding``), a verbatim block (indented: code) or
ordinary text with formatting codes (``C<...>``, ``L<text|target>``, ``E<lt>``, ``C<< ... >>``, nested).

One document a file: id = the file name, title = the NAME line (``perlfaq4 - Data Manipulation``), group
= ``perlfaq`` for ``perlfaq*.pod``, ``perlfunc`` for perlfunc, else ``perl``. Sections follow the
headings (a perlfaq ``=head2`` is a question, so question → answer). A labelled ``=item`` (not a bullet
or a number: a function signature such as ``push ARRAY,LIST``, a variable, an option, a glossary term,
a question) opens its own section headed by its label, consecutive labels joined by ``; ``; the items
nested in its description, and bullets and numbers, add their prose to the current section, bullets and
numbers only when at least 8 words long. Formatting codes become their text: ``L<text|target>`` → text,
``L<name/"sec">`` → ``"sec" in name``, ``E<...>`` → its character, ``X<>``/``Z<>`` → nothing.

Dropped: verbatim paragraphs (code), ``=begin``/``=end`` and ``=for`` blocks, text outside POD (before
the first command, after ``=cut``), paragraphs that are only links (``L<chomp>, L<chop>, ...``), credits
("(contributed by brian d foy)"), the NAME, VERSION, AUTHOR(S), COPYRIGHT, LICENSE, SEE ALSO, DATE,
ACKNOWLEDGEMENTS and CREDITS sections (names, dates, links, licence text), and perlfaq.pod's TABLE OF
CONTENTS and THE QUESTIONS (an index repeating the perlfaqs' questions).

Exclusions: ``perl5*delta.pod`` and its copy ``perldelta.pod`` (changelogs), ``perlhist.pod`` (a release
table), ``perltoc.pod`` (a generated table of contents), ``perlgpl.pod`` and ``perlartistic.pod``
(licence texts), and the translated guides ``perlcn``, ``perljp``, ``perlko``, ``perltw`` (not English).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..documents import Document, Section, clean
from . import Package, Source

SOURCE = Source(
    "perl_docs",
    "the Perl 5.36 manual (perldoc)",
    "technical docs",
    "GPL-1+ or Artistic",
    Package("deb", "perl-doc", ""),
)
POD_DIR = "usr/share/perl/5.36.0/pod"
EXCLUDED = re.compile(r"perl5\w*delta|perldelta|perlhist|perltoc|perlgpl|perlartistic|perlcn|perljp|perlko|perltw")
BOILERPLATE = re.compile(  # =head1 sections of names, dates, links and licence text; perlfaq's index of questions
    r"NAME|VERSION|AUTHORS?|(AUTHOR AND )?COPYRIGHT.*|LICEN[CS]E|SEE ALSO|DATE|ACKNOWLEDGE?MENTS|CREDITS"
    r"|TABLE OF CONTENTS|THE QUESTIONS"
)
MIN_ITEM_WORDS = 8  # a shorter bullet is a name or a fragment, not prose
MAX_NAMES = 4  # perlapi gives up to 50 macros one description: a heading names the first few

_CODE = re.compile(r"([A-Z])(<+)")
_CLOSE = {n: re.compile(r"\s+" + ">" * n) for n in range(2, 6)}
_ESCAPES = {"lt": "<", "gt": ">", "sol": "/", "verbar": "|", "quot": '"', "amp": "&", "apos": "'"}
_LINKS_ONLY = re.compile(r"[\W\d_]*(?:\b(?:and|or|see|also)\b[\W\d_]*)*", re.I)


def _escape(name: str) -> str:
    """``E<name>``: a named, decimal or hex character."""
    if name in _ESCAPES:
        return _ESCAPES[name]
    if re.fullmatch(r"0x[0-9a-fA-F]+|\d+", name):  # hex, octal (a leading 0) or decimal
        return chr(int(name, 16 if name.startswith("0x") else 8 if name.startswith("0") else 10))
    return html.unescape(f"&{name};")


def _link(inner: str) -> str:
    """``L<...>``: its text, else ``"sec" in page``, ``"sec"`` or the page/URL it names."""
    if "|" in inner:
        return inner.split("|", 1)[0]
    if re.match(r"\w+:[^:\s]", inner):  # a URL
        return inner
    page, slash, section = inner.partition("/")
    if not slash:
        return page
    section = section.strip('"')
    return f'"{section}" in {page}' if page else f'"{section}"'


def _parse(text: str, i: int, depth: int, links: bool) -> tuple[str, int]:
    """Formatting codes from ``i`` to the closer of the code being read (``depth`` angles; 0: none)."""
    out = []
    while i < len(text):
        if depth == 1 and text[i] == ">":
            return "".join(out), i + 1
        if depth >= 2 and (close := _CLOSE[min(depth, 5)].match(text, i)):
            return "".join(out), close.end()
        code = _CODE.match(text, i)
        if code is None:
            out.append(text[i])
            i += 1
            continue
        multi = len(code.group(2)) >= 2 and code.end() < len(text) and text[code.end()].isspace()
        inner, i = _parse(text, code.end() if multi else i + 2, len(code.group(2)) if multi else 1, links)
        inner = inner.strip() if multi else inner
        letter = code.group(1)
        if letter == "L":
            out.append(_link(inner) if links else "")
        elif letter == "E":
            out.append(_escape(inner))
        elif letter not in "XZ":
            out.append(inner)
    return "".join(out), i


def _text(pod: str, links: bool = True) -> str:
    """A paragraph's formatting codes as plain text, whitespace collapsed."""
    return clean(_parse(pod, 0, 0, links)[0])


@dataclass
class _List:
    """An ``=over`` list: the heading around it, whether an item of it opened a section, its item's kind."""

    outer: str
    opened: bool = False
    kind: str = ""  # "bullet", "label" (opened a section) or "nested" (a label inside another's description)


@dataclass
class _Page:
    """The parser's state for one file: its sections so far, where it is in headings and lists."""

    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    heading: str = ""
    lists: list[_List] = field(default_factory=list)
    labels: bool = False  # a labelled item opened the last section and no text followed yet

    def start(self, heading: str) -> None:
        self.heading, self.labels = heading, False
        self.sections.append((heading, []))

    def add(self, pod: str) -> None:
        text = _text(pod)
        short = bool(self.lists) and self.lists[-1].kind == "bullet" and len(text.split()) < MIN_ITEM_WORDS
        credit = re.fullmatch(r"\((?:contributed|written|updated) by [^()]*\)\.?", text, re.I)  # perlfaq credits
        if text and not short and not credit and not _LINKS_ONLY.fullmatch(_text(pod, links=False)):
            if not self.sections:
                self.start(self.heading)
            self.sections[-1][1].append(text)
            self.labels = False

    def item(self, label: str) -> None:
        """An ``=item``: a bullet or number adds its text; a label opens a section unless nested in one."""
        if not self.lists:
            self.lists.append(_List(self.heading))
        frame = self.lists[-1]
        bullet = re.fullmatch(r"(?:[*o•-]|\d+[.)]?|\[\d+\])(?:\s+(.*))?", label, re.S)
        if bullet:
            frame.kind = "bullet"
            if bullet.group(1):
                self.add(bullet.group(1))
        elif any(outer.kind == "label" for outer in self.lists[:-1]):
            frame.kind = "nested"  # part of the enclosing item's description
        elif self.labels:  # one more name for the same description: "prototype FUNCTION; prototype"
            if self.heading.count("; ") < MAX_NAMES - 1:
                self.heading = f"{self.heading}; {_text(label)}"
                self.sections[-1] = (self.heading, [])
        else:
            frame.kind, frame.opened = "label", True
            self.start(_text(label))
            self.labels = True

    def back(self) -> None:
        """``=back``: the list ends, and text after it is under the heading around it again."""
        frame = self.lists.pop() if self.lists else _List(self.heading)
        if frame.opened:
            self.start(frame.outer)


def _paragraphs(text: str) -> list[str]:
    """A POD file's paragraphs (blank-line separated; whitespace-only lines count as blank)."""
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")) if p.strip()]


def _pod(path: Path) -> list[Document]:
    """One POD file as a document (a one-item list), or none when it has no prose."""
    raw = path.read_bytes()
    declared = re.search(rb"^=encoding\s+(\S+)", raw, re.M)
    try:
        text = raw.decode(declared.group(1).decode() if declared else "utf-8")
    except (UnicodeDecodeError, LookupError):
        text = raw.decode("latin-1")  # POD's default for files that declare nothing and are not UTF-8
    page, title, head1, skip = _Page(), "", "", "=cut"  # text before the first command is not POD
    for para in _paragraphs(text):
        if skip == "=cut" and re.match(r"=[a-zA-Z]", para):  # POD again after code
            skip = None
        elif skip is not None:  # inside =begin ... =end, or after =cut
            skip = None if para.startswith(skip) else skip
            continue
        command = re.match(r"=(\w+)\s*(.*)", para, re.S)
        if command is None:
            page.labels = False  # the items before have text (kept or not): the next label is a new section
            if para[0] in " \t" or BOILERPLATE.fullmatch(head1):
                title = title or (_text(para) if head1 == "NAME" else "")
                continue  # verbatim (code), or a boilerplate section
            page.add(para)
            continue
        name, arg = command.group(1), command.group(2).strip()
        if name.startswith("head"):
            head1 = _text(arg) if name == "head1" else head1
            page.lists = []
            page.start(_text(arg))
        elif name == "over":
            page.lists.append(_List(page.heading))
            page.labels = False
        elif name == "item" and not BOILERPLATE.fullmatch(head1):
            page.item(arg)
        elif name == "back":
            page.back()
        elif name == "begin":
            skip = "=end " + arg.split()[0] if arg else "=end"
        elif name == "cut":
            skip = "=cut"
    sections = tuple(Section(h, tuple(ps)) for h, ps in page.sections if ps)
    if not sections:
        return []
    stem = path.stem
    group = "perlfaq" if stem.startswith("perlfaq") else "perlfunc" if stem == "perlfunc" else "perl"
    return [Document(path.name, title, sections, group)]


def read(folder: Path | None = None) -> list[Document]:
    """Every POD page of the Perl manual but the exclusions, in file-name order; folder = the unpacked
    package root (default ``SOURCE.folder()``)."""
    pod_dir = SOURCE.path(POD_DIR, folder)
    files = sorted(p for p in pod_dir.glob("*.pod") if not EXCLUDED.fullmatch(p.stem))
    return [doc for path in files for doc in _pod(path)]
