"""Shared fixtures: real media from ../shared/media, an isolated AMBIENTPOSE_HOME per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never need a display; the one that does (Xvfb screenshot) sets its own platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("YOLO_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("AMBIENTPOSE_MEDIA", REPO.parent / "shared" / "media"))


def media_path(relative: str) -> Path:
    """A file under ../shared/media, or skip the test saying why."""
    path = MEDIA / relative
    if not path.exists():
        pytest.skip(f"test media not found: {path} (the shared media folder is absent)")
    return path


@pytest.fixture
def media():
    return media_path


@pytest.fixture(autouse=True)
def ambientpose_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("AMBIENTPOSE_HOME", str(home))
    return home


@pytest.fixture
def store(ambientpose_home):
    from ambientpose_desktop.store import open_store

    return open_store()
