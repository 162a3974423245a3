#!/usr/bin/env python3
"""A deterministic synthetic corpus of released-record pages, for benchmarks.

Every page is generated from `(seed, page number)` alone, so page 73,512 is the same text
whatever else is generated, in any order, on any machine (Python's `random.Random` seeded
with a string is stable across runs and versions 3.2+).

Words follow a Zipf-Mandelbrot law over a vocabulary of English function words, FOIA-ish
domain words and a long synthetic tail (pronounceable non-words), so term statistics look
like a real index: a few words on every page, most words on very few. Pages are 300-500
words of sentences broken into lines of ~12 words, with now and then a word hyphenated
across a line break, an email header block and a Bates stamp.

Known phrases (`PHRASES`) are injected at controlled per-page rates; their words also occur
on their own, so a phrase query has to check positions, not just co-occurrence. Which pages
carry an injected phrase is known exactly (`Corpus.injected`).

Usage::

    python bench/make_corpus.py --pages 2000 --pdf-dir /tmp/corpus-pdfs   # multi-page PDFs
    python bench/make_corpus.py --pages 5 --print                          # look at pages

Library use (bench/run.py, bench/bench_web.py)::

    from make_corpus import Corpus
    corpus = Corpus(seed=1)
    text = corpus.page_text(17)
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


def _words(text: str) -> list[str]:
    return text.split()


# Phrase -> probability that a page carries it (once, sometimes twice).
PHRASES: dict[str, float] = {
    "sally port": 0.001,  # rare: ~100 pages in 100k
    "rikers island": 0.003,
    "declined detainer": 0.01,  # medium
    "field office": 0.05,
    "freedom of information": 0.20,  # common
}

FUNCTION_WORDS = _words("""
the of and to a in that is for it as was with be by on not he this are or his from at
which but have an they you were her she there had been one all we their has would what
will if can when so no who more said out up into about than them some could may other
its then only two any these new also over such after our time must should very being
first those where most made before well between under since both each through during
without again against while upon however within because""")

DOMAIN_WORDS = _words("""
agency office report request records release email detainer officer subject information
department enforcement immigration custody facility page pursuant exemption withheld
redacted document memo attached please regarding meeting review staff county state
federal court order case number date sent received copy letter response investigation
public privacy law security director deputy chief inspector program operations data
system contact phone message field island port sally rikers declined detainers outcome
transfer jail warden inmate release notice board aviation safety flight aircraft airline
crew pilot accident preliminary analysis team member counsel general policy procedure
training incident statement witness evidence approved denied pending status week month
year today tomorrow yesterday morning afternoon follow update call discuss draft final
version comments question answer thanks regards best team lead manager supervisor
analyst specialist administrator assistant secretary commissioner""")

_CONSONANTS = _words("b c d f g h j k l m n p r s t v w z br ch cl cr dr fl gr pl pr sh st th tr")
_VOWELS = _words("a e i o u ai ea ee ie oo ou")
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "rt", "ck", "ng"]
_NAMES = _words("""
Adams Baker Chen Diaz Evans Foster Garcia Hughes Ivanov Jones Kim Lopez Miller Nguyen
Ortiz Patel Quinn Rivera Smith Torres Ueda Vargas Wang Young Zhang""")


def _synthetic_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < count:
        syllables = rng.choice((2, 2, 2, 3, 3, 4))
        word = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS)
                       for _ in range(syllables)) + rng.choice(_CODAS)
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


@dataclass
class Corpus:
    """Synthetic pages with a Zipf vocabulary and known phrases at known rates.

    Args:
        seed: the corpus; the same seed gives the same pages.
        vocabulary: distinct words in the synthetic tail.
        zipf: the exponent of the rank-frequency law.
        words: the range of words per page.
        phrases: phrase -> per-page injection probability.
    """

    seed: int = 1
    vocabulary: int = 40_000
    zipf: float = 1.07
    words: tuple[int, int] = (300, 500)
    phrases: dict[str, float] = field(default_factory=lambda: dict(PHRASES))

    def __post_init__(self) -> None:
        rng = random.Random(f"vocabulary:{self.seed}")
        taken = set(FUNCTION_WORDS) | set(DOMAIN_WORDS)
        tail = _synthetic_words(rng, self.vocabulary, taken)
        # Function words take the top ranks; domain words are spread among the first
        # thousands of the tail, where a real archive's topical words sit.
        ranked = list(FUNCTION_WORDS)
        domain = list(DOMAIN_WORDS)
        rng.shuffle(domain)
        for i, word in enumerate(tail):
            if domain and i % 8 == 0:
                ranked.append(domain.pop())
            ranked.append(word)
        self.vocab = ranked
        weights = [1.0 / (rank + 2.7) ** self.zipf for rank in range(len(ranked))]
        self._cum = list(itertools.accumulate(weights))

    def injected(self, page_no: int) -> list[str]:
        """The phrases injected into page `page_no` (each at most once in this list)."""
        rng = random.Random(f"phrases:{self.seed}:{page_no}")
        return [p for p, rate in self.phrases.items() if rng.random() < rate]

    def page_text(self, page_no: int) -> str:
        """The text of page `page_no` (any integer; 0-based or 1-based is the caller's choice)."""
        rng = random.Random(f"page:{self.seed}:{page_no}")
        count = rng.randint(*self.words)
        words = rng.choices(self.vocab, cum_weights=self._cum, k=count)
        for phrase in self.injected(page_no):
            for _ in range(1 if rng.random() < 0.8 else 2):
                at = rng.randrange(len(words))
                words[at:at] = phrase.split()
        lines: list[str] = []
        if rng.random() < 0.3:
            lines.extend(self._email_header(rng))
        lines.extend(self._body(rng, words))
        if rng.random() < 0.5:
            lines.append("")
            lines.append(f"2019-ICLI-{rng.randrange(100000):05d} {page_no:06d}")
        return "\n".join(lines)

    @staticmethod
    def _email_header(rng: random.Random) -> list[str]:
        a, b = rng.sample(_NAMES, 2)
        return [f"From: {a}, {rng.choice(_NAMES)} (ICE)",
                f"Sent: {rng.choice(['Monday', 'Tuesday', 'Friday'])}, March "
                f"{rng.randint(1, 28)}, 2017 {rng.randint(1, 12)}:{rng.randint(0, 59):02d} PM",
                f"To: {b}, {rng.choice(_NAMES)}",
                f"Subject: RE: {rng.choice(DOMAIN_WORDS)} {rng.choice(DOMAIN_WORDS)}", ""]

    @staticmethod
    def _body(rng: random.Random, words: list[str]) -> list[str]:
        # Sentences of 6-22 words, capitalised, with a full stop.
        out_words: list[str] = []
        i = 0
        while i < len(words):
            n = rng.randint(6, 22)
            sentence = words[i:i + n]
            sentence[0] = sentence[0].capitalize()
            sentence[-1] += "." if rng.random() < 0.9 else ","
            out_words.extend(sentence)
            i += n
        lines: list[str] = []
        line: list[str] = []
        width = rng.randint(10, 14)
        hyphenate_at = rng.randrange(len(out_words)) if rng.random() < 0.5 else -1
        for j, word in enumerate(out_words):
            if j == hyphenate_at and len(word) >= 6:
                cut = len(word) // 2
                line.append(word[:cut] + "-")
                lines.append(" ".join(line))
                line = [word[cut:]]
                continue
            line.append(word)
            if len(line) >= width:
                lines.append(" ".join(line))
                line = []
                if rng.random() < 0.08:
                    lines.append("")
        if line:
            lines.append(" ".join(line))
        return lines

    def pages(self, count: int, start: int = 1) -> Iterator[str]:
        """Pages `start`, `start + 1`, ... (count of them)."""
        for page_no in range(start, start + count):
            yield self.page_text(page_no)

    def document_sizes(self, total_pages: int) -> list[int]:
        """Page counts of documents adding up to `total_pages`: mostly short, a few long."""
        rng = random.Random(f"documents:{self.seed}")
        sizes: list[int] = []
        left = total_pages
        while left > 0:
            size = min(left, rng.choice((1, 2, 3, 5, 8, 12, 20, 40, 60, 100, 150, 250)))
            sizes.append(size)
            left -= size
        return sizes


def write_pdfs(corpus: Corpus, total_pages: int, folder: Path, *, start: int = 1) -> list[Path]:
    """Born-digital multi-page PDFs holding pages `start`.. of the corpus, in `folder`.

    Returns the files written (reused if a previous call already wrote them completely).
    """
    import pymupdf  # only here: the corpus itself needs no PDF library

    folder.mkdir(parents=True, exist_ok=True)
    done = folder / ".complete"
    sizes = corpus.document_sizes(total_pages)
    paths = [folder / f"doc-{n:05d}.pdf" for n in range(1, len(sizes) + 1)]
    key = f"{corpus.seed}:{total_pages}:{start}:{len(sizes)}"
    if done.exists() and done.read_text() == key and all(p.exists() for p in paths):
        return paths
    page_no = start
    for path, size in zip(paths, sizes, strict=True):
        doc = pymupdf.open()
        for _ in range(size):
            page = doc.new_page(width=612, height=792)
            rect = pymupdf.Rect(54, 54, 558, 738)
            text = corpus.page_text(page_no)
            # Shrink the font until the text fits (insert_textbox writes nothing and
            # returns a negative number when it does not).
            for fontsize in (9, 8, 7, 6, 5):
                if page.insert_textbox(rect, text, fontsize=fontsize, fontname="helv") >= 0:
                    break
            page_no += 1
        doc.save(path, garbage=1, deflate=True)
        doc.close()
    done.write_text(key)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command line: write PDFs or print pages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pdf-dir", type=Path, help="write born-digital PDFs here")
    parser.add_argument("--print", action="store_true", help="print the pages")
    args = parser.parse_args(argv)
    corpus = Corpus(seed=args.seed)
    if args.pdf_dir:
        paths = write_pdfs(corpus, args.pages, args.pdf_dir)
        print(f"{len(paths)} PDFs, {args.pages} pages in {args.pdf_dir}")
    if args.print or not args.pdf_dir:
        for n, text in enumerate(corpus.pages(args.pages), 1):
            print(f"===== page {n} ({', '.join(corpus.injected(n)) or 'no phrase'})")
            print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
