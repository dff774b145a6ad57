"""`ambientpose check-alphapose`: is the AlphaPose setup usable, and do we match AlphaPose?

Without a video it runs every availability check in the interpreter the worker will use.
With ``--video`` it also runs AlphaPose's own ``scripts/demo_inference.py`` and our backend on
that video, compares the two result files (people per frame, keypoints within 1 px, scores
within 1e-3) and times both. With one of AlphaPose's detectors both sides run it on the
video; with ours (``detector=embedded``, the default) the demo reads our model's boxes from a
detection file over the video's frames saved as images (``alphapose_detfile.py``), and ours
runs on those images: the same boxes on both sides, no detector weights needed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ambientpose_desktop.core.params import TaskParams
    from ambientpose_desktop.pipeline.backends.alphapose_setup import AlphaPoseSetup


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ambientpose_desktop.cli.detect import parse_option

    p = sub.add_parser("check-alphapose", help="check the AlphaPose setup and compare with it",
                       description=__doc__.splitlines()[0])
    p.add_argument("--video", type=Path, help="also run AlphaPose's demo and ours on this video")
    p.add_argument("--opt", action="append", type=parse_option, default=[], metavar="KEY=VALUE",
                   help="alphapose backend option (default: those saved in Settings)")
    p.add_argument("--python", default=None, metavar="PATH",
                   help="the worker Python (default: Settings > Worker Python, else this one)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda:N (default: auto)")
    p.add_argument("--output", "-o", type=Path, metavar="DIR",
                   help="where both runs write (default: a temporary folder)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ambientpose_desktop.store.settings import AppSettings

    settings = AppSettings.load()
    options = {**settings.backend_options.get("alphapose", {}), **dict(args.opt)}
    python = settings.worker_python if args.python is None else args.python
    if python and Path(python).absolute() != Path(sys.executable).absolute():
        return _run_in(python, args, options)
    return _check_here(args, options)


def _run_in(python: str, args: argparse.Namespace, options: dict[str, str]) -> int:
    """Run this check in the worker's interpreter, where AlphaPose must import."""
    from ambientpose_desktop.runner.command import worker_environment, worker_program

    argv = ["check-alphapose", "--python", "", "--device", args.device]
    for key, value in options.items():
        argv += ["--opt", f"{key}={value}"]
    if args.video:
        argv += ["--video", str(args.video)]
    if args.output:
        argv += ["--output", str(args.output)]
    try:
        return subprocess.call(worker_program(python) + argv, env=worker_environment())
    except OSError as exc:
        print(f"error: cannot start the worker Python {python}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1


def _check_here(args: argparse.Namespace, options: dict[str, str]) -> int:
    from ambientpose_desktop.pipeline.backends import BackendConfig
    from ambientpose_desktop.pipeline.backends.alphapose import AlphaPoseBackend
    from ambientpose_desktop.pipeline.backends.alphapose_setup import OUR_DETECTOR

    backend = AlphaPoseBackend(BackendConfig(device=args.device, options=options))
    findings = backend.findings()
    for finding in findings:
        print(f"{finding.level}: {finding.message}")
    if any(f.level == "error" for f in findings):
        return 1
    setup = backend.setup
    print(f"ok: AlphaPose at {setup.home} imports in {sys.executable}; "
          f"config {setup.config.name}, checkpoint {setup.checkpoint.name}")
    if args.video is None:
        return 0
    from ambientpose_desktop.core.params import TaskParams

    out = args.output or Path(tempfile.mkdtemp(prefix="alphapose-check-"))
    params = TaskParams(backend="alphapose", device=args.device, backend_options=options)
    source, demo_input = args.video, ["--video", str(args.video.absolute())]
    if setup.detector == OUR_DETECTOR:
        from ambientpose_desktop.pipeline.backends.alphapose import device_name
        from ambientpose_desktop.pipeline.backends.alphapose_detectors import boxes_device
        from ambientpose_desktop.pipeline.backends.alphapose_detfile import write_detection_file

        print("saving the frames and our model's boxes for AlphaPose's demo ...", flush=True)
        source = out / "frames"
        detections = write_detection_file(args.video, source, BackendConfig(
            device=boxes_device(device_name(args.device)), conf=params.conf,
            imgsz=params.imgsz))
        demo_input = ["--detfile", str(detections)]
    theirs_s = _alphapose_demo(setup, demo_input, out / "alphapose", args.device)
    ours_s = _ours(params, source, out / "ours") if theirs_s else None
    if theirs_s is None or ours_s is None:
        return 1
    return _report(out, theirs_s, ours_s)


def _alphapose_demo(setup: AlphaPoseSetup, demo_input: list[str], out: Path,
                    device: str) -> float | None:
    """Seconds AlphaPose's own demo took on ``demo_input`` (its ``--video`` or ``--detfile``
    argument), or None if it failed."""
    gpus = "-1" if device == "cpu" else device.removeprefix("cuda:").replace("auto", "0")
    cmd = [sys.executable, "scripts/demo_inference.py", "--cfg", str(setup.config),
           "--checkpoint", str(setup.checkpoint), *demo_input,
           "--outdir", str(out), "--detector", setup.detector, "--sp", "--gpus", gpus,
           "--detbatch", str(setup.det_batch), "--posebatch", str(setup.pose_batch)]
    if setup.flip:
        cmd.append("--flip")
    if setup.uses_alphapose_tracker:
        cmd.append("--pose_track")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(setup.home), env.get("PYTHONPATH")]))
    return _timed("AlphaPose's demo_inference.py", cmd, out, cwd=setup.home, env=env)


def _ours(params: TaskParams, source: Path, out: Path) -> float | None:
    """Seconds our worker took on ``source`` (the video, or the folder of its frames)."""
    from ambientpose_desktop.runner.command import (
        detect_arguments,
        worker_environment,
        worker_program,
    )

    cmd = worker_program(sys.executable) + detect_arguments("check", source, out, params)
    return _timed("ambientpose detect", cmd, out, env=worker_environment())


def _timed(label: str, cmd: list[str], out: Path, **kwargs) -> float | None:
    out.mkdir(parents=True, exist_ok=True)
    print(f"running {label} ...", flush=True)
    start = time.perf_counter()
    with open(out / "log.txt", "w", encoding="utf-8") as log:
        code = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, **kwargs)
    seconds = time.perf_counter() - start
    if code != 0:
        print(f"error: {label} failed (exit {code}); its output is in {out / 'log.txt'}",
              file=sys.stderr)
        return None
    return seconds


def _report(out: Path, theirs_s: float, ours_s: float) -> int:
    from ambientpose_desktop.core.agreement import compare
    from ambientpose_desktop.core.task_folder import TaskFolder

    theirs = json.loads((out / "alphapose" / "alphapose-results.json").read_text("utf-8"))
    ours_folder = TaskFolder(out / "ours")
    ours = json.loads(ours_folder.pose_json.read_text("utf-8"))
    summary = json.loads(ours_folder.summary.read_text("utf-8"))
    agreement = compare(ours, theirs)
    frames = summary["frames_processed"]
    print(agreement.report())
    print(f"AlphaPose demo: {theirs_s:.1f} s; ours: {ours_s:.1f} s for {frames} frames "
          f"(model {summary['timings'].get('infer_s', 0):.1f} s, "
          f"{summary['timings'].get('model_fps', 0):.2f} frames/s); results in {out}")
    return 0 if agreement.ok else 1
