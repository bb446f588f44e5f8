"""A word diff for people to read: what was deleted and inserted between two texts.

Judging a change (``articles.changes``) compares normalised, case-folded words and
only counts them; an editor wants to see the text itself, spacing, case and
punctuation included. So this diff keeps every character: joining the ``equal`` and
``delete`` operations gives the old text back, ``equal`` and ``insert`` the new one.

Paragraphs are aligned first (a paragraph moved, added or dropped whole is one
operation), then the paragraphs that differ are compared word by word. A stretch too
long to compare within the budget is shown as deleted and inserted whole, so a
rewritten 2 MiB page costs a bounded amount of work.
"""

import difflib
import re
from dataclasses import dataclass
from typing import Final, Literal

OpKind = Literal["equal", "delete", "insert"]

# Word pairs one changed stretch may compare (SequenceMatcher's cost grows with the product).
STRETCH_BUDGET: Final = 250_000
# Words, runs of spacing, and single punctuation marks: "12," becomes "12" and ",".
_TOKEN: Final = re.compile(r"\w+|\s+|[^\w\s]")
# Paragraphs with their trailing blank line, so joining them gives the text back.
_PARAGRAPH: Final = re.compile(r"(?s).+?(?:\n\n|\Z)")


@dataclass(frozen=True)
class Op:
    kind: OpKind
    text: str


def word_diff(before: str, after: str) -> list[Op]:
    """The operations that turn ``before`` into ``after``; adjacent ones of a kind merged."""
    old, new = _PARAGRAPH.findall(before), _PARAGRAPH.findall(after)
    ops: list[Op] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = "".join(old[i1:i2]), "".join(new[j1:j2])
        if tag == "equal":
            ops.append(Op("equal", a))
        elif tag == "replace":
            ops += _words(a, b)
        else:
            ops += [Op("delete", a), Op("insert", b)]
    return _merged(ops)


def old_text(ops: list[Op]) -> str:
    return "".join(op.text for op in ops if op.kind != "insert")


def new_text(ops: list[Op]) -> str:
    return "".join(op.text for op in ops if op.kind != "delete")


def _words(before: str, after: str) -> list[Op]:
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    if len(a) * len(b) > STRETCH_BUDGET:
        return [Op("delete", before), Op("insert", after)]
    ops: list[Op] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(Op("equal", "".join(a[i1:i2])))
        else:
            ops += [Op("delete", "".join(a[i1:i2])), Op("insert", "".join(b[j1:j2]))]
    return ops


def _merged(ops: list[Op]) -> list[Op]:
    """Empty operations dropped, and each changed run told as one deletion then one insertion.

    A lone space or punctuation mark left equal between two changes would otherwise
    cut a rewritten phrase into word-sized pieces: it joins both sides of the change.
    """
    ops = [op for op in ops if op.text]
    out: list[Op] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(Op("delete", "".join(deleted)))
        if inserted:
            out.append(Op("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for index, op in enumerate(ops):
        between_changes = (
            op.kind == "equal"
            and bool(deleted or inserted)
            and index + 1 < len(ops)
            and ops[index + 1].kind != "equal"
            and _is_glue(op.text)
        )
        if op.kind == "delete":
            deleted.append(op.text)
        elif op.kind == "insert":
            inserted.append(op.text)
        elif between_changes:
            deleted.append(op.text)
            inserted.append(op.text)
        else:
            flush()
            if out and out[-1].kind == "equal":
                out[-1] = Op("equal", out[-1].text + op.text)
            else:
                out.append(op)
    flush()
    return out


def _is_glue(text: str) -> bool:
    """A single space or punctuation mark between two changed words."""
    return len(text) <= 2 and not any(ch.isalnum() for ch in text) and "\n" not in text
