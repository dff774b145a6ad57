"""Slider, frame number, timecode and play button under the video, bound to ``ViewerState``."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QWidget,
)

from ambientpose_desktop.gui.viewer.state import ViewerState


def timecode(seconds: float) -> str:
    """``H:MM:SS.mmm`` (hours only when there are any)."""
    millis = round(max(seconds, 0.0) * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}" if h else f"{m:02d}:{s:02d}.{ms:03d}"


class FrameBox(QSpinBox):
    """The frame number box. It keeps ↑/↓ and typing, but lets ← and → through to the
    window's step shortcuts even while it has focus: stepping is what those keys do here."""

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right)):
            event.ignore()  # not ours: the shortcut map may trigger the window's action
            return True
        return super().event(event)


class JumpSlider(QSlider):
    """The frame slider. A click beside the handle goes to the frame under the pointer, and
    holding the button drags from there; Qt's own slider only steps a page towards it."""

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            style, control = self.style(), QStyle.ComplexControl.CC_Slider
            handle = style.subControlRect(control, option, QStyle.SubControl.SC_SliderHandle,
                                          self)
            if not handle.contains(event.position().toPoint()):
                groove = style.subControlRect(control, option,
                                              QStyle.SubControl.SC_SliderGroove, self)
                x = round(event.position().x()) - groove.x() - handle.width() // 2
                self.setValue(QStyle.sliderValueFromPosition(
                    self.minimum(), self.maximum(), x, groove.width() - handle.width(),
                    option.upsideDown))
        super().mousePressEvent(event)  # the handle is under the pointer now: a drag starts


class Timeline(QWidget):
    playToggled = Signal()

    def __init__(self, state: ViewerState, timestamps: Sequence[float], fps: float,
                 parent=None) -> None:
        super().__init__(parent)
        self._state, self._timestamps, self._fps = state, timestamps, fps or 30.0
        last = state.frame_count - 1
        self.play_button = QToolButton(text="▶")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.clicked.connect(self.playToggled)
        self.slider = JumpSlider(Qt.Orientation.Horizontal, minimum=0, maximum=last)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys belong to the window
        self.slider.valueChanged.connect(state.seek)
        self.spin = FrameBox(minimum=0, maximum=last)
        self.spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # never the focus at start
        self.spin.setKeyboardTracking(False)
        self.spin.valueChanged.connect(state.seek)
        self.time_label = QLabel()
        self.time_label.setMinimumWidth(190)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for widget in (self.play_button, self.slider, QLabel("frame"), self.spin,
                       self.time_label):
            layout.addWidget(widget)
        layout.setStretch(1, 1)
        state.frameChanged.connect(self._show)
        self._show(state.frame)

    def seconds(self, frame: int) -> float:
        if frame < len(self._timestamps):
            return float(self._timestamps[frame])
        return frame / self._fps

    def _show(self, frame: int) -> None:
        for widget in (self.slider, self.spin):
            widget.blockSignals(True)
            widget.setValue(frame)
            widget.blockSignals(False)
        total = timecode(self.seconds(self._state.frame_count - 1))
        self.time_label.setText(f"{timecode(self.seconds(frame))} / {total}")

    def set_playing(self, playing: bool) -> None:
        self.play_button.setText("⏸" if playing else "▶")
