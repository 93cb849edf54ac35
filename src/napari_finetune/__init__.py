"""napari-finetune: fine-tune a pretrained U-Net on the labels you paint in napari."""

__version__ = "0.1.0"

from napari_finetune.synth import voronoi_grains

__all__ = ["__version__", "voronoi_grains"]
