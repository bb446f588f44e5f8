"""Fuzz target: uploaded bytes into ``parse_article``.

The first byte picks the key's extension (``.txt``, ``.md``, ``.html``); the
rest is the file. Seeds in ``fuzz/corpus/parse/`` carry that byte.
"""

import sys

import atheris

with atheris.instrument_imports(include=["stoppress"]):
    from stoppress.articles import (  # noqa: F401  (instrumented before first use)
        decoding,
        furniture,
        htmlpage,
        lead,
        markdown,
        normalise,
        plaintext,
    )
    from stoppress.articles.parse import parse_article
    from stoppress.articles.screen import screen_text
    from stoppress.core.errors import ArticleParseError

from fuzz import checks

KEYS = ("articles/fuzzed.txt", "articles/fuzzed.md", "articles/fuzzed.html")


def key_and_file(data: bytes) -> tuple[str, bytes]:
    if not data:
        return KEYS[0], b""
    return KEYS[data[0] % len(KEYS)], data[1:]


def test_one_input(data: bytes) -> None:
    key, upload = key_and_file(data)
    with checks.time_budget():
        try:
            article = parse_article(upload, key=key)
        except ArticleParseError as e:
            checks.valid_unicode(e.reason, "the reason")
            return
    optional = {
        "dateline": article.dateline,
        "update line": article.overrides.update_note,
    }
    shown = [
        ("headline", article.headline),
        *((what, text) for what, text in optional.items() if text is not None),
        ("summary", article.summary),
        *(("a paragraph", text) for text in article.paragraphs),
        *(("a tag", text) for text in article.tags),
    ]
    for what, text in shown:
        checks.screen_text(text, what, screen=screen_text)
    for what, value in (("lang", article.lang), ("image", article.image)):
        if value is not None:
            checks.valid_unicode(value, what)


def main(argv: list[str]) -> None:
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
