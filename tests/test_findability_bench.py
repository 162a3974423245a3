"""Smoke test of bench/findability.py's phrase sampling and scoring on tiny inputs."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pymupdf
import pytest
from conftest import CORPUS, needs_corpus

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))

import findability_corpus as files  # noqa: E402
import findability_phrases as fp  # noqa: E402
import findability_report as rep  # noqa: E402

TRUTH = ["the", "sheriff", "moved", "the", "detainee", "through", "the", "sally", "port", "at",
         "noon", "and", "the", "deputy", "signed", "the", "declined", "detainer", "outcome",
         "report"]


def test_windows_are_seeded_inside_one_segment_and_mostly_content_words() -> None:
    segments = [TRUTH[:11], TRUTH[11:], ["of", "the", "and", "to", "a"], ["12", "34", "56"]]
    first = fp.sample_windows(segments, 5, random.Random(11))
    assert first == fp.sample_windows(segments, 5, random.Random(11))
    assert first
    for window in first:
        assert fp.MIN_WORDS <= len(window) <= fp.MAX_WORDS
        assert any(" ".join(window) in " ".join(seg) for seg in segments[:2])
        assert 2 * sum(fp.is_content(w) for w in window) >= len(window)
    assert not fp.acceptable(("of", "the", "sheriff", "and"))
    assert not fp.acceptable(("2013", "fy2014e", "sally"))
    assert not fp.acceptable(('sally"', "port", "gate"))


def test_joins_span_the_boundary() -> None:
    pairs = [(["deputy", "signed", "the"], ["declined", "detainer", "report"])]
    for index, window in fp.sample_joins(pairs, 3, random.Random(5)):
        assert index == 0
        text = " ".join(window)
        assert text in "deputy signed the declined detainer report"
        assert "the declined" in text


def test_lines_hyphenated_paragraphs_and_transcripts() -> None:
    assert fp.join_hyphenated([["the", "employ-"], ["ment", "office"], ["origi\u00ad"],
                               ["nating", "here"]]) == [
        ["the", "employment"], ["office"], ["originating"], ["here"]]
    assert fp.join_hyphenated([["Dallas-"], ["Fort", "Worth"]]) == [["Dallas-"], ["Fort", "Worth"]]
    lines = [["a", "long", "line", "of", "prose", "runs"], ["on", "here"], ["Heading"]]
    assert fp.flow_segments(lines) == [["a", "long", "line", "of", "prose", "runs", "on", "here"],
                                       ["Heading"]]
    assert files.transcript_lines("1\n2\n10 Q. You mentioned shows,\n11 something for me.") == [
        None, None, ["q", "you", "mentioned", "shows"], ["something", "for", "me"]]


def test_tolerant_judge_and_class_summary() -> None:
    assert fp.contains(["the", "sa1ly", "port"], ["the", "sally", "port"])
    assert not fp.contains(["the", "sally", "p0rt"], ["the", "sally", "port"])
    assert not fp.contains(["the", "sa1ly", "port"], ["the", "sally", "port"], tolerant=False)
    phrase = fp.Phrase("ocr", "scans/a.png", 1, ("sally", "port", "gate"))
    truth = {("scans/a.png", 1): ["sally", "port", "gate"], ("b.pdf", 2): ["sallx", "port", "gate"],
             ("c.pdf", 1): ["sally", "port", "gale"]}
    tolerant_top = [("b.pdf", 2), ("scans/a.png", 1), ("c.pdf", 1), ("noise.pdf", 1)]
    found = fp.judge(phrase, [], tolerant_top, lambda f, p: truth.get((f, p)))
    assert (found.exact, found.tolerant) == (False, True)
    assert (found.extra_right, found.extra_wrong, found.extra_unknown) == (2, 2, 1)
    plain = fp.judge(phrase, [("scans/a.png", 1)], None, lambda f, p: None)
    assert plain.exact and plain.tolerant is None
    row = fp.summarize([found])
    assert (row["n"], row["exact"], row["tolerant"], row["precision"]) == (1, 0.0, 1.0, 0.5)
    assert fp.summarize([plain])["tolerant"] is None
    across = fp.Phrase("page_break", "d.pdf", 3, ("a", "b", "c"), (3, 4))
    assert across.right("d.pdf", 4) and not across.right("d.pdf", 5)


def test_body_lines_leave_out_running_headers_and_page_numbers() -> None:
    doc = pymupdf.open()
    said = ["the detainee was moved through", "the sally port at noon and", "the deputy signed"]
    for number, text in enumerate(said, 1):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 40), f"Case: 20-1507 Document: 00117684624 Page: {number}",
                         fontsize=11)
        page.insert_text((72, 200), text, fontsize=11)
        page.insert_text((300, 760), f"- {number} -", fontsize=11)
    body = files.body_lines(doc)
    assert [[" ".join(line.words) for line in lines] for lines in body.values()] == [
        [text] for text in said]


def test_misses_say_why() -> None:
    def missed(phrase: fp.Phrase, total: int = 0) -> fp.Outcome:
        return fp.Outcome(phrase, False, None, exact_total=total)

    stored = {("v.pdf", 1): ["the", "oklahoma", "water", "statutes", "can\u00ad", "not"],
              ("v.pdf", 2): ["2", "cite", "as", "569", "u", "s", "discriminate", "against"],
              ("v.pdf", 3): ["acre", "feet6", "per", "year", "the", "states"]}
    why = rep.diagnose(missed(fp.Phrase("a", "v.pdf", 1, ("statutes", "cannot"))), stored)
    assert why == "stored split by a soft hyphen at a line end: can\u00ad|not"
    why = rep.diagnose(missed(fp.Phrase("a", "v.pdf", 3, ("acre", "feet", "per"))), stored)
    assert why == "stored glued to a footnote mark: feet6"
    why = rep.diagnose(missed(fp.Phrase("a", "v.pdf", 3, ("per", "year", "the"))), stored)
    assert why.startswith("in the stored text (quotes and case folded), yet no page matches")
    why = rep.diagnose(missed(fp.Phrase("a", "v.pdf", 3, ("the", "states")), 12), stored)
    assert why == "in the stored text, not in the top 10 of 12 pages"
    across = fp.Phrase("e", "v.pdf", 1, ("water", "statutes", "cannot", "discriminate"), (1, 2))
    assert rep.diagnose(missed(across), stored) == (
        "stored: p1 ends 'the oklahoma water statutes can\u00ad not' | "
        "p2 begins '2 cite as 569 u s discriminate against'")


def test_without_the_corpus_the_bench_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    saved = list(sys.path)
    import findability  # puts the repository and bench/ first on sys.path: put back

    sys.path[:] = saved
    assert findability.main(["--corpus", str(tmp_path), "--cache", str(tmp_path / "c")]) == 0
    assert "findability: skipped" in capsys.readouterr().out
    assert not (tmp_path / "c").exists()


@pytest.mark.corpus
@needs_corpus
def test_the_recipe_makes_the_same_files_twice(tmp_path: Path) -> None:
    first = files.make_examples(CORPUS, tmp_path / "a")
    files.make_examples(CORPUS, tmp_path / "b")
    assert {s.cls for s in first} == {"text", "noise", "scan", "hybrid", "numbered", "short"}
    for source in first:
        assert (tmp_path / "a" / source.file).read_bytes() == (
            tmp_path / "b" / source.file).read_bytes(), source.file
