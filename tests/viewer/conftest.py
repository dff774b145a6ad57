"""A viewer on the processed task, open as a user has it."""

from __future__ import annotations

import pytest

from tests.viewer.driving import open_viewer


@pytest.fixture
def viewer(qtbot, processed_task):
    return open_viewer(qtbot, processed_task)
