"""A dialog's job ends on the GUI thread: after ``release`` its thread is gone, so the QObject
is freed where it lives (freed on the thread, it crashed the viewer tests now and then)."""

from __future__ import annotations

import threading
import time
import weakref

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.gui.viewer.thread_job import ThreadJob


class _Slow(ThreadJob):
    def __init__(self, fail: bool = False) -> None:
        super().__init__("test-job")
        self.fail = fail

    def _run(self) -> None:
        super()._run()
        time.sleep(0.2)  # the thread outlives its last signal, holding the job, as threads do

    def work(self) -> str:
        self.progressed.emit(1, 2)
        if self.fail:
            raise InputError("no such task")
        return "saved"


def test_a_released_job_is_freed_on_the_gui_thread(qtbot):
    freed_on: list[str] = []
    job = _Slow()
    weakref.finalize(job, lambda: freed_on.append(threading.current_thread().name))
    with qtbot.waitSignal(job.done, timeout=5000) as done:
        job.start()
    assert done.args == ["saved"]
    job.release()
    assert not job._thread.is_alive()
    del job
    assert freed_on == [threading.main_thread().name]


def test_errors_come_back_as_one_line(qtbot):
    job = _Slow(fail=True)
    with qtbot.waitSignal(job.failed, timeout=5000) as failed:
        job.start()
    job.release()
    assert failed.args == ["no such task"]
