"""Synthetic Voronoi grain microstructures (no Qt): images with exact free labels."""

from napari_finetune.synth.grains import GrainSample, voronoi_grains
from napari_finetune.synth.parameters import GrainParameters, TargetDomain

__all__ = ["GrainParameters", "GrainSample", "TargetDomain", "voronoi_grains"]
