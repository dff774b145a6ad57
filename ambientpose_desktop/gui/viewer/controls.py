"""Overlay toggles, confidence threshold and the list of people, all writing ``ViewerState``."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ambientpose_desktop.core.palette import track_color
from ambientpose_desktop.gui.viewer.state import ViewerState

TOGGLES = (("skeleton", "Skeleton"), ("keypoints", "Keypoints"), ("boxes", "Boxes"),
           ("labels", "ID labels"))


def _swatch(track: int) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(*track_color(track)))
    return QIcon(pixmap)


class OverlayControls(QWidget):
    def __init__(self, state: ViewerState, tracks: list[int], parent=None) -> None:
        super().__init__(parent)
        self._state = state
        options = state.options
        self.toggles: dict[str, QCheckBox] = {}
        shown = QGroupBox("Show")
        shown_layout = QVBoxLayout(shown)
        for key, text in TOGGLES:
            box = QCheckBox(text, checked=getattr(options, key))
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            box.toggled.connect(lambda on, k=key: state.set_options(**{k: on}))
            shown_layout.addWidget(box)
            self.toggles[key] = box
        self.threshold = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100,
                                 value=round(options.threshold * 100))
        self.threshold.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.threshold_label = QLabel()
        self.threshold.valueChanged.connect(self._threshold_changed)
        row = QHBoxLayout()
        row.addWidget(QLabel("Min. score"))
        row.addWidget(self.threshold, 1)
        row.addWidget(self.threshold_label)
        shown_layout.addLayout(row)
        self.people = QListWidget()
        self.people.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for track in tracks:
            item = QListWidgetItem(_swatch(track), f"Person #{track}" if track >= 0
                                   else "Untracked")
            item.setData(Qt.ItemDataRole.UserRole, track)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.people.addItem(item)
        self.people.itemChanged.connect(self._person_toggled)
        people_box = QGroupBox(f"People ({len(tracks)})")
        QVBoxLayout(people_box).addWidget(self.people)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(shown)
        layout.addWidget(people_box, 1)
        self._threshold_changed(self.threshold.value())

    def _threshold_changed(self, value: int) -> None:
        self.threshold_label.setText(f"{value / 100:.2f}")
        self._state.set_options(threshold=value / 100)

    def _person_toggled(self, item: QListWidgetItem) -> None:
        self._state.set_track_visible(int(item.data(Qt.ItemDataRole.UserRole)),
                                      item.checkState() == Qt.CheckState.Checked)
