"""The window's runner: claims tasks from the database and drives each worker in a QProcess.

Everything happens on the thread that owns the runner (the GUI thread): output arrives through
``readyReadStandardOutput``, never by waiting, and ``TaskExecution`` decides what each line and
exit status mean. ``wake`` and ``cancel`` may be called from any thread (the embedded server
does); they are marshalled here through queued signals. Its process must have imported
``ambientpose_desktop.gui`` first (the window does): that guards against PySide6 6.12.0's
reference-count bugs, which every emit here would otherwise feed.
"""

from __future__ import annotations

import codecs
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Qt, QTimer, Signal

from ambientpose_desktop.core.events import Event, Failed, Log, Progress, Started
from ambientpose_desktop.core.tasks import InvalidTransition, TaskStatus
from ambientpose_desktop.runner.command import (
    default_slots,
    detect_arguments,
    gpu_count,
    lower_priority,
    worker_environment,
    worker_program,
)
from ambientpose_desktop.runner.execution import TaskExecution
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskNotFound, TaskRepository
from ambientpose_desktop.store.settings import AppSettings

CANCEL_GRACE_S = 5.0


@dataclass
class _Job:
    """One running worker: its process, the execution policy fed by it, and its slot."""

    task_id: str
    slot: int
    process: QProcess
    execution: TaskExecution
    stdout: codecs.IncrementalDecoder
    stderr: codecs.IncrementalDecoder
    kill_timer: QTimer | None = None


