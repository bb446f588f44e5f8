"""Extraction figures: stoppress's reader against the field's standard extractors on the corpus.

    .venv/bin/python -m benchmarks.extract [--corpus tests/corpus] [--repeat 5] [--per-page]

For every page of the corpus (``benchmarks/extract_corpus.py``) and every
extractor:

- body F1: token-shingle F1 against the reference body
  (``benchmarks/extract_scoring.py``); a rejected or empty page scores 0.
  stoppress moves the dateline out of the lead, so its body is scored
  against the reference body; the baselines keep it, so theirs is scored
  against the dateline followed by the body;
- rejected: stoppress raised ``ArticleParseError``; a baseline returned no text;
- lead correct: stoppress's summary is the reference lead (or an accepted
  alternative), whole or cut with "…"; a baseline's first paragraph has the
  lead's words, a leading dateline allowed;
- headline correct: stoppress's headline; trafilatura's metadata title;
  readability's short title;
- time per page: the extraction call only (for stoppress the whole
  ``parse_article``), after a warm-up pass, the median of ``--repeat`` runs
  per page; the table gives the median and 95th percentile over pages.

The baselines run with default settings: ``trafilatura.extract(html)`` and
``readability.Document(html).summary()``. They read HTML only, so the
plain-text pages are reported for stoppress alone.

Results print as tables and go to ``benchmarks/results/extract.json``.
"""

import argparse
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.extract_corpus import CORPUS, ROOT, CorpusPage, load_corpus
from benchmarks.extract_scoring import (
    body_score,
    headline_matches,
    paragraph_is_lead,
    summary_is_lead,
)
from benchmarks.results import write_results

