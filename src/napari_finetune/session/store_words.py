"""What a prediction store holds, in words: complete, or how far a stopped run came."""

from __future__ import annotations


def store_in_words(state: dict, complete: bool, n_classes: int, views: int) -> str:
    """E.g. "complete, 3 classes" (", averaged over 8 views"), "stopped after 4,096 rows".

    A stack's: "stopped after 12 of 400 planes" (" and 8,192 of 30,000 rows of
    plane 13" when stopped inside it).

    Parameters
    ----------
    state : dict
        The store's ``napari_finetune`` attributes (``rows``, ``rows_done``, and
        for a stack ``planes``, ``planes_done``).
    complete : bool
        Whether every band (of every plane) is written.
    n_classes, views : int
        The classes predicted, and the flipped and rotated views each pixel averaged.
    """
    if complete:
        if views > 1:
            return f"complete, {n_classes} classes, averaged over {views} views"
        return f"complete, {n_classes} classes"
    planes = state.get("planes")
    if isinstance(planes, int):  # a stack, predicted plane after plane
        done = int(state.get("planes_done", 0))
        if done >= planes:
            return "stopped after its last plane: every plane is predicted"
        # Rows of the plane under way; stores from before said the last plane's, all.
        rows, of = int(state.get("rows_done", 0)), state.get("rows")
        cut = rows > 0 and isinstance(of, int) and rows < of
        within = f" and {rows:,} of {of:,} rows of plane {done + 1:,}" if cut else ""
        return f"stopped after {done:,} of {planes:,} planes{within}: the rest is not predicted"
    done, rows = int(state.get("rows_done", 0)), state.get("rows")
    if isinstance(rows, int) and done >= rows:
        return "stopped after its last band: every row is predicted"
    total = f" of {rows:,}" if isinstance(rows, int) else ""
    return f"stopped after {done:,}{total} rows: the rest is not predicted"
