"""The window's runner: the task lifecycle (``runner/lifecycle.py``) driven by QProcess.

Everything happens on the thread that owns the runner (the GUI thread): worker output arrives
through ``readyReadStandardOutput``, never by waiting, and the lifecycle decides what each line
and exit status mean. ``wake`` and ``cancel`` may be called from any thread (the embedded
server does); they are marshalled here through queued signals, as is what a Dask cluster says
when the settings send tasks there (``runner/dask_runner.py``, through ``post``). Its process
must have imported ``ambientpose_desktop.gui`` first (the window does): that guards against
PySide6 6.12.0's reference-count bugs, which every emit here would otherwise feed. This is the
only module of ``runner/`` that imports Qt (import-linter checks it).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Qt, QTimer, Signal

from ambientpose_desktop.core.events import Event, Failed, Log, Progress, Started
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.dask_runner import DaskExecutor
from ambientpose_desktop.runner.lifecycle import (
    CANCEL_GRACE_S,
    Launch,
    Listener,
    Run,
    TaskLifecycle,
)
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskRepository
from ambientpose_desktop.store.settings import AppSettings


@dataclass
class _Process:
    """A worker's QProcess and the decoders of its two pipes."""

    process: QProcess
    stdout: codecs.IncrementalDecoder
    stderr: codecs.IncrementalDecoder


class _Timer:
    """``call_later``'s handle: a single-shot QTimer that can be cancelled."""

    def __init__(self, seconds: float, callback: Callable[[], None]) -> None:
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(callback)
        self._timer.start(int(seconds * 1000))

    def cancel(self) -> None:
        self._timer.stop()


