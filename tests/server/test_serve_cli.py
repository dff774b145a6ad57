"""`ambientpose serve` as a user starts it: a real process, its own runner, clean stops."""

import signal
import socket
import subprocess
import sys
import time

import httpx

from ambientpose_desktop.cli.serve import is_loopback
from ambientpose_desktop.core.tasks import TaskStatus
from tests.pipeline.worker_helpers import worker_env
from tests.server.conftest import sse_events, upload


def test_serve_runs_uploads_and_requeues_on_stop(serve_process, store, media):
    process, url, token = serve_process()
    assert url.startswith("http://127.0.0.1:")
    video = media("videos/mmpose_demo.mp4")
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as client:
        assert client.get("/health").json()["status"] == "ok"
        quick = upload(client, video, config={"backend": "fake"}).json()["id"]
        assert sse_events(client, quick)[-1]["event"] == "finished"
        assert client.get(f"/tasks/{quick}").json()["status"] == "SUCCESS"

        slow = upload(client, video, config={"backend": "fake",
                                             "options": {"delay_s": 3}}).json()["id"]
        with client.stream("GET", f"/tasks/{slow}/stream") as stream:
            next(line for line in stream.iter_lines() if line == "event: started")
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 130  # Ctrl-C's usual exit status, after a graceful stop
    assert "Traceback" not in process.stderr.read()
    repo, _ = store
    # Not lost and not failed: it runs again when the server (or the window) next starts.
    assert repo.get(slow).status == TaskStatus.PENDING


def test_serve_says_when_the_port_is_taken(ambientpose_home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "ambientpose_desktop", "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=60, env=worker_env())
    assert proc.returncode == 1 and time.monotonic() - started < 30
    assert proc.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"]


def test_loopback_detection():
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.5", "lab-pc"]))
