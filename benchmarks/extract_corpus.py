"""The extraction corpus: real-world page structures with a reference article beside each.

``tests/corpus/<stem>.html`` (or ``.txt``) is a page as a CMS serves it or a
browser saves it; ``<stem>.json`` is what a reader of that page takes as the
story:

- ``headline``: the story's own headline;
- ``lead``: the paragraph a notification should show (the story's first real
  paragraph, without its dateline), and ``lead_alternatives``: other
  acceptable ones (a standfirst);
- ``dateline``: the place the story is filed from ("BRUSSELS"), or null;
- ``body``: the story's paragraphs in reading order, the lead without its
  dateline; list items, table rows and crossheads are lines of their own;
- ``chrome_edit``: a (find, replace) edit of page chrome only, which must
  never make a version that notifies;
- ``story_edit``: a (find, replace) edit that adds one paragraph to the
  story, which must notify the story's followers;
- ``cms``, ``language``, ``exercises``: what the page models, for reports.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
CORPUS: Final = ROOT / "tests" / "corpus"
PAGE_SUFFIXES: Final = (".html", ".txt")


@dataclass(frozen=True)
class Edit:
    find: str
    replace: str

    def apply(self, source: bytes) -> bytes:
        text = source.decode("utf-8")
        if text.count(self.find) != 1:
            raise ValueError(f"the edit's text occurs {text.count(self.find)} times, not once")
        return text.replace(self.find, self.replace, 1).encode("utf-8")


@dataclass(frozen=True)
class CorpusPage:
    path: Path
    source: bytes
    cms: str
    language: str
    exercises: str
    headline: str
    lead: str
    lead_alternatives: tuple[str, ...]
    dateline: str | None
    body: tuple[str, ...]
    chrome_edit: Edit
    story_edit: Edit

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def key(self) -> str:
        """The S3 key an editor would upload this page to."""
        return f"articles/{self.path.name}"

    @property
    def leads(self) -> tuple[str, ...]:
        return (self.lead, *self.lead_alternatives)

    @property
    def reference_body(self) -> str:
        return "\n\n".join(self.body)


def _edit(raw: dict[str, Any]) -> Edit:
    return Edit(find=raw["find"], replace=raw["replace"])


def load_page(path: Path) -> CorpusPage:
    reference = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return CorpusPage(
        path=path,
        source=path.read_bytes(),
        cms=reference["cms"],
        language=reference["language"],
        exercises=reference.get("exercises", ""),
        headline=reference["headline"],
        lead=reference["lead"],
        lead_alternatives=tuple(reference.get("lead_alternatives", ())),
        dateline=reference["dateline"],
        body=tuple(reference["body"]),
        chrome_edit=_edit(reference["chrome_edit"]),
        story_edit=_edit(reference["story_edit"]),
    )


def page_paths(folder: Path = CORPUS) -> list[Path]:
    """Every page in ``folder`` that has a reference beside it, by name."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix in PAGE_SUFFIXES and path.with_suffix(".json").is_file()
    )


def load_corpus(folder: Path = CORPUS) -> list[CorpusPage]:
    return [load_page(path) for path in page_paths(folder)]
