"""Synthetic microstructures (no Qt): images with exact, free labels.

Voronoi grains in SEM contrast (:func:`voronoi_grains`) and the wider world
built on the same grain map: annealing twins, second phases, colour tint
etching, EBSD IPF maps and EM membranes, mixed by :func:`world_sample`.
"""

from napari_finetune.synth.grains import GrainSample, voronoi_grains
from napari_finetune.synth.ipf import IPFSample, ipf_colour, ipf_map
from napari_finetune.synth.membranes import MembraneSample, em_membranes
from napari_finetune.synth.parameters import GrainParameters, TargetDomain
from napari_finetune.synth.phases import PhaseSample, second_phases
from napari_finetune.synth.tint_etch import TintSample, tint_etch
from napari_finetune.synth.twins import TwinSample, annealing_twins
from napari_finetune.synth.world import KINDS, WorldSample, grey, preset_for, world_sample

__all__ = [
    "KINDS",
    "GrainParameters",
    "GrainSample",
    "IPFSample",
    "MembraneSample",
    "PhaseSample",
    "TargetDomain",
    "TintSample",
    "TwinSample",
    "WorldSample",
    "annealing_twins",
    "em_membranes",
    "grey",
    "ipf_colour",
    "ipf_map",
    "preset_for",
    "second_phases",
    "tint_etch",
    "voronoi_grains",
    "world_sample",
]
