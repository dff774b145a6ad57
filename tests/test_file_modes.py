"""Results and exports follow the user's umask like any other program's files (a shared lab
workstation decides who reads them); only the API token is kept to its owner."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ambientpose_desktop.core.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from tests.pipeline.worker_helpers import worker_env

EXPORTS = {"alphapose": "export.json", "coco": "coco.json", "csv": "poses.csv",
           "overlay-video": "overlay.mp4", "frames-jpeg": "frames"}

# One process per umask: detect with every optional artefact, each export format, the token.
_SCRIPT = """
import json, os, sys
os.umask(int(sys.argv[1], 8))
from ambientpose_desktop.cli import main
video, out, exports = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
assert main(["detect", video, "-o", out, "--overlay-video", "--frames-jpeg",
             "--events", "jsonl"]) == 0
for fmt, target in exports.items():
    assert main(["export", out, "--format", fmt, "--output", target]) == 0, fmt
assert main(["token"]) == 0
"""


def modes(root: Path) -> dict[str, int]:
    """Permission bits of ``root`` and of everything under it, by path relative to ``root``."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def expected(path: Path, umask: int) -> int:
    return (0o777 if path.is_dir() else 0o666) & ~umask


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_artefacts_and_exports_follow_the_umask(media, tmp_path, ambientpose_home, umask):
    video = media("videos/mmpose_demo.mp4")
    out, exports = tmp_path / "run", tmp_path / "exports"
    exports.mkdir()
    targets = {fmt: str(exports / name) for fmt, name in EXPORTS.items()}
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, oct(umask), str(video), str(out), json.dumps(targets)],
        capture_output=True, text=True, timeout=300, env=worker_env())
    assert proc.returncode == 0, proc.stderr[-3000:]

    artefacts = modes(out)
    for name in ("pose.json", "summary.json", "pose.npz", "frames.npz", "events.jsonl",
                 "scrub.mp4", "overlay.mp4"):
        assert name in artefacts, f"detect wrote no {name}"
    assert any(name.startswith("frames_") for name in artefacts)
    wrong = {name: oct(mode) for name, mode in artefacts.items()
             if mode != expected(out / name, umask)}
    assert not wrong, f"not {oct(0o666 & ~umask)} (files) / {oct(0o777 & ~umask)} (folders)"

    for fmt, target in targets.items():
        for name, mode in modes(Path(target)).items():
            path = Path(target) / name
            assert mode == expected(path, umask), f"{fmt}: {path} is {oct(mode)}"

    token = next(ambientpose_home.rglob("api_token"))
    assert stat.S_IMODE(token.stat().st_mode) == 0o600


def test_secrets_are_never_readable_by_others(tmp_path):
    """A ``mode=0o600`` write is 0600 from its first byte, where the umask allows more."""
    old = os.umask(0o002)
    try:
        final = tmp_path / "secret"
        with atomic_path(final, mode=0o600) as tmp:
            during = stat.S_IMODE(tmp.stat().st_mode)
            tmp.write_text("s3cret")
        atomic_write_text(tmp_path / "notes.txt", "a")
        atomic_write_bytes(tmp_path / "data.bin", b"b", mode=0o640)
    finally:
        os.umask(old)
    assert during == 0o600 and stat.S_IMODE(final.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "notes.txt").stat().st_mode) == 0o664
    assert stat.S_IMODE((tmp_path / "data.bin").stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "notes.txt", "secret"]
