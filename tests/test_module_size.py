"""Small modules with one concept each: no source module grows past 300 lines."""

from pathlib import Path

import napari_finetune

MAX_LINES = 300


def test_every_source_module_is_at_most_300_lines():
    root = Path(napari_finetune.__file__).parent
    long = {
        str(path.relative_to(root)): n
        for path in sorted(root.rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these modules (lines): {long}"
