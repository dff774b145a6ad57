"""A video added to the window is checked in the background: the row says "Checking… N %",
then a badge, and the details pane lists the findings; the GUI thread never waits for it."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from ambientpose_desktop.gui.task_model import CHECK
from tests.conftest import media_path
from tests.gui.test_drop import drop

WAIT_MS = 60_000


def test_damaged_video_row_checks_then_shows_its_badge_and_findings(make_window, qtbot,
                                                                    media_variants):
    window = make_window(paused=True)
    texts: list[str] = []
    window.model.dataChanged.connect(
        lambda top_left, *_: top_left.column() == CHECK and texts.append(top_left.data()))
    gaps, last = [], [time.monotonic()]

    def tick() -> None:  # how long the event loop went without turning
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    assert drop(window, qtbot, [media_variants["damaged"],
                                media_path("videos/mmpose_demo.mp4")]) == 2
    qtbot.waitUntil(lambda: [window.model.index(r, CHECK).data() for r in range(2)]
                    == ["Damaged", "OK"], timeout=WAIT_MS)
    timer.stop()
    assert any(t.startswith("Checking… ") and t.endswith(" %") for t in texts), texts
    # The check runs in a process of its own: the window kept turning throughout (checked on
    # the GUI thread, the damaged file's two decodings would stall it for seconds; the bound
    # leaves room for a busy machine's scheduling).
    assert max(gaps) < 2.0, max(gaps)
    damaged = window.model.task_at(0)
    assert damaged.media_check["damaged_from_frame"] is not None
    assert "damaged from frame" in window.model.index(0, CHECK).data(3)  # tooltip
    window.select_task(damaged.id)
    assert not window.details.check.isHidden()
    text = window.details.check.text()
    assert "Damaged" in text and "damaged from frame" in text and "205 of 205" not in text
    window.select_task(window.model.task_at(1).id)
    assert "OK" in window.details.check.text() and "5 frames" in window.details.check.text()
