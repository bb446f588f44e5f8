"""What is new in an update, in the story's own words: the line a follower's push shows.

A follower already knows the story; the push should say what changed since
the version they were last pushed. ``change_line`` compares that version with
this one and picks whole sentences of the new text:

- Paragraphs are aligned as the change detector aligns them
  (``changes.unaligned_runs``); only the stretches that differ are read.
- A sentence of a changed stretch whose words (as change detection sees them:
  case, punctuation and spacing ignored) also appear, in order, in the old
  stretch is not news: a moved comma or a re-wrapped line gives nothing.
- Every other sentence scores the words it brings that the old stretch did
  not have (a multiset difference, so "12 dead" after "10 dead" scores the
  "12"). A new paragraph therefore beats a rewording, and a figure that
  changed beats a sentence that only moved; a sentence that rearranges old
  words still counts, after every one that brings new words.
- The best sentence comes first; others follow, by score, while the line
  stays within ``MAX_CHANGE_LINE_CHARS``. A single sentence longer than that
  is cut on a word boundary.
- With no sentence to show and a new headline, the line names the headline.

Sentence splitting is deliberately simple (terminal punctuation followed by a
space and a capital, digit or quote, or a CJK full stop), with the common
English title abbreviations and single initials kept inside a sentence: a
wrong split costs a shorter line, never a wrong one.
"""

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from stoppress.articles.changes import unaligned_runs, words

MAX_CHANGE_LINE_CHARS: Final = 200
ELLIPSIS: Final = "…"
# Past this many sentences in the changed stretches, the rest are not scored:
# an update that rewrote the whole story still gets a line from its first part.
_MAX_SENTENCES: Final = 2_000

# A capital (Latin, Greek, Cyrillic), a digit or a CJK character may start a sentence.
_STARTS = "A-Z0-9À-ÖØ-ÞĀ-Ž\u0370-\u03ff\u0400-\u04ff\u3040-\u9fff"
_BOUNDARY = re.compile(
    rf"(?<=[.!?…])[\"'”’»)\]]*\s+(?=[\"'“‘«(\[]?[{_STARTS}])|(?<=[。！？])[」』”’）]*\s*"
)
_ABBREVIATIONS: Final = frozenset(
    "mr mrs ms dr prof st jr sr gen col lt sgt capt cmdr adm gov sen rep rev hon "  # noqa: SIM905
    "no nos vs etc inc ltd co corp dept est fig approx jan feb mar apr jun jul aug "
    "sep sept oct nov dec mt ft".split()
)


@dataclass(frozen=True)
class ChangeLine:
    text: str


def change_line(
    *,
    previous_headline: str,
    previous_body: str,
    headline: str,
    body: str,
    max_chars: int = MAX_CHANGE_LINE_CHARS,
) -> ChangeLine | None:
    """The line that tells a follower what changed, or None when no words changed."""
    ranked = _ranked_sentences(previous_body, body)
    if ranked:
        return ChangeLine(_assemble(ranked, max_chars))
    if words(previous_headline) != words(headline):
        return ChangeLine(cut_on_word(f"New headline: {headline}", max_chars))
    return None


def sentences(paragraph: str) -> list[str]:
    """``paragraph`` split into sentences (see the module docstring for the rule)."""
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        candidate = paragraph[start : match.start()].strip()
        if candidate and _ends_in_abbreviation(candidate):
            continue
        if candidate:
            out.append(candidate)
        start = match.end()
    rest = paragraph[start:].strip()
    if rest:
        out.append(rest)
    return out


def cut_on_word(text: str, max_chars: int) -> str:
    """``text`` at most ``max_chars`` long, cut after a whole word and marked with an ellipsis."""
    if len(text) <= max_chars:
        return text
    room = text[: max_chars - len(ELLIPSIS)]
    space = room.rfind(" ")
    if space > max_chars // 2:
        room = room[:space]
    return room.rstrip(" ,;:–—-") + ELLIPSIS


def _ends_in_abbreviation(text: str) -> bool:
    last = text.rsplit(None, 1)[-1].rstrip(".").lstrip("(\"'“‘")
    if len(last) == 1 and last.isalpha():
        return True  # an initial: "John F. Kennedy", "U.S."
    return last.casefold() in _ABBREVIATIONS or last.count(".") >= 1  # "U.S", "a.m"


def _ranked_sentences(before: str, after: str) -> list[str]:
    """New or rewritten sentences of ``after``, most informative first."""
    scored: list[tuple[int, int, str]] = []
    position = 0
    for old_run, new_run in unaligned_runs(before, after):
        old_sentences = [s for p in old_run for s in sentences(p)]
        seen = {tuple(words(s)) for s in old_sentences}
        available = Counter(w for s in old_sentences for w in words(s))
        for sentence in _limited(s for p in new_run for s in sentences(p)):
            position += 1
            tokens = words(sentence)
            if not tokens or tuple(tokens) in seen:
                continue
            brought = Counter(tokens) - available
            scored.append((-sum(brought.values()), position, sentence))
    scored.sort()
    return [sentence for _, _, sentence in scored]


def _limited(items: Iterator[str]) -> Iterator[str]:
    for count, item in enumerate(items):
        if count >= _MAX_SENTENCES:
            return
        yield item


def _assemble(ranked: Sequence[str], max_chars: int) -> str:
    line = cut_on_word(ranked[0], max_chars)
    for sentence in ranked[1:]:
        if len(line) + 1 + len(sentence) <= max_chars:
            line = f"{line} {sentence}"
    return line
