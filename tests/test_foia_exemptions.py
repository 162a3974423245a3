"""FOIA exemption labels: OCR variants, canonical forms, and what is a mention, not a label."""

from __future__ import annotations

import pytest

from archive.foia import annotate, exemptions


@pytest.mark.parametrize(("text", "labels"), [
    ("(b)(6)", ["(b)(6)"]),
    ("(b) (6)", ["(b)(6)"]),
    ("b6", ["(b)(6)"]),
    ("B6", ["(b)(6)"]),
    ("(b)(7)(c)", ["(b)(7)(C)"]),
    ("b 7 C", ["(b)(7)(C)"]),
    ("b7e", ["(b)(7)(E)"]),
    ("(6)(6)", ["(b)(6)"]),  # OCR reads the b as a 6
    ("[b](6)", ["(b)(6)"]),
    ("(b}(6): (b)(7}(C)", ["(b)(6)", "(b)(7)(C)"]),  # braces for parentheses
    ("(b)(6);(b)(7)(C)", ["(b)(6)", "(b)(7)(C)"]),
    ("(b)(6) (b)(7)(C)", ["(b)(6)", "(b)(7)(C)"]),  # the second "(b)" is not a subpart
    ("(b)(6)\n(b)(7)(C)", ["(b)(6)", "(b)(7)(C)"]),
    ("Sathya Silva <(b)(6) >", ["(b)(6)"]),
    ("B(b)(6) >;", ["(b)(6)"]),  # a stray letter glued to the label
    ("(b)(S)", ["(b)(5)"]),  # OCR's S for 5 inside parentheses
    ("(b)(5) (b)(5) (b)(6)", ["(b)(5)", "(b)(6)"]),  # each label once, in order
])
def test_labels_in_their_ocr_variants(text: str, labels: list[str]) -> None:
    assert exemptions.find(text) == labels


@pytest.mark.parametrize("text", [
    "cn=6085003a5604409c83a2ba13c65d18b9-Silva Sathy",  # b9 inside a hex string
    "b1b4b5c39d6b4cf882c07ef2e287339a",
    "(b) the agency shall make available",  # a list item without a number
    "We determined that certain documents are exempt under 5 U.S.C. § 552(b)(5)",
    "withheld pursuant to 5 U.S.C. 552(b)(4), commercially sensitive",
    "FOIA exemptions (b)(6), (b)(7)(C) and (b)(7)(E) apply to these records",
    "Exemption 5 protects agency records that are predecisional",
    "5 ILCS 140/7 (1) (b) Private information",  # an Illinois citation
    "Information withheld under §7(1)(b) is officers' signatures.",
    "Route SB6 closed", "12 (b) 6 months",
])
def test_mentions_and_lookalikes_are_not_labels(text: str) -> None:
    assert exemptions.find(text) == []


def test_a_label_after_a_citation_on_the_next_line_still_counts() -> None:
    text = "withheld under 5 U.S.C. § 552(b)(6).\n(b)(6)"
    assert exemptions.find(text) == ["(b)(6)"]


def test_keys_and_query_normalisation() -> None:
    assert exemptions.keys(["(b)(6)", "(b)(7)(C)", "(b)(6)"]) == ["b6", "b7c"]
    assert exemptions.key("(b)(7)(E)") == "b7e"
    for written in ("(b)(7)(C)", "b7c", "B 7 C", "(b)(7)(c)", "7c", "b7C"):
        assert exemptions.normalize(written) == "b7c"
    assert exemptions.normalize("(b)(6)") == "b6"
    assert exemptions.normalize("b7g") is None
    assert exemptions.normalize("sally") is None
    assert exemptions.canonical("6", "c") == "(b)(6)"  # subparts exist only under 7


def test_index_keys_turn_back_into_labels() -> None:
    for label in ("(b)(1)", "(b)(5)", "(b)(6)", "(b)(7)", "(b)(7)(A)", "(b)(7)(F)", "(b)(9)"):
        assert exemptions.label(exemptions.key(label)) == label
    assert exemptions.label("b10") is None and exemptions.label("b7g") is None
    assert exemptions.label("<b6>") is None and exemptions.label("") is None


def test_labels_read_in_boxes_join_the_page_and_replace_misreadings_there() -> None:
    # the page OCR read the white-on-black "(b)(5)" in the box as "(b)(9)"; the box's own
    # reading says (b)(5); the "(b)(7)(C)" stamp outside any box stays, the citation doesn't
    words = [[72, 100, 200, 112, "Withheld"], [205, 100, 260, 112, "under"],
             [265, 100, 330, 112, "552(b)(4)."],
             [72, 130, 110, 142, "(b)(9)"], [72, 160, 120, 172, "(b)(7)(C)"]]
    text = "Withheld under 552(b)(4).\n(b)(9)\n(b)(7)(C)"
    boxes = {"boxes": [[70, 128, 540, 150], [300, 300, 400, 320]],
             "fills": ["black", "black"], "labels": [["(b)(5)"], []]}
    assert annotate.page_exemptions(text, words, boxes) == ["(b)(7)(C)", "(b)(5)"]
    notes = annotate.text_annotations(text, words, 612, 792, boxes)
    assert notes["exemption_keys"] == ["b7c", "b5"]
    unread = {"boxes": boxes["boxes"], "labels": [[], []]}  # no box label: the text decides
    assert annotate.page_exemptions(text, words, unread) == ["(b)(9)", "(b)(7)(C)"]
    assert annotate.page_exemptions(text, words, {}) == ["(b)(9)", "(b)(7)(C)"]