class QtTaskRunner(QObject):
    """Runs PENDING tasks in worker processes, ``slots`` at a time (one per GPU by default)."""

    taskStarted = Signal(str)  # task id
    progress = Signal(str, int, int, float, object)  # id, frames done, total, fps, eta_s|None
    log = Signal(str, str, str)  # id, level, message (worker log events and stderr lines)
    taskFinished = Signal(str, str)  # id, final TaskStatus value
    failed = Signal(str, str)  # id, error message (also sent with taskFinished)
    idle = Signal()  # nothing runs any more
    _wakeRequested = Signal()
    _cancelRequested = Signal(str)

    def __init__(self, repo: TaskRepository, artefacts: ArtefactStore,
                 settings: AppSettings, *,
                 cancel_grace_s: float = CANCEL_GRACE_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.repo = repo
        self.artefacts = artefacts
        self.settings = settings  # the window replaces it when the user saves new settings
        self.cancel_grace_s = cancel_grace_s
        self._jobs: dict[str, _Job] = {}
        self._running_ids: set[str] = set()  # mirror of _jobs readable from any thread
        self._lock = threading.Lock()
        self._paused = False
        self._wakeRequested.connect(self._fill_slots, Qt.ConnectionType.QueuedConnection)
        self._cancelRequested.connect(self._cancel_here, Qt.ConnectionType.QueuedConnection)

    # -- TaskRunner protocol (any thread) ------------------------------------------------
    def wake(self) -> None:
        self._wakeRequested.emit()

    def cancel(self, task_id: str) -> bool:
        with self._lock:
            mine = task_id in self._running_ids
        if mine:
            self._cancelRequested.emit(task_id)
        return mine

    # -- state ---------------------------------------------------------------------------
    @property
    def slots(self) -> int:
        return self.settings.concurrency or default_slots()

    @property
    def paused(self) -> bool:
        return self._paused

    def set_paused(self, paused: bool) -> None:
        """A paused queue starts nothing new; running tasks go on."""
        self._paused = paused
        if not paused:
            self.wake()

    def running_ids(self) -> list[str]:
        return list(self._jobs)

    def shutdown(self, timeout_s: float | None = None) -> None:
        """Cancel every running task and wait for the workers to end (used when quitting)."""
        self._paused = True
        grace = self.cancel_grace_s if timeout_s is None else timeout_s
        for job in list(self._jobs.values()):
            job.execution.cancel_requested = True
            job.process.terminate()
        for job in list(self._jobs.values()):
            if not job.process.waitForFinished(int(grace * 1000)):
                job.process.kill()
                job.process.waitForFinished(2000)

    # -- scheduling ----------------------------------------------------------------------
    def _free_slot(self) -> int | None:
        used = {job.slot for job in self._jobs.values()}
        return next((s for s in range(self.slots) if s not in used), None)

    def _fill_slots(self) -> None:
        while not self._paused:
            slot = self._free_slot()
            if slot is None:
                return
            task = self.repo.claim_next()
            if task is None:
                if not self._jobs:
                    self.idle.emit()
                return
            self._launch(task, slot)

    def _output_dir(self, task: Task) -> Path:
        chosen = self.settings.output_dir
        if chosen:
            folder = Path(chosen).expanduser() / task.id
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        return self.artefacts.task_dir(task.id, create=True)

    def _launch(self, task: Task, slot: int) -> None:
        settings = self.settings
        try:
            output = self._output_dir(task)
        except OSError as exc:
            self._record_failure(task.id, f"cannot create the results folder: {exc}")
            return
        program = worker_program(settings.worker_python)
        args = detect_arguments(task.id, task.input_path, output, task.task_params)
        # No Qt parent: the job owns the process, so a runner deleted while a process awaits its
        # deleteLater() cannot leave Qt a dangling child (seen as a segfault under pytest-qt).
        process = QProcess()
        env = QProcessEnvironment()
        for key, value in worker_environment(slot, gpu_count()).items():
            env.insert(key, value)
        process.setProcessEnvironment(env)
        process.setProgram(program[0])
        process.setArguments(program[1:] + args)
        job = _Job(task.id, slot, process, TaskExecution(self.repo, task.id, output),
                   codecs.getincrementaldecoder("utf-8")("replace"),
                   codecs.getincrementaldecoder("utf-8")("replace"))
        job.execution.start_fresh()
        self._jobs[task.id] = job
        with self._lock:
            self._running_ids.add(task.id)
        process.readyReadStandardOutput.connect(lambda: self._read_stdout(job))
        process.readyReadStandardError.connect(lambda: self._read_stderr(job))
        process.started.connect(lambda: self._on_started(job, output))
        process.finished.connect(lambda code, status: self._on_finished(job, code, status))
        process.errorOccurred.connect(lambda error: self._on_error(job, error))
        process.start()

    # -- process callbacks ---------------------------------------------------------------
    def _on_started(self, job: _Job, output: Path) -> None:
        lower_priority(job.process.processId())
        try:
            self.repo.set_worker(job.task_id, job.process.processId(), str(output))
        except TaskNotFound:  # removed while starting: stop the worker
            job.process.kill()
            return
        self.taskStarted.emit(job.task_id)

    def _read_stdout(self, job: _Job) -> None:
        text = job.stdout.decode(bytes(job.process.readAllStandardOutput().data()))
        for event in job.execution.feed(text):
            self._announce(job.task_id, event)

    def _read_stderr(self, job: _Job) -> None:
        text = job.stderr.decode(bytes(job.process.readAllStandardError().data()))
        for line in text.splitlines():
            if line.strip():
                self.log.emit(job.task_id, "STDERR", line)

    def _announce(self, task_id: str, event: Event) -> None:
        if isinstance(event, Progress):
            self.progress.emit(task_id, event.frame, event.total_frames, event.fps,
                               event.eta_s)
        elif isinstance(event, Started):
            self.progress.emit(task_id, 0, event.total_frames, 0.0, None)
            self.log.emit(task_id, "INFO", f"started: {event.total_frames} frames, "
                                           f"{event.backend} on {event.device}")
        elif isinstance(event, Log):
            self.log.emit(task_id, event.level, event.message)
        elif isinstance(event, Failed):
            self.log.emit(task_id, "ERROR", event.error)

    def _on_finished(self, job: _Job, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        self._read_stdout(job)
        self._read_stderr(job)
        crashed = exit_status == QProcess.ExitStatus.CrashExit
        try:
            status = job.execution.finish(None if crashed else exit_code, crashed=crashed)
            error = self.repo.get(job.task_id).error
        except (TaskNotFound, InvalidTransition):  # removed or changed by someone else
            status, error = None, None
        self._forget(job)
        if status is not None:
            if status == TaskStatus.FAILED:
                self.failed.emit(job.task_id, error or "failed")
            self.taskFinished.emit(job.task_id, status.value)
        self._fill_slots()

    def _on_error(self, job: _Job, error: QProcess.ProcessError) -> None:
        if error != QProcess.ProcessError.FailedToStart:
            return  # crashes also arrive through finished(), which records them
        program = job.process.program()
        self._forget(job)
        self._record_failure(job.task_id, f"could not start the worker ({program}): "
                                          f"{job.process.errorString()}")
        self._fill_slots()

    def _record_failure(self, task_id: str, message: str) -> None:
        try:
            self.repo.set_status(task_id, TaskStatus.FAILED, error=message)
        except (TaskNotFound, InvalidTransition):
            return
        self.failed.emit(task_id, message)
        self.taskFinished.emit(task_id, TaskStatus.FAILED.value)

    def _forget(self, job: _Job) -> None:
        if job.kill_timer is not None:
            job.kill_timer.stop()
        self._jobs.pop(job.task_id, None)
        with self._lock:
            self._running_ids.discard(job.task_id)
        job.process.deleteLater()

    # -- cancel --------------------------------------------------------------------------
    def _cancel_here(self, task_id: str) -> None:
        """Terminate the worker (it saves nothing more and exits 143); kill it after the grace
        period if it does not stop."""
        job = self._jobs.get(task_id)
        if job is None or job.execution.cancel_requested:
            return
        job.execution.cancel_requested = True
        job.process.terminate()
        job.kill_timer = QTimer()
        job.kill_timer.setSingleShot(True)
        job.kill_timer.timeout.connect(job.process.kill)
        job.kill_timer.start(int(self.cancel_grace_s * 1000))
