"""The table the check ends with: import times against the budgets, and events passed."""

from __future__ import annotations

from collections.abc import Sequence

from stoppress_dev.samcheck.functions import Function
from stoppress_dev.samcheck.imports import FIRST_USE_IMPORTS, IMPORT_BUDGET_MS, IMPORT_RUNS


def print_table(functions: Sequence[Function], baseline_ms: float | None, invoked: bool) -> None:
    headers = (
        "function",
        "import ms",
        "boto3-only ms",
        "above boto3",
        "budget",
        "heavy",
        "events ok",
    )
    rows = []
    for fn in functions:
        above = (
            fn.import_ms - baseline_ms
            if fn.import_ms is not None and baseline_ms is not None
            else None
        )
        budget = IMPORT_BUDGET_MS.get(fn.logical_id)
        budget_text = "-" if budget is None else f"+{budget}"
        if budget is not None and above is not None and above > budget:
            budget_text += " OVER"
        rows.append(
            (
                fn.logical_id,
                "-" if fn.import_ms is None else f"{fn.import_ms:.0f}",
                "-" if baseline_ms is None else f"{baseline_ms:.0f}",
                "-" if above is None else f"{above:+.0f}",
                budget_text,
                ",".join(fn.loaded) or "none",
                f"{fn.events_ok}/{fn.events_run}" if invoked else "skipped",
            )
        )
    for fn in functions:
        if fn.logical_id not in FIRST_USE_IMPORTS or fn.first_use_ms is None:
            continue
        what, _, first_budget = FIRST_USE_IMPORTS[fn.logical_id]
        above = None if baseline_ms is None else fn.first_use_ms - baseline_ms
        over = " OVER" if above is not None and above > first_budget else ""
        rows.append(
            (
                f"{fn.logical_id}, {what}",
                f"{fn.first_use_ms:.0f}",
                "-" if baseline_ms is None else f"{baseline_ms:.0f}",
                "-" if above is None else f"{above:+.0f}",
                f"+{first_budget}{over}",
                "",
                "",
            )
        )
    widths = [max(len(str(r[i])) for r in (headers, *rows)) for i in range(len(headers))]
    line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 - widths are computed
    print()
    print(line.format(*headers))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    print(
        f"(median of {IMPORT_RUNS} cold imports in a fresh Python 3.13 with only boto3 + the "
        "built layer, as on Lambda: no .pyc written, the layer's own precompiled)",
        flush=True,
    )
