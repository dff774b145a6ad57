"""One exception tree for problems a user can act on.

Anything raised from here carries a one-line message meant for people; the CLI prints it
without a traceback and maps it to an exit code, the runner stores it as the task's error.
"""


class AmbientPoseError(Exception):
    """Base class; ``exit_code`` is what the CLI returns for it."""

    exit_code = 1


class InputError(AmbientPoseError):
    """The input (video, image folder, option) is unusable: exit code 2, as for bad usage."""

    exit_code = 2


class OutputError(AmbientPoseError):
    """Results cannot be written (folder not writable, disk full)."""

    exit_code = 2


class BackendUnavailable(AmbientPoseError):
    """A pose backend cannot run here; the message says what to install or configure."""

    exit_code = 1


class DecodeError(AmbientPoseError):
    """The video broke part-way; ``frames_decoded`` frames before the damage were used."""

    def __init__(self, message: str, frames_decoded: int) -> None:
        super().__init__(message)
        self.frames_decoded = frames_decoded


class DatabaseError(AmbientPoseError):
    """The task database cannot be used as it is; ``path`` names the file."""

    def __init__(self, message: str, path) -> None:
        super().__init__(message)
        self.path = path


class DamagedDatabase(DatabaseError):
    """The task database is damaged (or is not a database at all). Moving it aside and
    adopting the task folders still on disk into a fresh one gets the app going again;
    ``reason`` is what SQLite found."""

    def __init__(self, path, reason: str) -> None:
        super().__init__(
            f"the task database {path} is damaged ({reason}); run the same command again "
            "with --recover-db to move it aside (it is kept, not deleted) and start with an "
            "empty task list, into which the task folders still on disk are adopted", path)
        self.reason = reason


class NewerDatabase(DatabaseError):
    """The task database was written by a newer AmbientPose: it is left exactly as it is."""

    def __init__(self, path, version: int, known: int) -> None:
        super().__init__(
            f"the task database {path} was written by a newer AmbientPose (schema version "
            f"{version}; this one knows up to {known}): update AmbientPose; the file was not "
            "changed", path)
        self.version = version
