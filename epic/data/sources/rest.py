"""reStructuredText inline markup (with Sphinx roles) as the plain text it reads as.

``literals`` are kept verbatim; a role or interpreted text reads as its explicit title, else as its
target made readable (``:class:`~os.PathLike``` → ``PathLike``, ``:pep:`8``` → ``PEP 8``); ``:ref:`` and
``:doc:`` without a title read as the title they point at, looked up in a table of labels. Emphasis,
substitutions, footnote and reference marks are dropped, escapes resolved, whitespace collapsed.
"""

from __future__ import annotations

import posixpath
import re

from ..documents import clean

_TOKEN = re.compile(r"``(?P<lit>.+?)``|(?P<role>:[a-zA-Z][\w:.+-]*:)?`(?P<text>[^`]+?)`(?P<ref>__?)?")
_TITLED = re.compile(r"(.*?)\s*<([^<>]+)>$", re.S)


def inline(text: str, labels: dict[str, str], path: str) -> str:
    """reST inline markup to plain text, whitespace collapsed. ``labels`` maps a lower-cased label to its
    section title and ``doc:<page>`` to a page's title; ``path`` = the page's (``:doc:`` is relative to it)."""
    out, end = [], 0
    for m in _TOKEN.finditer(text):
        out.append(_plain(text[end : m.start()]))
        if m.group("lit") is not None:
            out.append(m.group("lit"))
        else:
            out.append(_role(m.group("role") or "", m.group("text"), labels, path))
        end = m.end()
    out.append(_plain(text[end:]))
    return clean("".join(out))


def _role(role: str, text: str, labels: dict[str, str], path: str) -> str:
    """What a role or interpreted text reads as: its explicit title, else its target made readable."""
    role = role.strip(":").split(":")[-1].lower()
    titled = _TITLED.match(text)
    if titled and titled.group(1):
        return titled.group(1)
    target = re.sub(r"\\(.)", r"\1", text.strip().lstrip("!"))
    if role in ("pep", "rfc"):
        return f"{role.upper()} {target.split('#')[0]}"
    if role == "ref":
        return labels.get(target.lower(), target)
    if role == "doc":
        page = target[1:] if target.startswith("/") else posixpath.join(posixpath.dirname(path), target)
        return labels.get("doc:" + posixpath.normpath(page), target)
    if target.startswith("~"):
        return target[1:].split(".")[-1]
    return target.replace("{", "").replace("}", "") if role == "samp" else target


def _plain(text: str) -> str:
    """Text outside literals and roles: emphasis, substitutions, footnotes and reference marks removed."""
    text = re.sub(r"\s*\[#?[\w-]*\]_", "", text).replace("\\*", "\0")  # an escaped star is no emphasis
    text = re.sub(r"\|[\w-]+\|_?", "", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text, flags=re.S)
    text = re.sub(r"(?<![\w*\\])\*([^\s*](?:[^*]*?[^\s*\\])?)\*(?![\w*])", r"\1", text, flags=re.S)
    text = re.sub(r"\b([A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*)__?(?!\w)", r"\1", text)
    text = text.replace("---", "—").replace("\\ ", "")
    return re.sub(r"\\(.)", r"\1", text).replace("\0", "*")
