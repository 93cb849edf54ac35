"""The loss plot reads well in a narrow dock: no label over another, none cut off."""

import pytest

from napari_finetune._widgets._training_plot import TrainingPlot


@pytest.mark.parametrize("size", [(340, 190), (440, 240)])
def test_labels_neither_overlap_nor_fall_outside(qtbot, size):
    plot = TrainingPlot()
    qtbot.addWidget(plot)
    plot.resize(*size)
    for epoch in range(1, 13):
        plot.add_epoch(epoch, 1 / epoch, 1.2 / epoch, min(0.9, 0.1 * epoch))
    plot.show()
    plot.draw()
    renderer = plot.figure.canvas.get_renderer()
    figure = plot.figure.bbox
    loss, score = plot.loss_axes, plot.score_axes

    def box(artist):
        return artist.get_window_extent(renderer)

    f1_label, epoch_label = box(score.yaxis.label), box(loss.xaxis.label)
    # the F1 label is right of the plot, away from the loss ticks (it was over them)
    assert f1_label.x0 >= box(loss).x1
    for tick in loss.get_yticklabels():
        assert not f1_label.overlaps(box(tick))
    # 'epoch' and the F1 label are inside the figure (they were clipped)
    for label in (f1_label, epoch_label, box(loss.yaxis.label)):
        assert figure.x0 <= label.x0 and label.x1 <= figure.x1 + 1
        assert figure.y0 <= label.y0 and label.y1 <= figure.y1 + 1
    # the legend sits above the axes: it hides no curve
    (legend,) = plot.figure.legends
    assert box(legend).y0 >= box(loss).y1 - 1


def test_the_fold_in_is_marked_and_its_legend_entry_fits(qtbot):
    plot = TrainingPlot()
    qtbot.addWidget(plot)
    plot.resize(340, 190)  # the narrow dock
    for epoch in range(1, 9):
        held = epoch <= 5
        plot.add_epoch(
            epoch,
            1 / epoch,
            1.2 / epoch if held else None,
            0.1 * epoch if held else None,
            folded_in=epoch == 5,
        )
    plot.show()
    plot.draw()
    renderer = plot.figure.canvas.get_renderer()
    (marker,) = [line for line in plot.loss_axes.get_lines() if line.get_linestyle() == ":"]
    assert list(marker.get_xdata()) == [5.5, 5.5]
    (legend,) = plot.figure.legends
    assert "held-out px train" in [t.get_text() for t in legend.get_texts()]
    box = legend.get_window_extent(renderer)
    assert plot.figure.bbox.x0 <= box.x0 and box.x1 <= plot.figure.bbox.x1 + 1
    plot.clear()
    assert plot.folded_after is None  # a new run starts unmarked
