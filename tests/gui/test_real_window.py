"""The real app in a real X server (Xvfb, xcb platform) with tasks in every state, pictured.

Set ``AMBIENTPOSE_SCREENSHOT_COPY=/some/file.png`` to keep the picture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store.settings import AppSettings
from tests.conftest import media_path


def seed_tasks(repo) -> None:
    """Finished, failed, canceled and queued tasks; the first queued one will be running."""
    params = TaskParams(backend="fake")
    outcomes = [
        ("videos/mmpose_demo.mp4", TaskStatus.SUCCESS, None, (5, 5), {"fps": 9.6, "persons": 61}),
        ("videos/mmaction2_demo_skeleton.mp4", TaskStatus.SUCCESS, None, (72, 72),
         {"fps": 14.2, "persons": 144}),
        ("images/openpose_COCO_val2014", TaskStatus.FAILED,
         "COCO_val2014_000000000589.jpg is not an image that can be read", (7, 20), {}),
        ("videos/mmpose_demo.mp4", TaskStatus.CANCELED, None, (2, 5), {"fps": 8.1}),
    ]
    for relative, status, error, (done, total), metrics in outcomes:
        task = repo.create(media_path(relative), params)
        repo.claim_next()
        repo.set_progress(task.id, done, total)
        repo.set_status(task.id, status, error=error, metrics=metrics)
    slow = TaskParams(backend="fake", backend_options={"delay_s": 0.05})
    repo.create(media_path("videos/openpose_video.avi"), slow)
    repo.create(media_path("videos/mmaction2_demo_skeleton.mp4"), params)


@pytest.fixture
def xvfb_display():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (.ci/run installs it with apt-get)")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1366x800x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        display = fh.readline().strip()
    if not display:
        server.kill()
        pytest.skip("Xvfb did not start")
    yield f":{display}"
    server.terminate()
    server.wait(10)


def test_real_app_under_xvfb_pictures_tasks_in_every_state(store, xvfb_display, tmp_path):
    repo, _ = store
    AppSettings(task=TaskParams(backend="fake")).save()
    seed_tasks(repo)
    shot = tmp_path / "window.png"
    env = dict(os.environ, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb",
               AMBIENTPOSE_SCREENSHOT=str(shot), AMBIENTPOSE_SCREENSHOT_DELAY_MS="3000")
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 20_000
    statuses = {t.status for t in repo.list()}
    # The running task was canceled by the app as it quit after the picture.
    assert {TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.CANCELED} <= statuses
    keep = os.environ.get("AMBIENTPOSE_SCREENSHOT_COPY")
    if keep:
        shutil.copyfile(shot, Path(keep))


def _x11_helper():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "packaging" / "x11_window.py"
    spec = importlib.util.spec_from_file_location("x11_window", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_window_takes_the_keyboard_when_it_opens(store, xvfb_display):
    """Ctrl+O right after start must reach the window: with no window manager to focus it
    (or one that does not), the app asks for the input focus itself."""
    import ctypes
    import time

    AppSettings(task=TaskParams(backend="fake")).save()
    env = dict(os.environ, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb")
    app = subprocess.Popen([sys.executable, "-m", "ambientpose_desktop"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"], saved = xvfb_display, os.environ.get("DISPLAY")
    try:
        display = _x11_helper().Display()
        window = display.wait("AmbientPose", 60, pid=app.pid)
        focus, revert = ctypes.c_ulong(), ctypes.c_int()
        display.x.XGetInputFocus.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_ulong),
                                             ctypes.POINTER(ctypes.c_int)]
        for _ in range(40):  # activation follows the window's mapping by a few events
            display.x.XGetInputFocus(display.handle, ctypes.byref(focus), ctypes.byref(revert))
            if focus.value == window:
                break
            time.sleep(0.25)
        assert focus.value == window, f"input focus on {focus.value:#x}, not {window:#x}"
    finally:
        if saved is None:
            os.environ.pop("DISPLAY")
        else:
            os.environ["DISPLAY"] = saved
        app.terminate()
        app.wait(30)
