"""Hostile uploads at the size limit: every path ends in time and memory, stored or rejected.

    .venv/bin/python -m benchmarks.adversarial [--sizes 64,512,2048] [--only NAME]

Each case builds a file meant to make one path slow or large (plain text,
Markdown, HTML, declared charsets, the word diff of an update, the write to
the table) at each size in KiB, up to ``parse.MAX_ARTICLE_BYTES``, and runs it
in a fresh process, so the wall time and the peak memory (the process's
``VmHWM``, interpreter and imports included) are that case's own. A case
passes when it ends as a stored version or a rejection with a short reason
within ``BUDGET_SECONDS`` and ``BUDGET_MB``, what a 512 MB Lambda can afford;
the command exits 1 otherwise. Results go to ``benchmarks/results/adversarial.json``.
"""

import argparse
import multiprocessing
import os
import resource
import time
from collections.abc import Callable
from typing import Any

from benchmarks.results import write_results

BUDGET_SECONDS = 10.0
BUDGET_MB = 256.0
# A runaway case is stopped well past the budget, and kept from taking the machine.
_KILL_AFTER_S = 60.0
_ADDRESS_LIMIT = 3 * 1024**3
_REASON_SHOWN = 60

SENTENCE = "The council passed the budget on Monday after a long debate about transit. "


