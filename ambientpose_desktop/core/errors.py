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
