"""Overlay toggles, confidence threshold, which results the overlay shows (edited or
filtered, with a warning when the filtered ones are out of date) and the list of people, all
writing ``ViewerState``.

The list shows the edited identities with their names; ticking hides or shows a person,
clicking one selects them (Shift+click marks the other one of a merge or swap)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPixmap
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

from ambientpose_desktop.core.edited_table import EditedTable
from ambientpose_desktop.core.palette import track_color
from ambientpose_desktop.gui.viewer.filtered import FilteredLayer
from ambientpose_desktop.gui.viewer.state import OverlayOptions, Selection, ViewerState

TOGGLES = (("skeleton", "Skeleton"), ("keypoints", "Keypoints"), ("boxes", "Boxes"),
           ("labels", "ID labels"))


def _swatch(track: int) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(*track_color(track)))
    return QIcon(pixmap)


class OverlayControls(QWidget):
    def __init__(self, state: ViewerState, table: EditedTable,
                 filtered: FilteredLayer | None = None, has_rejected: bool = False,
                 parent=None) -> None:
        super().__init__(parent)
        self._state, self._table, self._filtered = state, table, filtered
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
        self.filtered_box = QCheckBox("Filtered results (F)", checked=options.filtered)
        self.filtered_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.filtered_box.toggled.connect(lambda on: state.set_options(filtered=on))
        self.rejected_box = QCheckBox("Rejected detections (R)", checked=options.rejected)
        self.rejected_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.rejected_box.toggled.connect(lambda on: state.set_options(rejected=on))
        self.rejected_box.setEnabled(has_rejected)  # results without a raw layer have none
        self.filter_label = QLabel(wordWrap=True)
        for widget in (self.filtered_box, self.filter_label, self.rejected_box):
            shown_layout.addWidget(widget)
        self.people = QListWidget()
        self.people.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.people.itemChanged.connect(self._person_toggled)
        self.people.itemClicked.connect(self._person_clicked)
        self.people_box = QGroupBox()
        QVBoxLayout(self.people_box).addWidget(self.people)
        self.refresh()
        state.selectionChanged.connect(self._show_selection)
        state.optionsChanged.connect(self._show_options)
        if filtered is not None:
            filtered.changed.connect(self._show_filtered)
        self._show_filtered()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(shown)
        layout.addWidget(self.people_box, 1)
        self._threshold_changed(self.threshold.value())

    def _threshold_changed(self, value: int) -> None:
        self.threshold_label.setText(f"{value / 100:.2f}")
        self._state.set_options(threshold=value / 100)

    def _show_options(self, options: OverlayOptions) -> None:
        for box, on in ((self.filtered_box, options.filtered),
                        (self.rejected_box, options.rejected)):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)

    def _show_filtered(self) -> None:
        layer = self._filtered
        self.filtered_box.setEnabled(layer is not None and layer.exists)
        self.filter_label.setText("" if layer is None else layer.describe())
        stale = layer is not None and layer.stale
        self.filter_label.setStyleSheet("color: #e0a030; font-weight: bold" if stale else "")

    def set_table(self, table: EditedTable) -> None:
        self._table = table
        self.refresh()

    def refresh(self) -> None:
        """List the identities as the results now have them (after an edit)."""
        hidden = self._state.options.hidden
        identities = self._table.identities()
        self.people.blockSignals(True)
        self.people.clear()
        for identity in identities:
            label = self._table.label(identity)
            item = QListWidgetItem(_swatch(identity), label[0].upper() + label[1:])
            item.setData(Qt.ItemDataRole.UserRole, identity)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if identity in hidden
                               else Qt.CheckState.Checked)
            self.people.addItem(item)
        self.people.blockSignals(False)
        self.people_box.setTitle(f"People ({len(identities)})")
        self._show_selection(self._state.selection)

    def item_of(self, identity: int) -> QListWidgetItem | None:
        for row in range(self.people.count()):
            if self.people.item(row).data(Qt.ItemDataRole.UserRole) == identity:
                return self.people.item(row)
        return None

    def _show_selection(self, selection: Selection) -> None:
        item = None if selection.identity is None else self.item_of(selection.identity)
        self.people.setCurrentItem(item)
        if item is None:
            self.people.clearSelection()

    def _person_clicked(self, item: QListWidgetItem) -> None:
        shift = bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._state.select(int(item.data(Qt.ItemDataRole.UserRole)), other=shift)

    def _person_toggled(self, item: QListWidgetItem) -> None:
        self._state.set_track_visible(int(item.data(Qt.ItemDataRole.UserRole)),
                                      item.checkState() == Qt.CheckState.Checked)
