"""The video frame with its pose overlay, fitted to the widget.

Coordinates are the video's pixels (``image_size``) whatever the size of the image shown:
the window has the loader deliver frames at ``display_size`` (told by
``displaySizeChanged``), which painting copies 1:1; an image of another size (the scrub
proxy's, or one made before a resize) is scaled to fit.

Hovering names a keypoint; clicking a skeleton or box selects that person (Shift+click marks
the other one of a merge or swap); dragging a keypoint moves it; a right-click asks for the
context menu. With rejected detections shown (drawn faintly), a click on one picks it for
"Promote to identity". The canvas only reports these: the window turns them into selections
and edits.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.gui.viewer.pose_painter import (
    DrawCounts,
    keypoint_at,
    paint_poses,
    paint_rejected,
    person_at,
)
from ambientpose_desktop.gui.viewer.state import OverlayOptions, Selection

_HOVER_RADIUS_PX = 8
_DRAG_START_PX = 3  # a press that moves less is a click


def show_tooltip(widget: QWidget, event: QMouseEvent, text: str) -> None:
    """Show ``text`` at the pointer as it hovers over ``widget``; none when ``text`` is ''."""
    if text:
        QToolTip.showText(event.globalPosition().toPoint(), text, widget)
    else:
        QToolTip.hideText()


class FrameCanvas(QWidget):
    personClicked = Signal(object, bool)  # identity (None: nobody there), Shift held
    keypointDragged = Signal(int, int, float, float)  # identity, keypoint, image x, y
    menuRequested = Signal(QPoint, object, object)  # global position, identity, keypoint
    rejectedClicked = Signal(int)  # raw index (in this frame) of a rejected detection
    displaySizeChanged = Signal(int, int)  # device pixels the frame is shown at

    def __init__(self, fmt: KeypointFormat, image_size: tuple[int, int], parent=None) -> None:
        super().__init__(parent)
        self.fmt = fmt
        self.image_size = image_size
        self.image: QImage | None = None
        self.image_index = -1
        self.image_exact = False  # False while the scrub proxy's smaller image is shown
        self.persons: list[Person] = []
        self.options = OverlayOptions()
        self.selection = Selection()
        self.rejected: list[tuple[int, Person]] = []  # (raw index, pose), drawn faintly
        self.picked_rejected: int | None = None  # raw index picked for promotion
        self.last_counts = DrawCounts()
        self.last_rejected = 0  # rejected detections drawn by the last paint
        self._press: tuple[QPointF, Person, int] | None = None  # a press on a keypoint
        self._dragging = False
        self.setMouseTracking(True)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_frame(self, index: int, image: QImage, persons: list[Person],
                   exact: bool = True) -> None:
        self.image_index, self.image = index, image
        self.image_exact = exact
        self.show_persons(persons)

    def show_persons(self, persons: list[Person]) -> None:
        """New poses for the frame shown (after an edit); a drag under way is dropped."""
        self.persons = persons
        self._press, self._dragging = None, False
        self.update()

    def set_rejected(self, rejected: list[tuple[int, Person]], picked: int | None) -> None:
        """The rejected detections of the frame shown (none while they are hidden)."""
        self.rejected, self.picked_rejected = rejected, picked
        self.update()

    def set_options(self, options: OverlayOptions) -> None:
        self.options = options
        self.update()

    def set_selection(self, selection: Selection) -> None:
        self.selection = selection
        self.update()

    def _placement(self) -> tuple[QRectF, float]:
        """Where the image goes in the widget, and its scale (aspect kept, centred)."""
        w, h = self.image_size
        scale = min(self.width() / w, self.height() / h)
        rect = QRectF(0, 0, w * scale, h * scale)
        rect.moveCenter(QPointF(self.width() / 2, self.height() / 2))
        return rect, scale

    def display_size(self) -> tuple[int, int]:
        """The size, in device pixels, the frame is painted at: frames this size are copied
        1:1 (no scaling on the GUI thread)."""
        rect, _ = self._placement()
        ratio = self.devicePixelRatioF()
        return max(round(rect.width() * ratio), 1), max(round(rect.height() * ratio), 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.displaySizeChanged.emit(*self.display_size())

    def to_image(self, pos: QPointF) -> QPointF:
        rect, scale = self._placement()
        return QPointF((pos.x() - rect.x()) / scale, (pos.y() - rect.y()) / scale)

    def to_widget(self, x: float, y: float) -> QPointF:
        rect, scale = self._placement()
        return QPointF(rect.x() + x * scale, rect.y() + y * scale)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(18, 18, 20))
        if self.image is None:
            return
        rect, scale = self._placement()
        ratio = self.devicePixelRatioF()
        if (self.image.width(), self.image.height()) == self.display_size():
            # whole pixels and no scaling: Qt copies the rows as they are
            target = QRectF(round(rect.x()), round(rect.y()),
                            self.image.width() / ratio, self.image.height() / ratio)
            painter.drawImage(target, self.image)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(rect, self.image)
        painter.translate(rect.topLeft())
        painter.scale(scale, scale)
        picked = next((i for i, (raw, _) in enumerate(self.rejected)
                       if raw == self.picked_rejected), None)
        self.last_rejected = paint_rejected(painter, [p for _, p in self.rejected], self.fmt,
                                            self.options, scale, picked)
        self.last_counts = paint_poses(painter, self.persons, self.fmt, self.options, scale,
                                       self.selection)
        painter.resetTransform()
        if not self.image_exact:  # say so while the small scrub-proxy image stands in
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(rect.adjusted(8, 6, -8, -6).toRect(), 0, "preview")
        painter.end()

    def keypoint_under(self, pos: QPointF) -> tuple[Person, int] | None:
        """The drawn keypoint at widget point ``pos``, if any."""
        _, scale = self._placement()
        point = self.to_image(pos)
        return keypoint_at(self.persons, self.options, point.x(), point.y(),
                           _HOVER_RADIUS_PX / scale)

    def person_under(self, pos: QPointF) -> Person | None:
        _, scale = self._placement()
        point = self.to_image(pos)
        return person_at(self.persons, self.fmt, self.options, point.x(), point.y(),
                         _HOVER_RADIUS_PX / scale)

    def rejected_under(self, pos: QPointF) -> int | None:
        """Raw index of the rejected detection drawn at widget point ``pos``, if any."""
        _, scale = self._placement()
        point = self.to_image(pos)
        persons = [p for _, p in self.rejected]
        hit = person_at(persons, self.fmt, self.options, point.x(), point.y(),
                        _HOVER_RADIUS_PX / scale)
        return next((raw for raw, p in self.rejected if p is hit), None)

    def hover_text(self, pos: QPointF) -> str:
        """Tooltip for widget point ``pos``: keypoint name, track, x, y, score; '' if none."""
        hit = self.keypoint_under(pos)
        if hit is None:
            return ""
        person, k = hit
        x, y, s = person.keypoints[k]
        return (f"{self.fmt.names[k]} · track {person.idx}\n"
                f"x {x:.1f}  y {y:.1f}  score {s:.2f}")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        hit = self.keypoint_under(event.position())
        if hit is not None and not shift:
            self._press = (event.position(), *hit)
        person = hit[0] if hit is not None else self.person_under(event.position())
        rejected = None if person is not None else self.rejected_under(event.position())
        if rejected is not None:
            self.rejectedClicked.emit(rejected)
            return
        self.personClicked.emit(None if person is None else person.idx, shift)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            start, person, k = self._press
            moved = event.position() - start
            if self._dragging or abs(moved.x()) + abs(moved.y()) >= _DRAG_START_PX:
                self._dragging = True
                self._move_drawn_keypoint(person, k, self.to_image(event.position()))
            return
        show_tooltip(self, event, self.hover_text(event.position()))
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press, dragging = self._press, self._dragging
        self._press, self._dragging = None, False
        if press is not None and dragging and event.button() == Qt.MouseButton.LeftButton:
            _, person, k = press
            point = self.to_image(event.position())
            self.keypointDragged.emit(person.idx, k, point.x(), point.y())
            return
        super().mouseReleaseEvent(event)

    def _move_drawn_keypoint(self, person: Person, k: int, point: QPointF) -> None:
        """Draw the dragged keypoint under the pointer until it is dropped (the edit comes
        on release; the results are not touched meanwhile)."""
        moved = Person(person.keypoints.copy(), person.box, person.score, person.idx)
        moved.keypoints[k, :2] = (point.x(), point.y())
        self.persons = [moved if p is person else p for p in self.persons]
        self._press = (self._press[0], moved, k)
        self.update()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        pos = QPointF(event.pos())
        hit = self.keypoint_under(pos)
        person = hit[0] if hit is not None else self.person_under(pos)
        if person is not None:
            self.personClicked.emit(person.idx, False)
        elif (rejected := self.rejected_under(pos)) is not None:
            self.rejectedClicked.emit(rejected)
        self.menuRequested.emit(event.globalPos(), None if person is None else person.idx,
                                None if hit is None else hit[1])
