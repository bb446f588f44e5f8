"""The built layers' and functions' sizes, against Lambda's limits (250 MB unzipped for a
function and its layers, 50 MB zipped for a direct upload).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from stoppress_dev.samcheck.functions import Function, layer_dirs


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _zipped_size(path: Path) -> int:
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for p in sorted(path.rglob("*")):
                if p.is_file():
                    archive.write(p, p.relative_to(path))
        return tmp.seek(0, os.SEEK_END)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def report_sizes(functions: Sequence[Function]) -> None:
    for layer in layer_dirs():
        root = layer.parent
        largest = sorted(
            ((_tree_size(p) if p.is_dir() else p.stat().st_size, p.name) for p in layer.iterdir()),
            reverse=True,
        )[:5]
        print(
            f"layer {root.name}: {_mb(_tree_size(root))} unzipped, {_mb(_zipped_size(root))} "
            f"zipped; largest: {', '.join(f'{n} {_mb(s)}' for s, n in largest)}",
            flush=True,
        )
    for fn in functions:
        if fn.build_dir.is_dir():
            print(f"function {fn.logical_id}: {_tree_size(fn.build_dir) / 1000:.1f} kB", flush=True)
