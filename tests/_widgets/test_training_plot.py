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
