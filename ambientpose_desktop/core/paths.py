"""Where AmbientPose keeps its data, config, logs and task folders.

platformdirs picks the usual per-user places; ``AMBIENTPOSE_HOME`` puts everything under one
folder instead (tests, portable installs, several isolated profiles on one machine).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "AmbientPose"


@dataclass(frozen=True)
class AppPaths:
    data: Path
    config: Path
    logs: Path

    @property
    def database(self) -> Path:
        return self.data / "ambientpose.sqlite3"

    @property
    def tasks(self) -> Path:
        return self.data / "tasks"

    @property
    def uploads(self) -> Path:
        return self.data / "uploads"

    @property
    def opened(self) -> Path:
        """Folders of results made elsewhere that the viewer opened (``pipeline.open_results``)."""
        return self.data / "opened"

    def ensure(self) -> AppPaths:
        for folder in (self.data, self.config, self.logs, self.tasks, self.uploads):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def app_paths() -> AppPaths:
    """Paths for this process, honouring ``AMBIENTPOSE_HOME`` (read each call: tests set it)."""
    home = os.environ.get("AMBIENTPOSE_HOME")
    if home:
        root = Path(home).expanduser()
        return AppPaths(data=root / "data", config=root / "config", logs=root / "logs")
    import platformdirs

    return AppPaths(
        data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