class QtTaskRunner(QObject):
    """Runs PENDING tasks in worker processes, ``slots`` at a time (one per GPU by default)."""

    taskStarted = Signal(str)  # task id
    progress = Signal(str, int, int, float, object)  # id, frames done, total, fps, eta_s|None
    log = Signal(str, str, str)  # id, level, message (worker log events and stderr lines)
    taskFinished = Signal(str, str)  # id, final TaskStatus value
    failed = Signal(str, str)  # id, error message (also sent with taskFinished)
    problem = Signal(str, str)  # id, something the user should know (e.g. disk full)
    idle = Signal()  # nothing runs any more
    executorStatus = Signal(str, bool)  # where tasks run: message, ok (e.g. cluster reachable)
    _wakeRequested = Signal()
    _cancelRequested = Signal(str)
    _callRequested = Signal(object)

    def __init__(self, repo: TaskRepository, artefacts: ArtefactStore,
                 settings: AppSettings, *,
                 cancel_grace_s: float = CANCEL_GRACE_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.repo = repo
        self.artefacts = artefacts
        self.settings = settings  # the window replaces it when the user saves new settings
        self.lifecycle = TaskLifecycle(repo, artefacts, lambda: self.settings, self,
                                       _Signals(self), cancel_grace_s=cancel_grace_s,
                                       remote=DaskExecutor(self))
        self._wakeRequested.connect(self.lifecycle.fill_slots, Qt.ConnectionType.QueuedConnection)
        self._cancelRequested.connect(self.lifecycle.cancel, Qt.ConnectionType.QueuedConnection)
        self._callRequested.connect(self._call, Qt.ConnectionType.QueuedConnection)

    # -- TaskRunner protocol (any thread) ------------------------------------------------
    def wake(self) -> None:
        self._wakeRequested.emit()

    def cancel(self, task_id: str) -> bool:
        mine = task_id in self.lifecycle.runs
        if mine:
            self._cancelRequested.emit(task_id)
        return mine

    # -- state ---------------------------------------------------------------------------
    @property
    def slots(self) -> int:
        return self.lifecycle.slots

    @property
    def paused(self) -> bool:
        return self.lifecycle.paused

    @property
    def cancel_grace_s(self) -> float:
        return self.lifecycle.cancel_grace_s

    def set_paused(self, paused: bool) -> None:
        """A paused queue starts nothing new; running tasks go on."""
        self.lifecycle.paused = paused
        if not paused:
            self.wake()

    def running_ids(self) -> list[str]:
        return list(self.lifecycle.runs)

    def start(self) -> list[Task]:
        """Recover what a dead runner left, then start queued tasks; returns the recovered."""
        return self.lifecycle.start()

    def shutdown(self, timeout_s: float | None = None) -> None:
        """Stop every running worker and wait for it (quitting): their tasks go back in the
        queue and start again next time."""
        self.lifecycle.stop()
        grace = self.cancel_grace_s if timeout_s is None else timeout_s
        for run in list(self.lifecycle.runs.values()):
            if not isinstance(run.handle, _Process):
                continue  # on a cluster: the lifecycle's close waits for those
            process = run.handle.process
            if not process.waitForFinished(int(grace * 1000)):
                process.kill()
                process.waitForFinished(2000)
        self.lifecycle.close(grace)

    # -- Executor (the lifecycle's adapter surface) --------------------------------------
    def start_worker(self, run: Run, launch: Launch) -> None:
        # No Qt parent: the run owns the process, so a runner deleted while a process awaits
        # its deleteLater() cannot leave Qt a dangling child (seen as a segfault under pytest).
        process = QProcess()
        env = QProcessEnvironment()
        for key, value in launch.env.items():
            env.insert(key, value)
        process.setProcessEnvironment(env)
        process.setProgram(launch.argv[0])
        process.setArguments(launch.argv[1:])
        run.handle = _Process(process, codecs.getincrementaldecoder("utf-8")("replace"),
                              codecs.getincrementaldecoder("utf-8")("replace"))
        process.readyReadStandardOutput.connect(lambda: self._read_stdout(run))
        process.readyReadStandardError.connect(lambda: self._read_stderr(run))
        process.started.connect(lambda: self.lifecycle.started(run, process.processId()))
        process.finished.connect(lambda code, status: self._finished(run, code, status))
        process.errorOccurred.connect(lambda error: self._error(run, error))
        process.start()

    def terminate(self, run: Run) -> None:
        run.handle.process.terminate()

    def kill(self, run: Run) -> None:
        run.handle.process.kill()

    def call_later(self, seconds: float, callback: Callable[[], None]) -> _Timer:
        return _Timer(seconds, callback)

    def post(self, callback: Callable[[], None]) -> None:
        self._callRequested.emit(callback)

    def _call(self, callback: Callable[[], None]) -> None:
        callback()

    def _read_stdout(self, run: Run) -> None:
        data = bytes(run.handle.process.readAllStandardOutput().data())
        self.lifecycle.output(run, run.handle.stdout.decode(data))

    def _read_stderr(self, run: Run) -> None:
        data = bytes(run.handle.process.readAllStandardError().data())
        self.lifecycle.stderr(run, run.handle.stderr.decode(data))

    def _finished(self, run: Run, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        self._read_stdout(run)
        self._read_stderr(run)
        crashed = exit_status == QProcess.ExitStatus.CrashExit
        self.lifecycle.exited(run, None if crashed else exit_code, crashed)
        run.handle.process.deleteLater()

    def _error(self, run: Run, error: QProcess.ProcessError) -> None:
        if error != QProcess.ProcessError.FailedToStart:
            return  # crashes also arrive through finished(), which records them
        self.lifecycle.launch_failed(run, run.handle.process.errorString())
        run.handle.process.deleteLater()


class _Signals(Listener):
    """The lifecycle's news as the runner's Qt signals."""

    def __init__(self, runner: QtTaskRunner) -> None:
        self._runner = runner

    def task_started(self, task_id: str) -> None:
        self._runner.taskStarted.emit(task_id)

    def task_event(self, task_id: str, event: Event) -> None:
        runner = self._runner
        if isinstance(event, Progress):
            runner.progress.emit(task_id, event.frame, event.total_frames, event.fps,
                                 event.eta_s)
        elif isinstance(event, Started):
            runner.progress.emit(task_id, event.resumed_at, event.total_frames, 0.0, None)
            runner.log.emit(task_id, "INFO", f"started: {event.total_frames} frames, "
                                             f"{event.backend} on {event.device}")
        elif isinstance(event, Log):
            runner.log.emit(task_id, event.level, event.message)
        elif isinstance(event, Failed):
            runner.log.emit(task_id, "ERROR", event.error)

    def task_stderr(self, task_id: str, line: str) -> None:
        self._runner.log.emit(task_id, "STDERR", line)

    def task_finished(self, task_id: str, status: TaskStatus, error: str | None) -> None:
        if status == TaskStatus.FAILED:
            self._runner.failed.emit(task_id, error or "failed")
        self._runner.taskFinished.emit(task_id, status.value)

    def problem(self, task_id: str, message: str) -> None:
        self._runner.problem.emit(task_id, message)

    def executor_status(self, message: str, ok: bool) -> None:
        self._runner.executorStatus.emit(message, ok)

    def idle(self) -> None:
        self._runner.idle.emit()
