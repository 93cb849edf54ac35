"""Where a reopened prediction store's layers sit: scale, offset and units of two axes.

A store the dock wrote records the image layer's placement; a label image
beside an OME-Zarr image has its NGFF scale and axis units. Either is checked
here (two numbers per key, units pint knows) before napari sees it, and
widened to layers with leading axes (an OME-Zarr label image's channel axis).
"""

from __future__ import annotations


def ome_placement(multiscale: dict, axes: int = 2) -> dict:
    """Scale, offset and units of the last ``axes`` axes of an NGFF multiscale's finest level.

    The finest level's transforms come first, then those NGFF allows for the
    whole multiscale: ``x' = s_m (s_d x + t_d) + t_m``, i.e. scale ``s_m s_d``
    and offset ``s_m t_d + t_m``. Two axes for an image (rows, columns), three
    for a z-stack (planes too).
    """
    scale, offset, found = [1.0] * axes, [0.0] * axes, set()
    for transforms in (
        multiscale["datasets"][0].get("coordinateTransformations", []),
        multiscale.get("coordinateTransformations", []),
    ):
        for transform in transforms:
            kind = transform.get("type")
            if kind == "scale":
                factors = [float(v) for v in list(transform["scale"])[-axes:]]
                scale = [a * b for a, b in zip(scale, factors, strict=True)]
                offset = [a * b for a, b in zip(offset, factors, strict=True)]
                found.add("scale")
            elif kind == "translation":
                moved = [float(v) for v in list(transform["translation"])[-axes:]]
                offset = [a + b for a, b in zip(offset, moved, strict=True)]
                found.add("translate")
    out: dict = {}
    if "scale" in found:
        out["scale"] = scale
    if "translate" in found:
        out["translate"] = offset
    named = multiscale.get("axes") or []
    units = [a.get("unit") for a in named[-axes:] if isinstance(a, dict)]
    if len(units) == axes and all(units):
        out["units"] = units
    return checked_placement(out, axes)


def checked_placement(record: object, axes: int = 2) -> dict:
    """The usable part of a placement record: ``axes`` numbers per key, units pint knows."""
    if not isinstance(record, dict):
        return {}
    out: dict = {}
    for key in ("scale", "translate"):
        values = record.get(key)
        try:
            if isinstance(values, list) and len(values) == axes:
                out[key] = [float(v) for v in values]
        except (TypeError, ValueError):
            continue
    units = record.get("units")
    if isinstance(units, list) and len(units) == axes and all(isinstance(u, str) for u in units):
        try:
            import pint

            registry = pint.get_application_registry()
            for unit in units:
                registry.Unit(unit)
            out["units"] = units
        except Exception:  # an unknown unit (napari would refuse it): pixels instead
            pass
    return out


def placement_for(placement: dict | None, ndim: int) -> dict:
    """``placement`` (of the last axes) for an ``ndim``-axis layer: others unit, zero, pixels."""
    out = {}
    for key, filler in (("scale", 1.0), ("translate", 0.0), ("units", "pixel")):
        if placement and key in placement:
            out[key] = [filler] * (ndim - len(placement[key])) + list(placement[key])
    return out
