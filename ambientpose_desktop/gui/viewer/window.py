"""ViewerWindow: a finished task's video with live pose overlays, timeline, track lanes,
plots, proofreading edits with their history, and export.

Only the task folder is needed (``summary.json`` names the video and keypoint format), so the
main window opens one with ``ViewerWindow(task_dir)`` on ``resultsRequested``. What it shows
is the edited layer: the linked results with the task's edit file on top, or (F) the
filtered layer, with a warning when edits made after it outdated it; the plots draw both.
The raw layer's rejected detections can be shown faintly (R) and promoted (P).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QCursor, QImage, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from ambientpose_desktop.core.edited_table import warm_up
from ambientpose_desktop.core.errors import AmbientPoseError
from ambientpose_desktop.gui.viewer import actions
from ambientpose_desktop.gui.viewer.ask import DialogAsk
from ambientpose_desktop.gui.viewer.canvas import FrameCanvas
from ambientpose_desktop.gui.viewer.controls import OverlayControls
from ambientpose_desktop.gui.viewer.edit_history import Change, EditHistory
from ambientpose_desktop.gui.viewer.export_dialog import ExportDialog
from ambientpose_desktop.gui.viewer.filtered import FilteredLayer
from ambientpose_desktop.gui.viewer.frame_loader import FrameLoader
from ambientpose_desktop.gui.viewer.lanes import LANE_HEIGHT, TrackLanes
from ambientpose_desktop.gui.viewer.menus import add_menus, context_menu, make_actions
from ambientpose_desktop.gui.viewer.plots import PosePlots
from ambientpose_desktop.gui.viewer.rejected import RejectedDetections
from ambientpose_desktop.gui.viewer.seekable import OFFER_TEXT, SeekableOffer
from ambientpose_desktop.gui.viewer.state import ViewerState
from ambientpose_desktop.gui.viewer.task_view import TaskView
from ambientpose_desktop.gui.viewer.timeline import Timeline

_LANES_SHOWN = 8  # lanes visible before the lane area scrolls (the splitter can show more)
_OPENED: set[QMainWindow] = set()  # viewers without a parent, kept alive until they close


class ViewerWindow(QMainWindow):
    def __init__(self, task_dir: Path, parent=None, synchronous: bool = False) -> None:
        super().__init__(parent)
        self.task = TaskView.open(task_dir)
        source = self.task.summary.source
        self.setWindowTitle(f"{Path(source.path).name} — AmbientPose viewer")
        self.loader = FrameLoader(self.task.video, self.task.folder, synchronous=synchronous,
                                  parent=self)
        self.history = EditHistory(self.task.open_edits, self)
        table = self.history.table
        self.filtered = FilteredLayer(self.task.folder, self)
        self.rejected = RejectedDetections(self.task.folder)
        self.state = ViewerState(len(self.loader), self)
        self.state.set_options(filtered=self.filtered.current)  # as exports: the default
        self.canvas = FrameCanvas(self.task.fmt, self.loader.reader.size)
        self.canvas.displaySizeChanged.connect(self.loader.set_display_size)
        self.timeline = Timeline(self.state, source.timestamps, source.fps)
        self.lanes = TrackLanes(self.state, table)
        self.plots = PosePlots(self.state, table, self.task.fmt, synchronous, self.filtered)
        self.controls = OverlayControls(self.state, table, self.filtered,
                                        self.rejected.exists)
        self.history_view = QUndoView(self.history.stack)
        self.history_view.setEmptyLabel("Results as tracked")
        self.context = actions.ViewerContext(
            self.state, self.history, DialogAsk(self), self._say, self._hovered_keypoint,
            source.fps or 30.0, self.filtered, self.rejected.exists)
        self.filter_dialog = None
        self._build_layout()
        self._offer_fast_seeking()
        self._build_actions()
        self._connect_proofreading()
        for entry, why in self.history.session.skipped:
            self._say(f"An edit no longer applies and is left out: "
                      f"{entry.op.describe()} ({why})")
        self._play_timer = QTimer(self, interval=max(int(1000 / (source.fps or 30) / 2), 5))
        self._play_timer.timeout.connect(self._play_tick)
        self._play_origin = (0.0, 0)
        self.clock = time.perf_counter  # playback follows this clock (tests set their own)
        self.state.frameChanged.connect(self.loader.request)
        self.state.optionsChanged.connect(self.canvas.set_options)
        self.state.optionsChanged.connect(self._options_changed)
        self.state.rejectedPicked.connect(lambda _: self._show_persons())
        self.filtered.changed.connect(self._show_persons)
        self.loader.frameReady.connect(self._frame_ready)
        if not synchronous:  # the video first, then the plots fill in, then the warm-up
            self.loader.frameReady.connect(lambda *_: self.plots.fill_in(),
                                           Qt.ConnectionType.SingleShotConnection)
            self.plots.filledIn.connect(lambda: QTimer.singleShot(0, self, warm_up))
        else:
            warm_up()
        self.loader.failed.connect(self.statusBar().showMessage)
        self.timeline.playToggled.connect(self.toggle_play)
        self.canvas.set_options(self.state.options)
        self._keep_keys_for_the_window()
        self.resize(1400, 900)
        self.loader.request(0)

    def _build_layout(self) -> None:
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.timeline)
        self.lanes_area = QScrollArea()
        self.lanes_area.setWidget(self.lanes)
        self.lanes_area.setWidgetResizable(True)
        self.lanes_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.lanes_area.setMinimumHeight(2 * LANE_HEIGHT)
        splitter = QSplitter(Qt.Orientation.Vertical)
        for widget, stretch in ((top, 6), (self.lanes_area, 1), (self.plots, 2)):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        lanes = min(len(self.lanes.identities), _LANES_SHOWN)
        splitter.setSizes([600, lanes * LANE_HEIGHT + 4, 220])
        self.setCentralWidget(splitter)
        self.docks: list[QDockWidget] = []
        for title, widget in (("Overlay", self.controls), ("Edit history", self.history_view)):
            dock = QDockWidget(title, self)
            dock.setObjectName(title)
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.docks.append(dock)

    def _offer_fast_seeking(self) -> None:
        """Once exact seeks prove slow: say so, and offer the fast-seeking copy (this
        button, and File → the same action)."""
        self.seekable = SeekableOffer(self.loader, self.task.folder, self)
        self.seekable_button = QPushButton(OFFER_TEXT)
        self.seekable_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the video
        self.seekable_button.hide()
        self.seekable_button.clicked.connect(self.seekable.make)
        self.statusBar().addPermanentWidget(self.seekable_button)
        self.seekable.said.connect(self.statusBar().showMessage)
        self.seekable.offered.connect(self.seekable_button.show)
        self.seekable.used.connect(self.seekable_button.hide)

    def _keep_keys_for_the_window(self) -> None:
        """The step keys work from the first moment and after a click anywhere: the video
        holds the focus; clicking a plot or the people list gives it back to the video, and
        the frame box returns it once a number is entered (it lets ←/→ through meanwhile)."""
        self.canvas.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        for widget in (self.plots.confidence, self.plots.positions, self.controls.people,
                       self.lanes, self.lanes_area, self.history_view):
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            widget.setFocusProxy(self.canvas)
        self.timeline.spin.editingFinished.connect(self.canvas.setFocus)
        self.canvas.setFocus()

    def _build_actions(self) -> None:
        keys = {
            "Left": lambda: self.state.step(-1), "Right": lambda: self.state.step(1),
            "Shift+Left": lambda: self.state.step(-10), "Shift+Right": lambda: self.state.step(10),
            "Home": lambda: self.state.seek(0),
            "End": lambda: self.state.seek(self.state.frame_count - 1),
            "Space": self.toggle_play,
            "Esc": lambda: self.state.select(None),
        }
        for key, slot in keys.items():
            action = QAction(self, shortcut=QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
        menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (("&Open results…", "Ctrl+O", self.choose_results),
                                     ("&Export…", "Ctrl+E", self.open_export),
                                     (f"{OFFER_TEXT}…", "Ctrl+Shift+K", self.seekable.make)):
            action = menu.addAction(text)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            self.addAction(action)
        self.actions = make_actions(self, self.context, actions.EDIT_ACTIONS
                                    + actions.LOOK_ACTIONS + actions.VIEW_ACTIONS)
        add_menus(self, self.actions)
        results = self.menuBar().addMenu("&Results")
        for name in ("toggle-filtered", "toggle-rejected"):
            self.actions[name].setCheckable(True)
            results.addAction(self.actions[name])
        self._options_changed(self.state.options)
        results.addSeparator()
        self.filter_action = results.addAction("&Filter…")
        self.filter_action.setShortcut(QKeySequence("Ctrl+F"))
        self.filter_action.triggered.connect(self.open_filter)
        self.addAction(self.filter_action)
        view = self.menuBar().addMenu("&View")
        for dock in self.docks:
            view.addAction(dock.toggleViewAction())

    def _connect_proofreading(self) -> None:
        self.history.changed.connect(self._results_changed)
        self.history.refused.connect(lambda why: self._say(f"Not done: {why}"))
        self.state.selectionChanged.connect(self.canvas.set_selection)
        self.canvas.personClicked.connect(self._person_clicked)
        self.canvas.keypointDragged.connect(
            lambda identity, k, x, y: actions.move_keypoint(self.context, identity, k, x, y))
        self.canvas.menuRequested.connect(self._context_menu)
        self.canvas.rejectedClicked.connect(self.state.pick_rejected)

    def _person_clicked(self, identity: int | None, shift: bool) -> None:
        """A click selects the person there (nobody: empty space); Shift+click marks the
        other one of a merge or swap, and on empty space changes nothing."""
        if identity is not None or not shift:
            self.state.select(identity, other=shift)

    def _say(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    def _hovered_keypoint(self) -> tuple[int, int] | None:
        hit = self.canvas.keypoint_under(self.canvas.mapFromGlobal(QCursor.pos()).toPointF())
        return None if hit is None else (hit[0].idx, hit[1])

    def _context_menu(self, pos: QPoint, identity: int | None, keypoint: int | None) -> None:
        label = "" if identity is None else self.history.table.label(identity)
        rejected = identity is None and self.state.picked_rejected is not None
        self._menu = context_menu(self, self.actions, identity, keypoint, label, rejected)
        self._menu.popup(pos)

    def _results_changed(self, change: Change) -> None:
        """Show the edited results: the frame's poses, and the lanes, plots and people list
        of the identities the edit changed."""
        table = self.history.table
        self.context.forget_looks()
        changed = None if change.everything else change.identities
        if change.everything:
            for widget in (self.lanes, self.plots, self.controls):
                widget.set_table(table)
        else:
            self.lanes.refresh(() if change.names_only else changed)
            if not change.names_only:
                self.plots.refresh(changed)
            self.controls.refresh()
        if self.filtered.check_stale() and self.filtered.stale and self.state.options.filtered:
            self.state.set_options(filtered=False)
            self._say("The filtered results are out of date after this edit: showing the "
                      "edited results (Results → Filter… to filter again)")
        self._show_persons()

    def persons(self, frame: int):
        """The poses the overlay shows at ``frame``: filtered or edited."""
        table = self.filtered.table
        if self.state.options.filtered and table is not None:
            return table.persons(frame) if 0 <= frame < table.num_frames else []
        return self.history.table.persons(frame)

    def _show_persons(self) -> None:
        """Draw the current frame's poses again (other results, rejected shown or not)."""
        frame = self.state.frame
        if self.canvas.image_index == frame:
            self.canvas.show_persons(self.persons(frame))
        self._show_rejected()

    def _show_rejected(self) -> None:
        shown = self.state.options.rejected
        found = self.rejected.at(self.state.frame, self.history.table) if shown else []
        self.canvas.set_rejected(found, self.state.picked_rejected)

    def _options_changed(self, options) -> None:
        shown = (options.filtered, options.rejected)
        if shown != getattr(self, "_shown_layers", None):
            self._shown_layers = shown
            self._show_persons()
        if hasattr(self, "actions"):
            self.actions["toggle-filtered"].setChecked(options.filtered)
            self.actions["toggle-rejected"].setChecked(options.rejected)

    def _frame_ready(self, index: int, image: QImage, exact: bool) -> None:
        current = self.state.frame
        if index != current and (not exact or self.canvas.image_index == current):
            return  # stale: never replace the frame asked for, nor show an old preview
        self.canvas.show_frame(index, image, self.persons(index), exact)
        self._show_rejected()

    @property
    def playing(self) -> bool:
        return self._play_timer.isActive()

    def toggle_play(self) -> None:
        if self.playing:
            self._play_timer.stop()
        else:
            if self.state.frame >= self.state.frame_count - 1:
                self.state.seek(0)
            self._play_origin = (self.clock(), self.state.frame)
            self._play_timer.start()
        self.timeline.set_playing(self.playing)

    def _play_tick(self) -> None:
        # The frame due now by the clock: when decoding lags, frames are skipped, not queued.
        started, first = self._play_origin
        fps = self.task.summary.source.fps or 30.0
        due = first + int((self.clock() - started) * fps)
        if due >= self.state.frame_count - 1:
            self.state.seek(self.state.frame_count - 1)
            self.toggle_play()
        elif due != self.state.frame:
            self.state.seek(due)

    def open_export(self) -> ExportDialog:
        dialog = ExportDialog(self.task.folder, self)
        dialog.show()
        return dialog

    def open_filter(self):
        """The Filter dialog: settings, a live preview in the plots, Apply."""
        from ambientpose_desktop.gui.viewer.filter_dialog import FilterDialog

        if self.filter_dialog is None:
            self.filter_dialog = FilterDialog(self, self)
        self.filter_dialog.show()
        self.filter_dialog.raise_()
        self.filter_dialog.preview()
        return self.filter_dialog

    def choose_results(self) -> None:
        """File → Open results…: a results folder's pose file, AlphaPose JSON, SLEAP or
        DeepLabCut predictions (``pipeline.open_results``)."""
        from PySide6.QtWidgets import QFileDialog

        from ambientpose_desktop.pipeline.open_results import OPEN_FILTER

        path, _ = QFileDialog.getOpenFileName(
            self, "Open results", str(self.task.folder.parent), OPEN_FILTER)
        if path:
            open_results(Path(path), self.parentWidget(), ask_video=self._ask_video)

    def _ask_video(self, missing: str) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, f"Which video? ({missing})")
        return Path(path) if path else None

    def closeEvent(self, event) -> None:
        self._play_timer.stop()
        self.seekable.stop()
        self.loader.close()
        super().closeEvent(event)


