"""What to make of dropped or chosen paths: which become tasks, which are refused and why.

Two checks (seed §6): the extension whitelist of ``core.media``, then a content probe that
decodes one frame (``pipeline.video.probe``), so a renamed text file is refused too. A folder
of images becomes one image-sequence task; a folder of videos adds each video. The window (off
its GUI thread: probing opens files) and ``ambientpose run`` both sort their paths here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ambientpose_desktop.core.errors import AmbientPoseError
from ambientpose_desktop.core.media import VIDEO_EXTENSIONS, is_image_name, is_video_name

Probe = Callable[[Path], object]


@dataclass
class Intake:
    accepted: list[Path] = field(default_factory=list)  # videos and image folders
    refused: list[tuple[Path, str]] = field(default_factory=list)  # path, reason


def _default_probe(path: Path) -> object:
    from ambientpose_desktop.pipeline.video import probe

    return probe(path)


def _candidates(path: Path, intake: Intake) -> list[Path]:
    if path.is_dir():
        files = [p for p in sorted(path.iterdir()) if p.is_file()]
        videos = [p for p in files if is_video_name(p)]
        has_images = any(is_image_name(p) for p in files)
        if not videos and not has_images:
            intake.refused.append((path, "folder contains no videos or images"))
        return ([path] if has_images else []) + videos
    if not path.exists():
        intake.refused.append((path, "does not exist"))
    elif is_image_name(path):
        intake.refused.append((path, "a single image: drop its folder to add an image "
                                     "sequence"))
    elif not is_video_name(path):
        kind = f"{path.suffix} files" if path.suffix else "files without an extension"
        intake.refused.append((path, f"{kind} are not videos (accepted: "
                                     f"{', '.join(sorted(VIDEO_EXTENSIONS))})"))
    else:
        return [path]
    return []


def classify(paths: Iterable[str | Path], probe: Probe = _default_probe) -> Intake:
    """Sort ``paths`` into inputs for new tasks and refusals with a reason for each."""
    intake = Intake()
    for raw in paths:
        for candidate in _candidates(Path(raw), intake):
            try:
                probe(candidate)
            except AmbientPoseError as exc:
                intake.refused.append((candidate, str(exc)))
            except OSError as exc:
                intake.refused.append((candidate, f"cannot be read: {exc.strerror or exc}"))
            else:
                intake.accepted.append(candidate.resolve())
    return intake


def refusal_text(refused: list[tuple[Path, str]]) -> str:
    """One line per refused path, for the message the user sees."""
    return "\n".join(f"{path.name}: {reason}" for path, reason in refused)
