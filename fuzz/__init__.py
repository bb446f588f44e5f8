"""Coverage-guided fuzzing (atheris, libFuzzer) of what the outside world hands us.

Two targets, each a module runnable as ``python -m fuzz.<target> [libFuzzer flags] CORPUS...``:

- ``fuzz.parse``: uploaded bytes and a ``.txt``, ``.md`` or ``.html`` key into
  ``parse_article``, which must end in an Article whose every shown field is
  screen text (``stoppress.articles.screen``), or in ``ArticleParseError``;
- ``fuzz.subscribe``: a JSON request body through the validation the
  subscriptions API performs, which must end in a valid request or in the
  typed errors the handler answers with a 4xx.

Anything else is a crash, and so is an input that takes longer than
``checks.TIME_BUDGET_S``. Seed corpora live in ``fuzz/corpus/<target>/``;
``python -m fuzz.run --minutes N`` runs every target for a while and keeps
what it finds under ``build/fuzz/``.
"""
