"""Task parameters are declared once, with bounds every reader enforces (hardening 1, 2)."""

from __future__ import annotations

import json
import math

import pytest

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.params import PARAMS, TaskParams
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.pipeline.backends import check_task_params
from ambientpose_desktop.store.settings import AppSettings


@pytest.mark.parametrize(("name", "value", "words"), [
    ("conf", 1.5, "0 to 1"), ("conf", math.nan, "0 to 1"), ("conf", "high", "a number"),
    ("imgsz", 5000, "32 to 4096"), ("imgsz", 64.5, "a whole number"),
    ("max_frames", 0, "1 to"), ("device", "gpu", "not valid"), ("overlay_video", "maybe", "true"),
])
def test_out_of_range_values_name_the_range(name, value, words):
    with pytest.raises(InputError) as caught:
        TaskParams(**{name: value}).checked()
    assert name in str(caught.value) and words in str(caught.value)


def test_values_are_converted_from_text():
    params = TaskParams(conf="0.5", imgsz="320", max_frames="7", overlay_video="yes").checked()
    assert (params.conf, params.imgsz, params.max_frames, params.overlay_video) == (
        0.5, 320, 7, True)


@pytest.mark.parametrize("options", [
    {"batch": -5}, {"iou": -1}, {"max_det": -1}, {"batch": 1e9}, {"batch": "many"},
])
def test_backend_options_have_bounds(options):
    with pytest.raises(InputError, match="embedded backend"):
        check_task_params(TaskParams(backend_options=options))


def test_a_batch_too_big_for_memory_at_this_size_is_refused():
    with pytest.raises(InputError, match="GB of memory"):
        check_task_params(TaskParams(imgsz=4096, backend_options={"batch": 64}))
    assert check_task_params(TaskParams(imgsz=640, backend_options={"batch": "8"})
                             ).backend_options == {"batch": 8}


def test_every_parameter_is_declared_with_its_default():
    assert set(PARAMS) == set(TaskParams.__dataclass_fields__) - {"backend_options"}
    for name, spec in PARAMS.items():
        assert getattr(TaskParams(), name) == spec.default
        assert spec.check(spec.default) == spec.default


def test_settings_written_before_params_were_nested_still_load():
    path = AppSettings.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"backend": "fake", "conf": 0.4, "imgsz": 960,
                                "backend_options": {"fake": {"delay_s": 0.1}},
                                "concurrency": 2}), encoding="utf-8")
    settings = AppSettings.load(app_paths())
    assert (settings.task.backend, settings.task.conf, settings.task.imgsz) == ("fake", 0.4, 960)
    assert settings.task_params().backend_options == {"delay_s": 0.1}
    assert settings.concurrency == 2


@pytest.mark.parametrize(("name", "value", "words"), [
    ("people", 0, "1 to 100"), ("people", 101, "1 to 100"), ("image_folder", "pile", "one of"),
])
def test_identity_options_have_bounds(name, value, words):
    with pytest.raises(InputError) as caught:
        TaskParams(**{name: value}).checked()
    assert words in str(caught.value)
    assert TaskParams(people=None, image_folder="stills").checked().people is None


def test_checkpoint_interval_is_a_parameter_with_bounds():
    assert TaskParams().checked().checkpoint_every == 500
    assert TaskParams(checkpoint_every="0").checked().checkpoint_every == 0  # off
    with pytest.raises(InputError) as caught:
        TaskParams(checkpoint_every=-1).checked(as_flags=True)
    assert "--checkpoint-every must be 0 to 10000000" in str(caught.value)