def open_results(path: Path, parent=None, video: Path | None = None,
                 ask_video=None) -> ViewerWindow | None:
    """Open any results in a viewer (``ambientpose view``, File → Open results…): a results
    folder, its pose file, or foreign AlphaPose JSON, SLEAP or DeepLabCut predictions with
    their video (``pipeline.open_results``); what cannot be opened is said in one line."""
    from ambientpose_desktop.core.paths import app_paths
    from ambientpose_desktop.pipeline.open_results import results_folder

    try:
        folder = results_folder(path, app_paths().opened, video, ask_video)
    except AmbientPoseError as exc:
        QMessageBox.warning(parent, "Cannot open the results", str(exc))
        return None
    return show_viewer(folder, parent)


def show_viewer(task_dir: Path, parent=None) -> ViewerWindow | None:
    """Open the viewer on ``task_dir`` (the main window's ``resultsRequested``), or tell the
    user in one line why it cannot open (no results yet, video moved, ...)."""
    try:
        window = ViewerWindow(task_dir, parent)
    except AmbientPoseError as exc:
        QMessageBox.warning(parent, "Cannot open the results", str(exc))
        return None
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if parent is None:  # nothing else holds it: it would be collected and vanish
        _OPENED.add(window)
        window.destroyed.connect(lambda *_: _OPENED.discard(window))
    window.show()
    # asked for by the user, so it takes the keyboard at once (without a window manager,
    # under Xvfb, nothing else would activate it and its shortcuts would wait for a click)
    window.raise_()
    window.activateWindow()
    return window
