import json

from ambientpose_desktop.core.events import (
    Canceled,
    Failed,
    Finished,
    Log,
    Progress,
    Started,
    parse_event,
)


def test_round_trip_every_event():
    events = [
        Started(task="abc", total_frames=5, fps=5.0, backend="embedded", device="cpu"),
        Progress(frame=3, total_frames=5, fps=12.5, eta_s=0.2),
        Log(level="INFO", message="héllo"),
        Finished(frames=5, persons=7, elapsed_s=1.5, outputs=["pose.json"]),
        Failed(error="bad"),
        Canceled(frames=2),
    ]
    for event in events:
        line = event.to_json()
        assert json.loads(line)["event"] == event.name
        assert parse_event(line) == event


def test_noise_and_unknown_events_are_ignored():
    assert parse_event("") is None
    assert parse_event("Traceback (most recent call last):") is None
    assert parse_event('{"event": "telemetry", "x": 1}') is None
    assert parse_event("[1, 2]") is None
    assert parse_event('{"event": "progress"}') is None  # missing fields


def test_extra_fields_are_tolerated():
    event = parse_event('{"event":"failed","error":"x","hint":"new field"}')
    assert event == Failed(error="x")