def _fill(unit: str, size: int, head: str = "", tail: str = "") -> bytes:
    """``head``, then ``unit`` repeated, then ``tail``: at most ``size`` bytes of UTF-8."""
    room = size - len((head + tail).encode())
    count = max(room // max(len(unit.encode()), 1), 0)
    return (head + unit * count + tail).encode()


# -- the files: each builder takes a size in bytes and returns what the case needs --------


def _text_paragraphs(size: int) -> bytes:
    return _fill(SENTENCE * 3 + "\n\n", size, "Budget passes\n\n")


def _text_one_line(size: int) -> bytes:
    return _fill(SENTENCE, size, "Budget passes\n\n")


def _text_tags(size: int) -> bytes:
    tags = ", ".join(f"t{i}" for i in range(size // 8))[: size - 2000]
    return f"Tags: {tags}\n\nBudget passes\n\n{SENTENCE * 20}".encode()


def _text_short_lines(size: int) -> bytes:
    return _fill("a\n", size, "Budget passes\n\n")


def _text_tiny_paragraphs(size: int) -> bytes:
    return _fill("p alpha\n\n", size, "Budget passes\n\n")


def _md_front(body_unit: str) -> Callable[[int], bytes]:
    return lambda size: _fill(body_unit, size, "# Budget passes\n\n" + SENTENCE + "\n\n")


def _md_alias_bomb(size: int) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    level = 1
    while sum(len(line) + 1 for line in lines) < min(size, 15_000) - 200:
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{','.join([previous] * 9)}]")
        level += 1
    front = "\n".join(lines) + f"\ntitle: *a{level - 1}\n"
    return f"---\n{front}---\n\n{SENTENCE}\n".encode()


def _md_front_matter_big(size: int) -> bytes:
    keys = "".join(f"key{i}: {'value ' * 8}\n" for i in range(280))
    return _fill(SENTENCE + "\n\n", size, f"---\ntitle: Budget passes\n{keys}---\n\n")


def _md_front_matter_tags(size: int) -> bytes:
    tags = ", ".join(f"t{i}" for i in range(3000))[:15_000]
    return _fill(SENTENCE + "\n\n", size, f"---\ntitle: Budget passes\ntags: {tags}\n---\n\n")


def _html_page(body: str) -> str:
    return f"<html><head><title>Budget passes</title></head><body><h1>Budget passes</h1>{body}"


def _html_deep(size: int) -> bytes:
    return _fill("<div>", size, _html_page(f"<p>{SENTENCE}</p>"), f"<p>{SENTENCE}</p>")


def _html_deep_articles(size: int) -> bytes:
    return _fill("<article>", size, _html_page(""), f"<p>{SENTENCE}</p>")


def _html_paragraphs(size: int) -> bytes:
    return _fill(f"<p>{SENTENCE}</p>\n", size, _html_page("<article>"), "</article></body></html>")


def _html_attribute_soup(size: int) -> bytes:
    attributes = " ".join(f'data-x{i}="{"v" * 40}"' for i in range(2000))
    return _fill(f"<p class='promo' {attributes}>x</p>", size, _html_page(f"<p>{SENTENCE}</p>"))


def _html_many_articles(size: int) -> bytes:
    unit = f"<article><h2>Other</h2><p>{SENTENCE * 3}</p></article>\n"
    return _fill(unit, size, _html_page(""), "</body></html>")


def _html_keywords(size: int) -> bytes:
    keywords = "k, " * (size // 4)
    return (
        _html_page(f"<p>{SENTENCE}</p>")
        .replace("<title>", f'<meta name="keywords" content="{keywords}"><title>')
        .encode()[:size]
    )


def _html_article_tags(size: int) -> bytes:
    return (
        _fill('<meta property="article:tag" content="t">', size, "<html><head>", "").replace(
            b"<html><head>", b"<html><head>", 1
        )
        + _html_page(f"<p>{SENTENCE}</p>").encode()[: max(size - 60_000, 0) or 300]
    )


def _html_unclosed_tags(size: int) -> bytes:
    return _fill("<a href=x ", size, _html_page(f"<p>{SENTENCE}</p>"))


def _charset(name: str) -> Callable[[int], bytes]:
    def build(size: int) -> bytes:
        head = f'<html><head><meta charset="{name}"><title>Caf\xe9</title></head><body><h1>Caf\xe9'
        return _fill(f"<p>{SENTENCE}\xe9</p>", size, head + "</h1>").decode().encode("latin-1")

    return build


def _controls(size: int) -> bytes:
    return _fill("\x01\x02word ", size, "Budget passes\n\n")


def _update_pair(size: int, *, every: int) -> tuple[bytes, bytes]:
    count = min(size // (len(SENTENCE) + 20), 9_000)  # under parse.MAX_PARAGRAPHS
    text = SENTENCE * max(size // count // (len(SENTENCE) + 20), 1)
    paragraphs = [f"Paragraph {i}: {text}" for i in range(count)]
    edited = [
        p.replace("budget", "new budget") if i % every == 0 else p for i, p in enumerate(paragraphs)
    ]
    return (
        ("# Budget passes\n\n" + "\n\n".join(paragraphs)).encode(),
        ("# Budget passes\n\n" + "\n\n".join(edited)).encode(),
    )


def _repetitive_pair(size: int) -> tuple[bytes, bytes]:
    before = _fill("the council ", size, "# Budget passes\n\n")
    after = _fill("council the budget ", size, "# Budget passes\n\n")
    return before, after


def _one_paragraph_pair(size: int) -> tuple[bytes, bytes]:
    words = [f"w{i % 997}" for i in range(size // 6)]
    edited = ["changed" if i % 500 == 0 else w for i, w in enumerate(words)]
    return (
        ("# Budget passes\n\n" + " ".join(words)).encode(),
        ("# Budget passes\n\n" + " ".join(edited)).encode(),
    )


def _shuffled_pair(size: int) -> tuple[bytes, bytes]:
    count = min(size // 20, 9_000)  # under parse.MAX_PARAGRAPHS: the diff is what is measured
    filler = " alpha beta" * max(size // count // 11 - 1, 1)
    paragraphs = [f"p{i}{filler}" for i in range(count)]
    shuffled = paragraphs[1::2] + paragraphs[0::2]
    return (
        ("# Budget passes\n\n" + "\n\n".join(paragraphs)).encode(),
        ("# Budget passes\n\n" + "\n\n".join(shuffled)).encode(),
    )


# (name, path, key, builder): path "parse" reads one file, "diff" judges an update of
# the first file by the second, "ingest" writes both through ingest_upload on moto.
CASES: list[tuple[str, str, str, Callable[[int], Any]]] = [
    ("text: paragraphs", "parse", "a.txt", _text_paragraphs),
    ("text: one line", "parse", "a.txt", _text_one_line),
    ("text: short lines", "parse", "a.txt", _text_short_lines),
    ("text: tiny paragraphs", "parse", "a.txt", _text_tiny_paragraphs),
    ("text: tags header", "parse", "a.txt", _text_tags),
    ("text: control chars", "parse", "a.txt", _controls),
    ("md: ** openers", "parse", "a.md", _md_front("**a ")),
    ("md: _ openers", "parse", "a.md", _md_front("_a ")),
    ("md: link openers", "parse", "a.md", _md_front("[a](")),
    ("md: brackets", "parse", "a.md", _md_front("[")),
    ("md: backtick runs", "parse", "a.md", _md_front("``a `")),
    ("md: comment openers", "parse", "a.md", _md_front("<!--")),
    ("md: quote markers", "parse", "a.md", _md_front(">")),
    ("md: heading spaces", "parse", "a.md", lambda s: _fill(" ", s, "# ", "x\n\nBody.")),
    ("md: list items", "parse", "a.md", _md_front("- a\n")),
    ("md: alias bomb", "parse", "a.md", _md_alias_bomb),
    ("md: front matter", "parse", "a.md", _md_front_matter_big),
    ("md: front tags", "parse", "a.md", _md_front_matter_tags),
    ("html: deep divs", "parse", "a.html", _html_deep),
    ("html: deep articles", "parse", "a.html", _html_deep_articles),
    ("html: paragraphs", "parse", "a.html", _html_paragraphs),
    ("html: attributes", "parse", "a.html", _html_attribute_soup),
    ("html: articles", "parse", "a.html", _html_many_articles),
    ("html: keywords", "parse", "a.html", _html_keywords),
    ("html: unclosed tags", "parse", "a.html", _html_unclosed_tags),
    ("charset: rot13", "parse", "a.html", _charset("rot13")),
    ("charset: undefined", "parse", "a.html", _charset("undefined")),
    ("charset: koi8-r", "parse", "a.html", _charset("koi8-r")),
    ("diff: scattered", "diff", "a.md", lambda s: _update_pair(s, every=25)),
    ("diff: repetitive", "diff", "a.md", _repetitive_pair),
    ("diff: reordered", "diff", "a.md", _shuffled_pair),
    ("diff: one paragraph", "diff", "a.md", _one_paragraph_pair),
    ("write: update", "ingest", "a.md", lambda s: _update_pair(s, every=25)),
    (
        "write: tags",
        "ingest",
        "a.txt",
        lambda s: (_text_tags(s - 8), _text_tags(s - 8) + b" More."),
    ),
    ("write: alias bomb", "ingest", "a.md", lambda s: (_md_alias_bomb(s), _md_alias_bomb(s))),
]


# -- one case, in its own process -----------------------------------------------------------


def _peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _parse(key: str, data: bytes) -> tuple[str, str]:
    from stoppress.articles.parse import parse_article
    from stoppress.core.errors import ArticleParseError

    try:
        article = parse_article(data, key=f"articles/{key}")
    except ArticleParseError as e:
        return "rejected", e.reason
    return "stored", f"{len(article.paragraphs)} paragraphs, {len(article.tags)} tags"


def _diff(key: str, pair: tuple[bytes, bytes]) -> tuple[str, str]:
    from stoppress.articles.changes import classify_change
    from stoppress.articles.parse import parse_article
    from stoppress.core.errors import ArticleParseError

    try:
        before, after = (parse_article(data, key=f"articles/{key}") for data in pair)
    except ArticleParseError as e:
        return "rejected", e.reason
    decision = classify_change(after, previous_headline=before.headline, previous_body=before.body)
    return "stored", f"{decision.change.value}, {decision.changed_words} words changed"


def _ingest(key: str, pair: tuple[bytes, bytes]) -> tuple[str, str]:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "TABLE_NAME": "stoppress-bench",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    import boto3
    from moto import mock_aws

    from stoppress.core.settings import IngestSettings, load_settings
    from stoppress.ingest.articles_table import ArticleStore
    from stoppress.ingest.objects import ObjectStore
    from stoppress.ingest.s3_events import upload_from_record
    from stoppress.ingest.service import ingest_upload
    from stoppress_dev.template import create_table_kwargs
    from tests.integration.s3_events import put, record

    with mock_aws():
        boto3.client("dynamodb").create_table(**create_table_kwargs("stoppress-bench"))
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="bench")
        s3.put_bucket_versioning(Bucket="bench", VersioningConfiguration={"Status": "Enabled"})
        settings = load_settings(IngestSettings)
        store, objects = ArticleStore("stoppress-bench"), ObjectStore()
        outcome = None
        for data in pair:
            upload = upload_from_record(record(put(s3, "bench", f"articles/{key}", data)))
            outcome = ingest_upload(upload, store=store, objects=objects, settings=settings)
        assert outcome is not None
        if outcome.status == "rejected":
            return "rejected", outcome.reason or ""
        version = outcome.version
        detail = (
            f"v{version.number} {version.change.value}, body in S3: {version.body_in_source}"
            if version
            else ""
        )
        return outcome.status, detail


_PATHS: dict[str, Callable[[str, Any], tuple[str, str]]] = {
    "parse": _parse,
    "diff": _diff,
    "ingest": _ingest,
}


def _run_case(index: int, size: int, conn: Any) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_LIMIT, _ADDRESS_LIMIT))
    _, path, key, build = CASES[index]
    material = build(size)
    run = _PATHS[path]
    if path == "parse":  # the libraries a real upload loads are not the case's cost
        run(key, b"Warm up\n\nImports only.")
    started = time.perf_counter()
    try:
        outcome, detail = run(key, material)
    except MemoryError:
        outcome, detail = "crashed", "MemoryError"
    except Exception as e:  # a crash is what this measures
        outcome, detail = "crashed", f"{type(e).__name__}: {e}"
    seconds = time.perf_counter() - started
    conn.send((seconds, _peak_mb(), outcome, detail, len(detail)))
    conn.close()


def measure(index: int, size: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_run_case, args=(index, size, send))
    started = time.perf_counter()
    process.start()
    send.close()
    result = None
    if receive.poll(_KILL_AFTER_S):
        try:
            result = receive.recv()
        except EOFError:
            result = None
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()
    name, path = CASES[index][0], CASES[index][1]
    if result is None:
        waited = time.perf_counter() - started
        result = (waited, float("nan"), "crashed", f"no answer (exit {process.exitcode})", 0)
    seconds, peak, outcome, detail, detail_chars = result
    within = (
        outcome in ("stored", "rejected")
        and seconds <= BUDGET_SECONDS
        and peak <= BUDGET_MB
        and detail_chars <= 500
    )
    return {
        "case": name,
        "path": path,
        "kib": size // 1024,
        "seconds": round(seconds, 3),
        "peak_mb": round(peak, 1),
        "outcome": outcome,
        "detail": detail,
        "detail_chars": detail_chars,
        "within_budget": within,
    }


def _print_header() -> None:
    print(f"{'case':<22}{'KiB':>6}{'seconds':>9}{'peak MB':>9}  outcome")


def _print(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        detail = row["detail"]
        if len(detail) > _REASON_SHOWN:
            detail = detail[: _REASON_SHOWN - 1] + "…"
        mark = "" if row["within_budget"] else "  OVER BUDGET"
        print(
            f"{row['case']:<22}{row['kib']:>6}{row['seconds']:>9.2f}{row['peak_mb']:>9.1f}  "
            f"{row['outcome']}: {detail}{mark}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="64,512,2048", help="file sizes in KiB")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args(argv)
    sizes = [int(s) * 1024 for s in args.sizes.split(",")]

    rows = []
    _print_header()
    for index, (name, *_rest) in enumerate(CASES):
        if args.only and args.only not in name:
            continue
        for size in sizes:
            rows.append(measure(index, size))
            _print(rows[-1:])
    over = [row for row in rows if not row["within_budget"]]
    print(
        f"\n{len(rows) - len(over)} of {len(rows)} cases within {BUDGET_SECONDS:.0f} s and "
        f"{BUDGET_MB:.0f} MB (peak includes the interpreter and its imports)"
    )
    write_results(
        "adversarial",
        {
            "budget": {"seconds": BUDGET_SECONDS, "peak_mb": BUDGET_MB},
            "cases": rows,
        },
    )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
