"""Region classes of second-phase samples (:mod:`~napari_finetune.synth.phases`)."""

MATRIX, PRECIPITATE, LAMELLAR = 1, 2, 3
REGION_NAMES = {MATRIX: "matrix", PRECIPITATE: "precipitate", LAMELLAR: "lamellar colony"}
