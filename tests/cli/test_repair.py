"""`ambientpose repair VIDEO -o OUT.mp4` as a user runs it: the lost frames on stdout and in
the sidecar, one-line errors with exit code 2, the input and existing files left alone."""

from __future__ import annotations

import json
import subprocess
import sys

from ambientpose_desktop.cli import main
from tests.pipeline.worker_helpers import worker_env


def run_repair(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ambientpose_desktop", "repair",
                           *map(str, argv)], capture_output=True, text=True, timeout=120,
                          env=worker_env())


def test_damaged_video_lost_frames_in_output_and_sidecar(repair_clips, tmp_path):
    out = tmp_path / "saved.mp4"
    proc = run_repair(repair_clips["damaged"], "-o", out)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("salvage: ") and " of 205 frames written to " in lines[0]
    assert "lost: frames " in lines[0] and "chosen by the integrity check" in lines[1]
    assert lines[-1] == f"findings: {out}.repair.json"
    assert proc.stderr == ""  # no FFmpeg chatter, no bar when stderr is not a terminal
    sidecar = json.loads((tmp_path / "saved.mp4.repair.json").read_text())
    lost = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in sidecar["lost"])
    assert f"lost: frames {lost}" in lines[0]
    assert sidecar["frames_written"] + sidecar["lost_frames"] == sidecar["source_frames"] == 205

    again = run_repair(repair_clips["damaged"], "-o", out, "--mode", "salvage", "--json")
    assert again.returncode == 2 and "already exists (use --overwrite" in again.stderr
    assert "Traceback" not in again.stderr
    forced = run_repair(repair_clips["damaged"], "-o", out, "--mode", "salvage", "--json",
                        "--overwrite")
    assert forced.returncode == 0 and json.loads(forced.stdout)["lost"] == sidecar["lost"]


def test_unrepairable_and_refused_outputs_exit_2_in_one_line(media_variants, repair_clips,
                                                            tmp_path, capsys):
    source = repair_clips["long_gop"]
    before = source.read_bytes()
    cases = [([media_variants["index_missing"], "-o", tmp_path / "a.mp4"], "finalised"),
             ([media_variants["text"], "-o", tmp_path / "b.mp4"],
              "cannot be repaired: not a video"),
             ([source, "-o", source, "--overwrite"], "never overwrites its input"),
             ([source, "-o", tmp_path / "c.avi"], "name it *.mp4"),
             ([tmp_path / "absent.mp4", "-o", tmp_path / "d.mp4"], "does not exist")]
    for argv, words in cases:
        assert main(["repair", *map(str, argv)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and words in err and err.count("\n") == 1
    assert source.read_bytes() == before and list(tmp_path.iterdir()) == []


def test_a_video_with_nothing_wrong_is_left_as_it_is(media, tmp_path, capsys):
    assert main(["repair", str(media("videos/mmpose_demo.mp4")), "-o",
                 str(tmp_path / "x.mp4")]) == 0
    assert capsys.readouterr().out.startswith("nothing to repair: ")
    assert list(tmp_path.iterdir()) == []
