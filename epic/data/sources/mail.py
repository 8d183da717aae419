"""The text of an RFC 822 message, parsed with :mod:`email`: decoded headers and a plain-text body.

Body = the ``text/plain`` parts, not attachments; else the HTML parts without tags (a blank line at each
block element, scripts and styles left out). Charsets: the declared one (Latin-1 as cp1252), else UTF-8,
else cp1252 with replacements. What a source keeps of that text is the source's own business.
"""

from __future__ import annotations

import codecs
import email.header
from email.message import Message
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr"}
_HIDDEN = ("script", "style", "title")


def header_text(msg: Message, name: str) -> str:
    """A header as text, RFC 2047 words decoded (``compat32`` keeps malformed Message-IDs whole)."""
    parts = email.header.decode_header(str(msg.get(name, "")))
    return "".join(c if isinstance(c, str) else decode(c, charset) for c, charset in parts)


def decode(data: bytes, charset: str | None) -> str:
    """Bytes as text: the declared charset if it decodes them, else UTF-8, else cp1252 with replacements."""
    for name in (charset, "utf-8"):
        try:
            if name and codecs.lookup(name).name != "ascii":  # 8-bit text labelled ASCII is not
                return data.decode("cp1252" if codecs.lookup(name).name == "iso8859-1" else name)
        except (LookupError, UnicodeDecodeError):
            pass
    return data.decode("cp1252", errors="replace")


def body_text(msg: Message) -> tuple[str, bool]:
    """The message's ``text/plain`` parts (not attachments), else its HTML parts without the tags; and
    whether it is the latter. Line ends are ``\\n``."""
    parts: dict[str, list[str]] = {"text/plain": [], "text/html": []}
    for part in msg.walk():
        if (
            part.is_multipart()
            or part.get_filename()
            or str(part.get("Content-Disposition", "")).lower().startswith("attach")
        ):
            continue
        if part.get_content_type() in parts:
            text = decode(part.get_payload(decode=True) or b"", part.get_content_charset())
            parts[part.get_content_type()].append(text)
    plain, markup = parts["text/plain"], parts["text/html"]
    text = "\n\n".join(plain) if plain else "\n\n".join("".join(_TextOf(m).out) for m in markup)
    return text.replace("\r\n", "\n").replace("\r", "\n"), not plain


class _TextOf(HTMLParser):
    """The text of an HTML document, a blank line at each block element, scripts and styles left out."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.out, self.hidden = [], 0
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.hidden += tag in _HIDDEN
        self.out.append("\n\n" * (tag in _BLOCKS))

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in _HIDDEN and self.hidden > 0
        self.out.append("\n\n" * (tag in _BLOCKS))

    def handle_data(self, data: str) -> None:
        self.out.append("" if self.hidden else data.replace("\n", " "))
