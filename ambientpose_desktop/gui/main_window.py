"""The main window: the task table, the details pane, the queue controls and the menus.

Widgets only observe: the table is a model over the repository, the runner reports progress
by signals, and every user action calls one function of ``runner.actions`` whether it comes
from a menu, a shortcut, the toolbar or the context menu.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSortFilterProxyModel, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QToolBar,
    QWidget,
)

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.media import VIDEO_EXTENSIONS
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.gui import dialogs
from ambientpose_desktop.gui.details_pane import DetailsPane
from ambientpose_desktop.gui.progress_delegate import ProgressDelegate
from ambientpose_desktop.gui.resources import app_icon
from ambientpose_desktop.gui.server_menu import ServerMenu
from ambientpose_desktop.gui.task_model import (
    COLUMNS,
    FILE,
    PROGRESS,
    SORT_ROLE,
    TASK_ID_ROLE,
    TaskTableModel,
)
from ambientpose_desktop.gui.widgets import add_actions
from ambientpose_desktop.runner.actions import add_task, cancel_task, remove_task, retry_task
from ambientpose_desktop.runner.intake import Intake, classify, refusal_text
from ambientpose_desktop.runner.protocol import RemoteServer
from ambientpose_desktop.runner.qt_runner import QtTaskRunner
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskRepository
from ambientpose_desktop.store.settings import AppSettings

APP_TITLE = "AmbientPose"
COLUMN_WIDTHS = {"File": 260, "Status": 100, "Progress": 170, "FPS": 60, "ETA": 70,
                 "Backend": 90, "Created": 130, "Duration": 80, "Check": 110}


class MainWindow(QMainWindow):
    resultsRequested = Signal(str)  # task id: open the viewer on it
    intakeFinished = Signal(int)  # tasks added by the last drop / Add…
    repairFinished = Signal(object)  # RepairResult of the last Repair…, None if it failed

    def __init__(self, repo: TaskRepository, artefacts: ArtefactStore, runner: QtTaskRunner,
                 settings: AppSettings,
                 server: RemoteServer | Callable[[], RemoteServer] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.repo, self.artefacts, self.runner, self.settings = repo, artefacts, runner, settings
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.resize(1180, 720)

        self.model = TaskTableModel(repo, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = self._make_table()
        self.details = DetailsPane()
        self.empty_hint = self._make_empty_hint()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_hint)
        self.stack.addWidget(self.table)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.stack)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([470, 230])
        self.setCentralWidget(splitter)
        self.counts_label = QLabel()
        self.statusBar().addPermanentWidget(self.counts_label)

        self._make_actions()
        self._make_menus(server)
        self._make_toolbar()
        self._connect()
        self.resultsRequested.connect(self.show_results)
        self._repair_job = None  # the Repair… that runs, if any
        self.runner.set_paused(settings.queue_paused)
        self._sync_queue_action()
        self._refresh_counts()
        self._selection_changed()

    # -- construction --------------------------------------------------------------------
    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.proxy)
        table.setItemDelegateForColumn(PROGRESS, ProgressDelegate(table))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setSortingEnabled(True)
        table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # queue order until a click
        table.setAlternatingRowColors(True)
        # A light selection keeps the status colours and progress bars readable when selected.
        palette = table.palette()
        palette.setColor(QPalette.ColorRole.Highlight, QColor("#d4e3fa"))
        palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#111111"))
        table.setPalette(palette)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(30)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, name in enumerate(COLUMNS):
            table.setColumnWidth(column, COLUMN_WIDTHS[name])
        header.setSectionResizeMode(FILE, QHeaderView.ResizeMode.Stretch)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        return table

    def _make_empty_hint(self) -> QLabel:
        hint = QLabel("<p style='font-size:15pt'><b>Drop videos or image folders here</b></p>"
                      "<p style='color:gray'>or use <i>Add videos…</i> (Ctrl+O) and <i>Add "
                      "image folder…</i> (Ctrl+Shift+O).<br>Each becomes a task; the queue "
                      "runs them one per GPU, or one at a time on the CPU.</p>")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return hint

    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey, slot,
                tip: str = "", icon: QStyle.StandardPixmap | None = None) -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(f"{text.replace('&', '').rstrip('…')} ({action.shortcut().toString()})")
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work whether or not a menu shows the action
        return action

    def _make_actions(self) -> None:
        a, icons = self._action, QStyle.StandardPixmap
        self.add_videos_action = a("Add &videos…", "Ctrl+O", self.choose_videos,
                                   "Add video files as new tasks", icons.SP_FileIcon)
        self.add_folder_action = a("Add &image folder…", "Ctrl+Shift+O", self.choose_folder,
                                   "Add a folder of images as one task", icons.SP_DirIcon)
        self.queue_action = a("&Pause queue", "F5", self.toggle_queue,
                              "Start or pause the queue (running tasks go on)",
                              icons.SP_MediaPause)
        self.queue_action.setCheckable(True)
        self.settings_action = a("&Settings…", "Ctrl+,", self.open_settings, "",
                                 icons.SP_FileDialogDetailedView)
        self.quit_action = a("&Quit", QKeySequence.StandardKey.Quit, self.close)
        self.open_action = a("&Open results", "Return", self.open_results,
                             "Open the selected task's results in the viewer")
        self.filter_action = a("&Filter…", "Ctrl+Shift+F", self.filter_selected,
                               "Smooth and gap-fill the selected task's results")
        self.open_any_action = a("Open &results…", "Ctrl+Shift+V", self.choose_results,
                                 "Open a results folder or pose file in the viewer, "
                                 "with or without a task")
        self.cancel_action = a("&Cancel", "Ctrl+K", self.cancel_selected,
                               "Stop the selected tasks", icons.SP_BrowserStop)
        self.retry_action = a("&Retry", "Ctrl+R", self.retry_selected,
                              "Run the selected finished tasks again", icons.SP_BrowserReload)
        self.remove_action = a("Re&move…", QKeySequence.StandardKey.Delete,
                               self.remove_selected, "Remove tasks and delete their results",
                               icons.SP_TrashIcon)
        self.repair_action = a("Re&pair video…", "Ctrl+Shift+P", self.repair_selected,
                               "Write a repaired copy of the selected task's video (damaged, "
                               "cut off or slow to seek) and offer it as a new task")
        self.reveal_action = a("Show in &folder", "Ctrl+Shift+R", self.show_in_folder)
        self.copy_error_action = a("Copy &error", QKeySequence.StandardKey.Copy,
                                   self.copy_error)
        self.about_action = a("&About AmbientPose", "F1", self.about)

    def _make_menus(self, server: RemoteServer | Callable[[], RemoteServer] | None) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        add_actions(file_menu, (self.add_videos_action, self.add_folder_action,
                                self.open_any_action, None, self.settings_action, None,
                                self.quit_action))
        queue_menu = bar.addMenu("&Queue")
        queue_menu.addAction(self.queue_action)
        self.task_menu = bar.addMenu("&Task")
        self._fill_task_menu(self.task_menu)
        self.server_menu = ServerMenu(server, self)
        bar.addMenu(self.server_menu)
        bar.addMenu("&Help").addAction(self.about_action)

    def _fill_task_menu(self, menu: QMenu) -> None:
        add_actions(menu, (self.open_action, self.filter_action, self.reveal_action, None,
                           self.cancel_action, self.retry_action, self.copy_error_action,
                           self.repair_action, None, self.remove_action))

    def _make_toolbar(self) -> None:
        toolbar = QToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        add_actions(toolbar, (self.add_videos_action, self.add_folder_action, None,
                              self.queue_action, None, self.cancel_action, self.retry_action,
                              self.remove_action, None, self.settings_action))
        self.addToolBar(toolbar)

    def _connect(self) -> None:
        self.model.countsChanged.connect(self._refresh_counts)
        self.model.dataChanged.connect(self._row_changed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.runner.progress.connect(self.model.update_live)
        self.runner.checkProgress.connect(self.model.update_check)
        self.runner.log.connect(self.details.append_log)
        self.runner.failed.connect(self._task_failed)
        self.runner.problem.connect(self._task_problem)
        self.runner.taskStarted.connect(self._follow_started)
        self.runner.executorStatus.connect(self._executor_status)

    # -- selection -----------------------------------------------------------------------
    def selected_tasks(self) -> list[Task]:
        rows = self.table.selectionModel().selectedRows()
        return [self.model.task_at(self.proxy.mapToSource(i).row()) for i in rows]

    def select_task(self, task_id: str) -> None:
        row = self.model.row_of(task_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def _selection_changed(self) -> None:
        tasks = self.selected_tasks()
        statuses = {t.status for t in tasks}
        self.open_action.setEnabled(TaskStatus.SUCCESS in statuses)
        self.filter_action.setEnabled(TaskStatus.SUCCESS in statuses)
        self.cancel_action.setEnabled(bool(statuses & {TaskStatus.PENDING, TaskStatus.RUNNING}))
        self.retry_action.setEnabled(any(s.is_final for s in statuses))
        self.remove_action.setEnabled(bool(tasks))
        self.reveal_action.setEnabled(any(t.output_dir for t in tasks))
        self.copy_error_action.setEnabled(any(t.error for t in tasks))
        self.repair_action.setEnabled(len(tasks) == 1 and Path(tasks[0].input_path).is_file())
        self.details.show_task(tasks[0] if len(tasks) == 1 else None)

    def _row_changed(self, top_left: QModelIndex) -> None:
        """A shown task changed: refresh the details pane (not its log) and the actions."""
        if self.details.task_id and top_left.data(TASK_ID_ROLE) == self.details.task_id:
            task = self.model.task_at(top_left.row())
            self.details.show_task(task, reload_log=False)
            if top_left.column() != PROGRESS:
                self._selection_changed()

    def _follow_started(self, task_id: str) -> None:
        """With nothing selected, show the task that just started, so its log is in view."""
        if not self.table.selectionModel().hasSelection():
            self.select_task(task_id)

    def _double_clicked(self, index: QModelIndex) -> None:
        task = self.model.task_at(self.proxy.mapToSource(index).row())
        if task.status == TaskStatus.SUCCESS:
            self.resultsRequested.emit(task.id)

    def task_context_menu(self) -> QMenu:
        """The same task actions as the Task menu, for a right click on the table."""
        menu = QMenu(self)
        self._fill_task_menu(menu)
        return menu

    def _context_menu(self, position) -> None:
        self.task_context_menu().exec(self.table.viewport().mapToGlobal(position))

    # -- adding tasks --------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def choose_videos(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in sorted(VIDEO_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(self, "Add videos", "",
                                                f"Videos ({patterns});;All files (*)")
        if files:
            self.add_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add an image folder")
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: list[Path]) -> None:
        """Check ``paths`` off the GUI thread, then add tasks; ``intakeFinished`` tells when."""
        from superqt.utils import create_worker

        self.statusBar().showMessage(f"Checking {len(paths)} dropped item(s)…")
        QGuiApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        # errored given to create_worker: connected afterwards, superqt also re-raises the
        # error into the event loop
        worker = create_worker(classify, paths, _start_thread=False,
                               _connect={"errored": self._intake_failed})
        worker.returned.connect(self._add_checked)
        worker.finished.connect(QGuiApplication.restoreOverrideCursor)
        self._intake_worker = worker  # keep it alive until it reports
        worker.start()

    def _intake_failed(self, exc: Exception) -> None:
        dialogs.show_error(self, "Add videos", f"Could not check the files: {exc}")
        self.intakeFinished.emit(0)

    def _add_checked(self, intake: Intake) -> None:
        inputs = self._confirm_duplicates(intake.accepted)
        try:
            added = [add_task(self.repo, self.runner, path, self.settings.task_params())
                     for path in inputs]
        except InputError as exc:  # settings.json edited by hand out of bounds
            dialogs.show_error(self, "Add videos", f"Cannot add tasks: {exc}")
            self.intakeFinished.emit(0)
            return
        self.statusBar().showMessage(f"Added {len(added)} task(s)", 5000)
        if intake.refused:
            names = ", ".join(p.name for p, _ in intake.refused)
            dialogs.show_error(self, "Some files were not added",
                               f"Not added ({len(intake.refused)}): {names}",
                               refusal_text(intake.refused))
        self.intakeFinished.emit(len(added))

    def _confirm_duplicates(self, inputs: list[Path]) -> list[Path]:
        repeated = [p for p in inputs if self.repo.find_by_input(p)]
        if not repeated:
            return inputs
        names = "\n".join(p.name for p in repeated)
        again = dialogs.ask(self, "Already in the list",
                            f"{len(repeated)} of these are already in the task list. "
                            "Add them again?", names)
        return inputs if again else [p for p in inputs if p not in repeated]

    # -- task actions --------------------------------------------------------------------
    def open_results(self) -> None:
        done = [t for t in self.selected_tasks() if t.status == TaskStatus.SUCCESS]
        if done:
            self.resultsRequested.emit(done[0].id)

    def show_results(self, task_id: str) -> QWidget | None:
        """Open the viewer on a finished task (imported on first use: it loads PyAV, NumPy
        and pyqtgraph, which the window does not need to start)."""
        from ambientpose_desktop.gui.viewer import show_viewer

        task = self.repo.find(task_id)
        if task is None:
            return None
        return show_viewer(self.artefacts.results_dir(task), self)

    def filter_selected(self) -> QWidget | None:
        """The selected finished task in the viewer, with its Filter dialog open (the
        preview needs the viewer's plots)."""
        done = [t for t in self.selected_tasks() if t.status == TaskStatus.SUCCESS]
        viewer = self.show_results(done[0].id) if done else None
        if viewer is not None:
            viewer.open_filter()
        return viewer

    def choose_results(self) -> None:
        """File → Open results…: any results folder or pose file, task or not."""
        from ambientpose_desktop.gui.viewer.window import open_results
        from ambientpose_desktop.pipeline.open_results import OPEN_FILTER

        path, _ = QFileDialog.getOpenFileName(self, "Open results", "", OPEN_FILTER)
        if path:
            open_results(Path(path), self, ask_video=lambda what: _ask_video(self, what))

    def cancel_selected(self) -> None:
        for task in self.selected_tasks():
            cancel_task(self.repo, self.runner, task.id)

    def retry_selected(self) -> None:
        for task in self.selected_tasks():
            retry_task(self.repo, self.runner, task.id)

    def remove_selected(self) -> None:
        """Asks, then removes off the GUI thread: deleting results can take a while (JPEG
        folders), and the repository and ``runner.cancel`` are safe from any thread."""
        from superqt.utils import create_worker

        tasks = self.selected_tasks()
        if not tasks or not dialogs.ask(self, "Remove tasks",
                                        f"Remove {len(tasks)} task(s) and delete their "
                                        "results?", "\n".join(t.filename for t in tasks)):
            return
        ids = [t.id for t in tasks]

        def remove_all() -> None:
            for task_id in ids:
                remove_task(self.repo, self.artefacts, self.runner, task_id)

        self.statusBar().showMessage(f"Removing {len(ids)} task(s)…")
        def failed(exc: Exception) -> None:
            dialogs.show_error(self, "Remove tasks", f"Some tasks could not be removed: {exc}")

        worker = create_worker(remove_all, _start_thread=False, _connect={"errored": failed})
        worker.returned.connect(lambda: self.statusBar().showMessage(
            f"Removed {len(ids)} task(s)", 5000))
        self._remove_worker = worker  # keep it alive until it reports
        worker.start()

    def repair_selected(self) -> None:
        """Repair the selected task's video into a copy chosen here, off the GUI thread; then
        offer the copy as a new task with the same parameters."""
        from ambientpose_desktop.gui.repair import RepairJob, suggested_output

        tasks = self.selected_tasks()
        if len(tasks) != 1 or not Path(tasks[0].input_path).is_file():
            return
        task = tasks[0]
        source = Path(task.input_path)
        output = dialogs.choose_video_output(self, "Save the repaired copy as",
                                             suggested_output(source))
        if output is None:
            return
        job = RepairJob(source, output, overwrite=output.exists(), parent=self)
        job.finished.connect(lambda result: self._repaired(task, result))
        job.failed.connect(lambda message: self._repair_failed(source, message))
        self._repair_job = job  # kept alive until it reports
        self.notify(f"Repairing {source.name}…")
        job.start()

    def _repaired(self, task: Task, result) -> None:
        if not result.output:  # the check found nothing to repair
            self.notify(f"{Path(result.source).name}: {'; '.join(result.notes)}")
        else:
            self.notify(result.summary())
            notes = "\n".join(result.notes)
            if dialogs.ask(self, "Repaired copy written",
                           f"{result.summary()}\n\nAdd the repaired copy as a new task?",
                           notes):
                try:
                    added = add_task(self.repo, self.runner, result.output, task.task_params)
                except InputError as exc:
                    dialogs.show_error(self, "Repair video", f"Cannot add the copy: {exc}")
                else:
                    self._select_when_listed(added.id)
        self.repairFinished.emit(result)

    def _select_when_listed(self, task_id: str) -> None:
        """Select a task just added: its row arrives through the model's queued signal."""
        if self.model.row_of(task_id) is not None:
            self.select_task(task_id)
            return

        def inserted() -> None:
            if self.model.row_of(task_id) is not None:
                self.model.rowsInserted.disconnect(inserted)
                self.select_task(task_id)

        self.model.rowsInserted.connect(inserted)

    def _repair_failed(self, source: Path, message: str) -> None:
        dialogs.show_error(self, "Repair video", f"{source.name} was not repaired: {message}")
        self.repairFinished.emit(None)

    def show_in_folder(self) -> None:
        for task in self.selected_tasks()[:1]:
            if task.output_dir:
                QDesktopServices.openUrl(QUrl.fromLocalFile(task.output_dir))

    def copy_error(self) -> None:
        errors = [f"{t.filename}: {t.error}" for t in self.selected_tasks() if t.error]
        if errors:
            QGuiApplication.clipboard().setText("\n".join(errors))

    def _task_failed(self, task_id: str, error: str) -> None:
        task = self.repo.find(task_id)
        name = task.filename if task else task_id
        self.statusBar().showMessage(f"{name} failed: {error}", 15000)

    def _task_problem(self, task_id: str, message: str) -> None:
        """The runner cannot record something (e.g. the disk is full): say so, and keep it in
        the task's log."""
        task = self.repo.find(task_id)
        self.notify(f"{task.filename if task else task_id}: {message}")
        self.details.append_log(task_id, "WARNING", message)

    def _executor_status(self, message: str, ok: bool) -> None:
        """Where tasks run changed (a cluster reached, or not): the status bar says so."""
        self.notify(message[:1].upper() + message[1:])

    # -- queue, settings, about ----------------------------------------------------------
    def toggle_queue(self) -> None:
        self.settings.queue_paused = not self.runner.paused
        self.settings.save()
        self.runner.set_paused(self.settings.queue_paused)
        self._sync_queue_action()
        self._refresh_counts()

    def _sync_queue_action(self) -> None:
        paused = self.runner.paused
        self.queue_action.setChecked(paused)
        self.queue_action.setText("&Start queue" if paused else "&Pause queue")
        self.queue_action.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause))

    def open_settings(self) -> None:
        from ambientpose_desktop.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_settings(dialog.result_settings())

    def apply_settings(self, settings: AppSettings) -> None:
        """Use and persist ``settings``; new tasks and free slots follow them at once."""
        try:
            settings.save()
        except OSError as exc:
            dialogs.show_error(self, "Settings", f"The settings could not be saved: {exc}")
            return
        self.settings = self.runner.settings = settings
        self.runner.wake()

    def about(self) -> None:
        from ambientpose_desktop.gui.about import show_about

        show_about(self)

    def notify(self, message: str) -> None:
        """A message in the status bar that stays until the next one."""
        self.statusBar().showMessage(message)

    def _refresh_counts(self) -> None:
        counts = self.model.status_counts()
        parts = [f"{counts[TaskStatus.RUNNING]} running", f"{counts[TaskStatus.PENDING]} queued",
                 f"{counts[TaskStatus.SUCCESS]} done", f"{counts[TaskStatus.FAILED]} failed"]
        if self.runner.paused:
            parts.append("queue paused")
        self.counts_label.setText("  ·  ".join(parts))
        self.stack.setCurrentWidget(self.table if self.model.rowCount() else self.empty_hint)

    # -- quitting ------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.runner.running_ids()
        if running and not dialogs.ask(
                self, "Quit", f"{len(running)} task(s) are running. Stop them and quit?",
                "Running tasks go back in the queue, and queued tasks stay there: they run "
                "the next time the app starts."):
            event.ignore()
            return
        if self._repair_job is not None:
            self._repair_job.cancel()  # its process stops and removes its partial copy
        self.runner.shutdown()
        self.server_menu.stop_serving()
        self.model.close()
        event.accept()


def _ask_video(parent: QWidget, what: str) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, f"Which video? ({what})")
    return Path(path) if path else None
