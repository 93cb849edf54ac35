"""The layers a running round reads, followed by identity through renames.

The session names each image by its layer's name when the round starts; a
user may rename the layer while it trains. Its results (prediction,
uncertainty, boxes) then go to the layer under its new name instead of being
dropped for want of a layer of the old one.
"""

from __future__ import annotations

from dataclasses import replace

from napari.layers import Image, Layer

from napari_finetune.session import RoundFinished


class RoundInputs:
    """The image and labels layers of a round; ``layer in inputs`` by identity.

    Parameters
    ----------
    layers : list of Layer
        Every layer the round reads; its image layers name the session's pairs.
    """

    def __init__(self, layers: list[Layer] = ()) -> None:
        self._ids = {id(layer) for layer in layers}
        self._images = {layer.name: layer for layer in layers if isinstance(layer, Image)}

    def __contains__(self, layer: object) -> bool:
        return id(layer) in self._ids

    def name(self, started_as: str) -> str:
        """What the image layer called ``started_as`` when the round started is called now."""
        layer = self._images.get(started_as)
        return started_as if layer is None else layer.name

    def names(self, pairs: list) -> list[str]:
        """The current names of the images of the session's ``pairs``."""
        return [self.name(pair.name) for pair in pairs]

    def current(self, event: object) -> object:
        """``event`` with its images named as their layers are called now."""
        if isinstance(event, RoundFinished):
            boxes = [replace(box, target=self.name(box.target)) for box in event.ranking]
            return replace(event, ranking=boxes)
        target = getattr(event, "target", None)
        return event if target is None else replace(event, target=self.name(target))
