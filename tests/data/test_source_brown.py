"""The Brown Corpus reader, on a small package written here in the corpus's tagged format."""

from __future__ import annotations

from pathlib import Path

import pytest

from epic.data.documents import Document, Section
from epic.data.sources import brown

# a press sample: a lead, a subhead, a dateline story, a list label, doubled ends and an inline dash list
NEWS = (
    "\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn "
    "produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./.\n"
    "Was/bedz it/pps fair/jj ?/. ?/.\n"
    "\n\n\t``/`` Only/rb a/at relative/jj handful/nn ''/'' ,/, the/at jury/nn said/vbd ,/, ``/`` was/bedz "
    "received/vbn ''/'' ./.\n"
    "\n\n\n"
    "Merger/nn-hl proposed/vbn-hl \n"
    "However/wrb ,/, the/at jury/nn said/vbd it/pps believes/vbz these/dts two/cd offices/nns should/md "
    "be/be combined/vbn ;/. ;/.\n"
    "and/cc Mayor/nn-tl Ivan/np Allen/np Jr./np ./.\n"
    "agreed/vbd ./.\n"
    "Austin/np-hl ,/,-hl Texas/np-hl \n"
    "--/-- Committee/nn approval/nn of/in the/at ``/`` abandoned/vbn property/nn ''/'' act/nn seemed/vbd "
    "certain/jj Thursday/nr ./.\n"
    "\n\n\tIt/pps called/vbd for/in :/: \n"
    "\n\t--/-- new/jj schools/nns \n"
    "\n\t--/-- and/cc higher/jjr pay/nn ./.\n"
    "\n\n"
    "(/(-hl B/np-hl )/)-hl \n"
    "\n\n\tThe/at pipe/nn ,/, 1/2''/nns ''/'' wide/jj ,/, carries/vbz water/nn and/or/cc oil/nn ./.\n"
    "\n\n\tThe/at value/nn of/in Af/nn was/bedz computed/vbn for/in each/dt run/nn ./.\n"
    "\n\n\tGovernor/nn-tl \n"
)

# a fiction sample opening with a headline (its title) followed by the headline's stray stop
FICTION = (
    "Thirty-three/cd-hl \n"
    "./.\n"
    "\n\n\tmy/pp$ brother/nn said/vbd ,/, ``/`` We're/ppss+ber getting/vbg more/ap '/' pro/nn '/' letters/nns "
    "than/cs '/' con/nn '/' ''/'' ./.\n"
    "He/pps laughed/vbd ./.\n"
    "\n\n\t``/`` Who/wps is/bez there/rb ''/'' ?/. ?/.\n"
    "She/pps waited/vbd ./.\n"
)

REVIEW = "\n\n\tThe/at play/nn is/bez a/at triumph/nn of/in staging/vbg and/cc wit/nn ./.\n"


def write_package(root: Path) -> Path:
    package = root / "package"
    package.mkdir(parents=True)
    (package / "cats.txt").write_text("cn01 adventure\nca01 news\ncc01 reviews\n", encoding="utf-8")
    (package / "ca01").write_text(NEWS, encoding="utf-8")
    (package / "cc01").write_text(REVIEW, encoding="utf-8")
    (package / "cn01").write_text(FICTION, encoding="utf-8")
    (package / "categories.pickle").write_bytes(b"\x80\x04 never unpickled")
    (package / "README").write_text("BROWN CORPUS\n", encoding="utf-8")
    return root


def test_reads_documents(tmp_path: Path) -> None:
    docs = brown.read(folder=write_package(tmp_path))
    assert docs == [
        Document(
            "ca01",
            "",
            (
                Section(
                    "",
                    (
                        'The Fulton County Grand Jury said Friday an investigation produced "no evidence" that any '
                        "irregularities took place. Was it fair?",
                        '"Only a relative handful," the jury said, "was received."',
                    ),
                ),
                Section(
                    "Merger proposed",
                    (
                        "However, the jury said it believes these two offices should be combined; and Mayor Ivan "
                        "Allen Jr. agreed.",
                    ),
                ),
                Section(
                    "",
                    (
                        'Austin, Texas -- Committee approval of the "abandoned property" act seemed certain Thursday.',
                        "It called for: -- new schools -- and higher pay.",
                        'The pipe, 1/2" wide, carries water and/or oil.',
                    ),
                ),
            ),
            "news",
        ),
        Document(
            "cn01",
            "Thirty-three",
            (
                Section(
                    "",
                    (
                        "My brother said, \"We're getting more 'pro' letters than 'con'.\" He laughed.",
                        '"Who is there?" She waited.',
                    ),
                ),
            ),
            "adventure",
        ),
    ]


def test_exclusions_and_junk(tmp_path: Path) -> None:
    docs = brown.read(folder=write_package(tmp_path))
    assert [d.id for d in docs] == ["ca01", "cn01"]  # sorted, and no reviews
    assert all(d.group != "reviews" for d in docs)
    text = " ".join(p for d in docs for p in d.paragraphs)
    for junk in ("Af", "Governor", "B )", "/", "``", "''", "? ?", ";;", "Jr..", '""'):
        assert junk not in text.replace("and/or", "and-or").replace("1/2", "half"), junk


def test_detokenize() -> None:
    words = "He said `` yes '' , then `` Why '' ? ? ( 1 ) done ; ; ok".split()
    assert brown.detokenize(words) == 'He said "yes," then "Why?" (1) done; ok'
    assert brown.tokens("1/2''/nns and/or/cc ./.") == [("1/2''", "nns"), ("and/or", "cc"), (".", ".")]


def test_deterministic(tmp_path: Path) -> None:
    root = write_package(tmp_path)
    assert brown.read(folder=root) == brown.read(folder=root)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch brown"):
        brown.read(folder=tmp_path / "absent")
