"""Task shapes (documents -> training rows) and the duplicate filter, on small documents written here."""

from __future__ import annotations

from epic.data.dedupe import dedupe_rows, overlap
from epic.data.documents import Document, Section
from epic.data.shapes import (
    cut,
    heading_to_section,
    inverse_cloze,
    lead_to_rest,
    message_to_reply,
    next_paragraph,
    same_group,
    sentences,
    title_to_lead,
)

P1 = "The harbour froze early that winter, and the fishing boats stayed tied to the quay for weeks."
P2 = "When the ice finally broke in March, the whole village came down to watch the first boat leave."
P3 = "By summer the catch had recovered, though the older fishermen said the winter had changed the fish."
P4 = "Prices at the market doubled while the boats were idle, and several families left for the city."


def doc(id_: str, title: str, sections: list[tuple[str, list[str]]], group: str = "g", parent: str = "") -> Document:
    return Document(id_, title, tuple(Section(h, tuple(ps)) for h, ps in sections), group, parent)


def test_sentences_keep_abbreviations_and_closing_quotes():
    text = 'Mr. Smith arrived at noon. He said "Hello." Then e.g. the rest followed! Was it 3 p.m. already?'
    assert sentences(text) == ["Mr. Smith arrived at noon.", 'He said "Hello."', "Then e.g. the rest followed!",
                               "Was it 3 p.m. already?"]  # fmt: skip


def test_cut_ends_at_a_sentence_when_one_fits():
    assert cut("One two three. Four five six seven. Eight nine ten eleven.", 9) == "One two three. Four five six seven."
    assert cut("one two three four five", 3) == "one two three"  # no sentence end: a plain cut


def test_title_to_lead_takes_group_peers_as_negatives():
    docs = [doc("a", "Harbour frozen all winter", [("", [P1, P2])]), doc("b", "Village watches boat", [("", [P3])]),
            doc("c", "Market prices", [("", [P4])], group="other"), doc("d", "x", [("", [P4])])]  # fmt: skip
    rows = title_to_lead(docs)
    assert [r["query"] for r in rows] == ["Harbour frozen all winter", "Village watches boat", "Market prices"]
    assert rows[0]["pos"] == [cut(P1 + " " + P2)] and set(rows[0]["neg"]) == {P3, P4}  # "d": no row, a negative
    assert rows[2]["neg"] == []  # alone in its group


def test_heading_to_section_questions_and_lead():
    d = doc("a", "Fishing FAQ", [("", [P1]), ("Why did the boats stay in?", [P2]), ("Prices", [P4])])
    assert [r["query"] for r in heading_to_section([d], questions=True, with_title=False)] == [
        "Why did the boats stay in?"
    ]
    rows = heading_to_section([d], questions=False, lead=True)
    assert [r["query"] for r in rows] == ["Fishing FAQ", "Fishing FAQ: Prices"]
    assert rows[1]["pos"] == [P4] and set(rows[1]["neg"]) == {P1, P2}  # the document's other sections


def test_next_paragraph_stays_within_a_section():
    d = doc("a", "t", [("One", [P1, P2]), ("Two", [P3, "too short", P4])])
    rows = next_paragraph([d])
    assert [(r["query"], r["pos"][0]) for r in rows] == [(P1, P2), (P3, P4)]  # the fragment is skipped
    assert P1 not in rows[0]["neg"] and P2 not in rows[0]["neg"] and set(rows[0]["neg"]) == {P3, P4}


def test_inverse_cloze_removes_the_sentence_from_its_passage():
    paragraph = f"{P1} {P2} {P3}"
    rows = inverse_cloze([doc("a", "t", [("", [paragraph, P4 + " " + P1])])], seed=0)
    (row,) = [r for r in rows if r["pos"][0] != cut(P4 + " " + P1)][:1]
    assert row["query"] in (P1, P2, P3) and row["query"] not in row["pos"][0]
    assert sorted([row["query"]] + sentences(row["pos"][0])) == sorted([P1, P2, P3])
    assert inverse_cloze([doc("a", "t", [("", [paragraph])])], seed=0) == inverse_cloze(
        [doc("a", "t", [("", [paragraph])])], seed=0
    )  # deterministic


def test_lead_to_rest_and_message_to_reply_and_same_group():
    story = doc("s", "", [("", [f"{P1} {P2} {P3}"])], group="news")
    assert lead_to_rest([story]) == [{"query": P1, "pos": [f"{P2} {P3}"], "neg": []}]
    root, reply = doc("m1", "Boats", [("", [P1])], "thread"), doc("m2", "Boats", [("", [P2])], "thread", parent="m1")
    orphan = doc("m3", "Boats", [("", [P3])], "thread", parent="missing")
    rows = message_to_reply([root, reply, orphan])
    assert rows == [{"query": P1, "pos": [P2], "neg": [P3]}]
    pairs = same_group([root, reply, orphan, doc("m4", "x", [("", [P4])], "other")], seed=0)
    assert len(pairs) == 1 and {pairs[0]["query"], pairs[0]["pos"][0]} <= {P1, P2, P3}  # never across groups


def test_dedupe_drops_repeated_queries_copied_positives_and_negatives_that_copy_the_positive():
    copy = P1.replace("weeks", "a month")  # a near-duplicate: most 5-grams shared
    assert overlap(P1, copy) >= 0.5 > overlap(P1, P2)
    rows = [
        {"query": "frozen harbour", "pos": [P1], "neg": [copy, P3]},
        {"query": "Frozen  harbour!", "pos": [P4], "neg": []},  # the same query, normalised
        {"query": "ice in march", "pos": [copy], "neg": []},  # copies an earlier positive
        {"query": P2, "pos": [P2 + " Indeed."], "neg": []},  # the positive copies its query
        {"query": "summer catch", "pos": [P3], "neg": [P1]},
    ]
    kept = dedupe_rows(rows)
    assert [r["query"] for r in kept] == ["frozen harbour", "summer catch"]
    assert kept[0]["neg"] == [P3] and kept[1]["neg"] == [P1]
    assert [r["query"] for r in dedupe_rows(rows, limit=1)] == ["frozen harbour"]
