"""A one-line label whose text can change at every step of a sweep without re-laying out the window.

A plain QLabel asks its parent's layout to recompute at every ``setText`` (its size hint may have changed), and
the layouts above it follow up to the main window: on a 2-core machine under load one such pass (the views'
splitter, and every view whose geometry moved by a pixel repainted) was a good part of the longest event-loop
stalls (``bench_gui_responsiveness --events``). Here the label is the only child of a holder widget without a
layout; the holder has a constant size hint (one line of the label's font), takes the width its own layout gives
it and sizes the label to it. A text change repaints the label only. A text wider than the holder is clipped.
"""

from PyQt6.QtCore import QSize
from PyQt6.QtWidgets import QLabel, QSizePolicy, QWidget


class SteadyLabelHolder(QWidget):
    def __init__(self, label, parent=None):
        super().__init__(parent)
        self.label = label
        label.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def sizeHint(self):  # the width is the layout's to give (Ignored): constant, whatever the text
        return QSize(0, self.label.sizeHint().height())

    def minimumSizeHint(self):
        return QSize(0, self.label.sizeHint().height())

    def resizeEvent(self, event):
        self.label.setGeometry(0, 0, self.width(), self.height())
        super().resizeEvent(event)


def steady_label(text="", object_name=None):
    """(holder, label): put ``holder`` in the layout, set the text on ``label``."""
    label = QLabel(text)
    if object_name:
        label.setObjectName(object_name)
    return SteadyLabelHolder(label), label
