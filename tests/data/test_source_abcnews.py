"""The ABC news reader, on a small ``lee_background.cor`` written here in the real file's format: one
story a line, each ending in a space, double spaces inside, no newline after the last story, and a
story filed twice (word for word, and again with a corrected ending)."""

from __future__ import annotations

from pathlib import Path

import pytest

from epic.data.documents import Document, Section
from epic.data.sources.abcnews import LEE, read

BUSHFIRE = (
    "Hundreds of people have been forced to vacate their homes in the Southern Highlands of New South Wales as "
    "strong winds today pushed a huge bushfire towards the town of Hill Top. A new blaze near Goulburn, south-west "
    "of Sydney, has forced the closure of the Hume Highway.  At about 4:00pm AEDT, a marked deterioration in the "
    "weather forced authorities to evacuate people from homes at Hill Top. "
)
CRICKET = (
    "Australian cricket captain Steve Waugh has supported fast bowler Brett Lee after criticism of his intimidatory "
    "bowling to the South African tailenders in the first Test in Adelaide earlier this month. Lee was fined for "
    'giving a send off to the South African batsman. "He is a fast bowler and he is going to bowl fast," Waugh said. '
)
SWIMMING = (
    "Australian swimmers have won nine of the 12 events contested at the skins swimming event in Sydney last night. "
    "The 50 metres races were swum in an elimination format with four races to determine the overall winner. Geoff "
    "Huegill won the 50 metres butterfly in 24.21 seconds and is looking forward to the World Cup event tomorrow. "
)
SWIMMING_CORRECTED = SWIMMING.replace("looking forward to the World Cup event tomorrow", "looking forward to Melbourne")


def write_corpus(root: Path) -> Path:
    path = root / LEE
    path.parent.mkdir(parents=True)
    lines = [BUSHFIRE, CRICKET, SWIMMING, CRICKET, SWIMMING_CORRECTED]
    path.write_bytes("\n".join(lines).rstrip(" ").encode("ascii"))  # the real file ends without a newline
    return root


def test_reads_stories_exactly(tmp_path: Path) -> None:
    assert read(folder=write_corpus(tmp_path)) == [
        Document("abc:1", "", (Section("", (BUSHFIRE.replace("  ", " ").strip(),)),), group="abc"),
        Document("abc:2", "", (Section("", (CRICKET.strip(),)),), group="abc"),
        Document("abc:3", "", (Section("", (SWIMMING.strip(),)),), group="abc"),
    ]


def test_repeated_stories_are_dropped_and_ids_keep_line_numbers(tmp_path: Path) -> None:
    docs = read(folder=write_corpus(tmp_path))
    assert [d.id for d in docs] == ["abc:1", "abc:2", "abc:3"]  # lines 4 and 5 repeat lines 2 and 3
    assert not any("looking forward to Melbourne" in p for d in docs for p in d.paragraphs)
    assert all(d.title == "" and len(d.paragraphs) == 1 and "  " not in d.paragraphs[0] for d in docs)


def test_deterministic(tmp_path: Path) -> None:
    root = write_corpus(tmp_path)
    assert read(folder=root) == read(folder=root)


def test_missing_folder_names_fetch(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch abcnews"):
        read(folder=tmp_path / "nowhere")