_BLOCKS = frozenset(
    {"p", "div", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
)


@dataclass(frozen=True)
class Extraction:
    """What one extractor made of one page."""

    body: str
    lead_ok: bool
    headline_ok: bool
    rejected: bool


# Given a page: a function to time (the extraction itself) and one that judges its output.
Extractor = Callable[[CorpusPage], tuple[Callable[[], Any], Callable[[Any], Extraction]]]


@dataclass(frozen=True)
class PageResult:
    page: str
    extractor: str
    f1: float
    precision: float
    recall: float
    lead_ok: bool
    headline_ok: bool
    rejected: bool
    ms: float


def _stoppress(page: CorpusPage) -> tuple[Callable[[], Any], Callable[[Any], Extraction]]:
    from stoppress.articles.parse import parse_article
    from stoppress.core.errors import ArticleParseError

    def run() -> Any:
        try:
            return parse_article(page.source, key=page.key)
        except ArticleParseError:
            return None

    def judge(article: Any) -> Extraction:
        if article is None:
            return Extraction("", lead_ok=False, headline_ok=False, rejected=True)
        return Extraction(
            body=article.body,
            lead_ok=summary_is_lead(article.summary, page.leads),
            headline_ok=headline_matches(article.headline, page.headline),
            rejected=False,
        )

    return run, judge


def _first_paragraph(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _trafilatura(page: CorpusPage) -> tuple[Callable[[], Any], Callable[[Any], Extraction]]:
    import trafilatura

    html = page.source.decode("utf-8")

    def run() -> Any:
        return trafilatura.extract(html)

    def judge(text: Any) -> Extraction:
        metadata = trafilatura.extract_metadata(html)
        title = metadata.title if metadata is not None and metadata.title else ""
        text = text or ""
        return Extraction(
            body=text,
            lead_ok=paragraph_is_lead(_first_paragraph(text), page.leads, page.dateline),
            headline_ok=headline_matches(title, page.headline),
            rejected=not text.strip(),
        )

    return run, judge


def _paragraphs_of(html: str) -> list[str]:
    """The text of the innermost block elements of an HTML fragment, in order."""
    import lxml.html

    root = lxml.html.fromstring(html)
    paragraphs = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag not in _BLOCKS:
            continue
        if any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in element.iterdescendants()):
            continue
        text = " ".join(element.text_content().split())
        if text:
            paragraphs.append(text)
    return paragraphs


def _readability(page: CorpusPage) -> tuple[Callable[[], Any], Callable[[Any], Extraction]]:
    from readability import Document
    from readability.readability import Unparseable

    html = page.source.decode("utf-8")

    def run() -> Any:
        try:
            return Document(html).summary()
        except Unparseable:
            return None

    def judge(summary: Any) -> Extraction:
        paragraphs = _paragraphs_of(summary) if summary else []
        first = paragraphs[0] if paragraphs else ""
        title = Document(html).short_title()
        return Extraction(
            body="\n\n".join(paragraphs),
            lead_ok=paragraph_is_lead(first, page.leads, page.dateline),
            headline_ok=headline_matches(title, page.headline),
            rejected=not paragraphs,
        )

    return run, judge


EXTRACTORS: dict[str, Extractor] = {
    "stoppress": _stoppress,
    "trafilatura": _trafilatura,
    "readability-lxml": _readability,
}


def measure(page: CorpusPage, name: str, repeat: int) -> PageResult:
    run, judge = EXTRACTORS[name](page)
    output = run()  # the warm-up run, and the one that is scored
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    extraction = judge(output)
    reference = page.reference_body
    if name != "stoppress" and page.dateline:
        reference = f"{page.dateline} {reference}"
    score = body_score(extraction.body, reference)
    return PageResult(
        page=page.name,
        extractor=name,
        f1=score.f1,
        precision=score.precision,
        recall=score.recall,
        lead_ok=extraction.lead_ok,
        headline_ok=extraction.headline_ok,
        rejected=extraction.rejected,
        ms=statistics.median(timings),
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def summarise(results: list[PageResult]) -> dict[str, Any]:
    times = [r.ms for r in results]
    return {
        "pages": len(results),
        "body_f1_mean": round(statistics.fmean(r.f1 for r in results), 3),
        "rejected": sum(r.rejected for r in results),
        "lead_correct": sum(r.lead_ok for r in results),
        "headline_correct": sum(r.headline_ok for r in results),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(_percentile(times, 0.95), 2),
    }


def _print_table(title: str, rows: dict[str, dict[str, Any]]) -> None:
    print(title)
    print(
        f"{'extractor':<18}{'pages':>6}{'body F1':>9}{'rejected':>10}"
        f"{'lead ok':>9}{'headline ok':>13}{'median ms':>11}{'p95 ms':>9}"
    )
    for name, row in rows.items():
        pages = row["pages"]
        print(
            f"{name:<18}{pages:>6}{row['body_f1_mean']:>9.3f}{row['rejected']:>10}"
            f"{row['lead_correct']:>5}/{pages:<3}{row['headline_correct']:>9}/{pages:<3}"
            f"{row['median_ms']:>11.2f}{row['p95_ms']:>9.2f}"
        )
    print()


def _print_pages(results: list[PageResult]) -> None:
    print(f"{'page':<46}{'extractor':<18}{'F1':>6}{'P':>6}{'R':>6}  lead headline")
    for r in results:
        print(
            f"{r.page:<46}{r.extractor:<18}{r.f1:>6.2f}{r.precision:>6.2f}{r.recall:>6.2f}"
            f"  {'ok' if r.lead_ok else '--':<5}{'ok' if r.headline_ok else '--'}"
            f"{'  rejected' if r.rejected else ''}"
        )
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=CORPUS, help="folder of pages and references"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page and extractor")
    parser.add_argument("--per-page", action="store_true", help="print every page's scores too")
    args = parser.parse_args(argv)
    # trafilatura logs an error for every page it finds nothing in.
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("readability").setLevel(logging.CRITICAL)

    pages = load_corpus(args.corpus)
    html_pages = [p for p in pages if p.path.suffix == ".html"]
    text_pages = [p for p in pages if p.path.suffix != ".html"]
    html_results = [measure(p, name, args.repeat) for name in EXTRACTORS for p in html_pages]
    text_results = [measure(p, "stoppress", args.repeat) for p in text_pages]

    html_table = {
        name: summarise([r for r in html_results if r.extractor == name]) for name in EXTRACTORS
    }
    text_table = {"stoppress": summarise(text_results)} if text_results else {}
    if args.per_page:
        _print_pages(html_results + text_results)
    _print_table(f"HTML pages ({len(html_pages)}), {args.corpus}", html_table)
    if text_table:
        _print_table(f"Plain-text pages ({len(text_pages)})", text_table)

    path = write_results(
        "extract",
        {
            "corpus": str(args.corpus),
            "repeat": args.repeat,
            "html": html_table,
            "text": text_table,
            "pages": [asdict(r) for r in html_results + text_results],
        },
    )
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
