"""Image folders: frame sequences are tracked, unrelated stills never are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.pipeline.frame_stages import FrameResult
from ambientpose_desktop.pipeline.stills import (
    StillIdsStage,
    is_frame_sequence,
    tracked_as_sequence,
)
from ambientpose_desktop.pipeline.video import ImageFolderSource


def _images(folder: Path, names: list[str], sizes: list[tuple[int, int]] | None = None):
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(names):
        width, height = sizes[k] if sizes else (64, 48)
        cv2.imwrite(str(folder / name), np.full((height, width, 3), k % 255, np.uint8))
    return ImageFolderSource(folder).files  # the order the worker processes them in


def test_numbered_frames_of_one_size_are_a_sequence(tmp_path):
    files = _images(tmp_path / "a", [f"frame_{i:06d}.png" for i in range(1, 31)])
    assert is_frame_sequence(files)


def test_a_few_dropped_frames_or_every_fifth_frame_still_count(tmp_path):
    dropped = [f"img{i}.jpg" for i in range(100) if i not in (17, 53)]
    assert is_frame_sequence(_images(tmp_path / "a", dropped))
    assert is_frame_sequence(_images(tmp_path / "b", [f"t_{i:04d}.png" for i in range(0, 200, 5)]))


def test_an_unreadable_frame_leaves_the_others_a_sequence(tmp_path):
    files = _images(tmp_path / "a", [f"frame_{i:06d}.png" for i in range(1, 31)])
    files[4].write_bytes(b"\x89PNG cut off")
    assert is_frame_sequence(files)
    for path in files:
        path.write_bytes(b"not an image")
    assert not is_frame_sequence(files)


def test_an_unreadable_frame_under_a_patched_pillow_still_leaves_a_sequence(tmp_path,
                                                                          monkeypatch):
    """Importing ultralytics (the .pt converter, some tests) wraps Image.open in a function
    that imports pi-heif when a file is not an image: that ImportError is an unreadable
    image too, and converting a model puts Pillow's own open back."""
    from PIL import Image

    pillow_open = Image.open

    def wrapper(path, *args, **kwargs):
        try:
            return pillow_open(path, *args, **kwargs)
        except Image.UnidentifiedImageError:
            raise ModuleNotFoundError("No module named 'pi_heif'") from None

    monkeypatch.setattr(Image, "open", wrapper)
    files = _images(tmp_path / "a", [f"frame_{i:06d}.png" for i in range(1, 31)])
    files[4].write_bytes(b"\x89PNG cut off")
    assert is_frame_sequence(files)


def test_scattered_numbers_mixed_names_or_sizes_are_stills(tmp_path):
    coco_like = [f"COCO_val2014_{i:012d}.jpg" for i in (192, 241, 257, 294, 328, 338)]
    assert not is_frame_sequence(_images(tmp_path / "a", coco_like))
    mixed = [f"frame_{i}.png" for i in range(5)] + ["other_5.png"]
    assert not is_frame_sequence(_images(tmp_path / "b", mixed))
    sizes = [(64, 48)] * 4 + [(48, 64)]
    assert not is_frame_sequence(_images(tmp_path / "c", [f"f{i}.png" for i in range(5)], sizes))
    assert not is_frame_sequence(_images(tmp_path / "d", ["cat.png", "dog.png"]))
    assert not is_frame_sequence(_images(tmp_path / "e", ["only_1.png"]))


def test_the_shared_still_folders_are_stills(media):
    for folder in ("coco_val2017_mmpose", "images/openpose_COCO_val2014", "ochuman_mmpose"):
        assert not is_frame_sequence(ImageFolderSource(media(folder)).files), folder


def test_the_mode_overrides_the_guess(tmp_path):
    files = _images(tmp_path / "a", ["cat.png", "dog.png"])
    assert tracked_as_sequence(files, "sequence")
    assert not tracked_as_sequence(files, "auto")
    frames = _images(tmp_path / "b", [f"{i}.png" for i in range(3)])
    assert not tracked_as_sequence(frames, "stills")
    with pytest.raises(ValueError, match="auto, sequence, stills"):
        tracked_as_sequence(frames, "maybe")


def test_every_person_of_every_still_gets_an_id_of_their_own():
    stage = StillIdsStage()
    image = np.zeros((4, 4, 3), np.uint8)

    def people(n):
        return [Person(keypoints=np.zeros((17, 3)), box=(10.0 * k, 0, 5, 5), score=0.9)
                for k in range(n)]

    out = [stage.feed(FrameResult(i, 0.0, image, people(n)))[0] for i, n in enumerate((2, 0, 3))]
    assert stage.flush() == []
    assert [[p.idx for p in item.persons] for item in out] == [[1, 2], [], [3, 4, 5]]
