"""How an extraction is scored against a corpus page's reference: shared by tests and benchmark.

Body: token-shingle F1. Tokens are the ``\\w+`` runs of the case-folded,
whitespace-folded text; shingles are the n-grams of ``SHINGLE`` consecutive
tokens, counted as a multiset (a paragraph extracted twice is penalised for
its second copy). Precision is the shared shingles over the extraction's,
recall over the reference's, F1 their harmonic mean; an empty side scores 0.
A text shorter than ``SHINGLE`` tokens is one shingle of all its tokens.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

SHINGLE: Final = 4
ELLIPSIS: Final = "…"

# Chinese and Japanese are written without spaces: there a token is a character,
# as a \w+ run would be a whole clause and a shingle a whole paragraph.
_UNSPACED: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN: Final = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+")


def fold(text: str) -> str:
    """Whitespace runs to one space, trimmed."""
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text).casefold())


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    words = tokens(text)
    if not words:
        return Counter()
    if len(words) < n:
        return Counter([tuple(words)])
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


@dataclass(frozen=True)
class BodyScore:
    precision: float
    recall: float
    f1: float


def body_score(extracted: str, reference: str) -> BodyScore:
    """Token-shingle precision, recall and F1 of ``extracted`` against ``reference``."""
    got, want = shingles(extracted), shingles(reference)
    if not got or not want:
        return BodyScore(0.0, 0.0, 0.0)
    shared = sum((got & want).values())
    precision = shared / sum(got.values())
    recall = shared / sum(want.values())
    f1 = 0.0 if shared == 0 else 2 * precision * recall / (precision + recall)
    return BodyScore(precision, recall, f1)


def body_f1(extracted: str, reference: str) -> float:
    return body_score(extracted, reference).f1


def summary_is_lead(summary: str, leads: Iterable[str]) -> bool:
    """The notification body is one of the acceptable leads, whole or cut with "…".

    A cut summary (ending in "…") must be a prefix of the lead; an uncut one
    must equal it. Both sides are whitespace-folded first.
    """
    text = fold(summary)
    for lead in leads:
        whole = fold(lead)
        if text == whole:
            return True
        if text.endswith(ELLIPSIS):
            cut = text[: -len(ELLIPSIS)].rstrip()
            if cut and whole.startswith(cut) and len(cut) < len(whole):
                return True
    return False


def paragraph_is_lead(paragraph: str, leads: Iterable[str], dateline: str | None) -> bool:
    """A baseline's first paragraph is the lead: the same words, a leading dateline allowed.

    Baselines neither split the dateline off the lead nor cut it, so this
    compares whole paragraphs by their tokens; the dateline's place may come
    first, with up to two more tokens for an agency ("BRUSSELS (AP) —").
    """
    got = tokens(paragraph)
    place = tokens(dateline or "")
    for lead in leads:
        want = tokens(lead)
        if not want:
            continue
        if got == want:
            return True
        extra = len(got) - len(want) - len(place)
        if place and got[: len(place)] == place and 0 <= extra <= 2 and got[-len(want) :] == want:
            return True
    return False


def headline_matches(headline: str, reference: str) -> bool:
    return fold(headline) == fold(reference)
