"""The content probe that decides whether a file may become a video task (window and API)."""

from __future__ import annotations

import shutil

import av
import pytest

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.pipeline.video import probe


def disguised(media, tmp_path, image: str, name: str):
    """A real image file under a video's name."""
    target = tmp_path / name
    shutil.copy(media(image), target)
    return target


def one_frame_of(media, tmp_path):
    """The first frame of a real video, re-encoded as an MP4 of that one frame."""
    target = tmp_path / "one_frame.mp4"
    with av.open(str(media("videos/mmpose_demo.mp4"))) as source, \
            av.open(str(target), "w") as out:
        frame = next(source.decode(video=0))
        stream = out.add_stream("libx264", rate=5)
        stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, "yuv420p"
        for packet in [*stream.encode(frame.reformat(format="yuv420p")), *stream.encode()]:
            out.mux(packet)
    return target


@pytest.mark.parametrize(("image", "name", "codec"), [
    ("images/skimage_astronaut.png", "astronaut.mp4", "png"),
    ("images/ultralytics_bus.jpg", "bus.mov", "mjpeg"),
])
def test_an_image_renamed_as_a_video_is_refused(media, tmp_path, image, name, codec):
    with pytest.raises(InputError) as refused:
        probe(disguised(media, tmp_path, image, name))
    assert str(refused.value) == f"{name} is a still image ({codec}), not a video"


def test_a_file_of_one_frame_is_an_image(media, tmp_path):
    with pytest.raises(InputError, match=r"one_frame.mp4 is a still image \(h264\)"):
        probe(one_frame_of(media, tmp_path))


def test_videos_and_image_folders_pass(media, tmp_path):
    assert probe(media("videos/mmpose_demo.mp4")).frame_count == 5
    assert probe(media("videos/openpose_video.avi")).codec == "h264"
    folder = tmp_path / "one_image"
    folder.mkdir()
    shutil.copy(media("images/ultralytics_bus.jpg"), folder)
    assert probe(folder).kind == "images"


def test_a_recording_cut_before_its_index_is_said_so(media_variants):
    # Intake and uploads refuse it before a task exists, in the integrity check's words.
    with pytest.raises(InputError, match="cut off before it was finalised"):
        probe(media_variants["index_missing"])
    with pytest.raises(InputError, match="not a video that can be read"):
        probe(media_variants["text"])
