"""NWB (Neurodata Without Borders) with the ndx-pose extension, written by pynwb and ndx-pose.

The layout, chosen so that each NWB reader of poses opens it:

- one file; processing module ``behavior`` (NWB's name for it, movement's default);
- ``Skeletons`` with one ``Skeleton`` named after the keypoint format (nodes and edges);
- one ``PoseEstimation`` per identity, named ``person_<idx>`` (``core/identities.py``), as
  movement names each individual's when it writes several; inside, one
  ``PoseEstimationSeries`` per keypoint, (frames, 2) x, y in pixels with its confidence;
- every series spans every frame of the results, NaN where the person is absent, on the
  frames' real timestamps (``Summary.frame_times``): a constant rate is written as
  ``starting_time`` and ``rate`` (exact, as NWB prefers), a variable one as ``timestamps``
  (written once, with the video, and linked by every series), so identities line up frame
  for frame in any reader;
- a ``Subject`` (Homo sapiens, sex "U": unknown) standing for the people filmed; its age,
  which DANDI asks for and only the lab knows, is left for the lab to add;
- the video as an external ``ImageSeries`` ``source_video`` in ``acquisition`` (its path
  from the NWB file's folder, as NWB asks; width and height; the same clock), linked from
  each ``PoseEstimation`` as ndx-pose 0.4 asks (its ``original_videos`` and ``dimensions``
  are deprecated), a ``camera`` device, the
  backend as ``scorer`` and AmbientPose as ``source_software``; series are gzip-compressed,
  which makes the NaN stretches of short tracks almost free.

Readers: pynwb with ndx-pose, movement (``load_poses.from_nwb_file(path,
pose_estimation_key="person_3")``, one identity at a time as movement reads NWB), nwbinspector
(no errors). sleap-io's NWB reader is not one: it reads only the layout sleap-io writes (a
module per video named ``SLEAP_VIDEO_…``); use the ``slp`` export for SLEAP. We do not use
sleap-io's NWB writer for that reason and because it rounds a uniform frame rate down to a
whole number (29.97 fps becomes 29) and drops absent frames per keypoint, which movement's
reader then misplaces in time. ``session_start_time`` is the source file's modification time
(the closest record of when it was filmed), in UTC.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons
from pynwb import NWBHDF5IO, H5DataIO, NWBFile
from pynwb.file import Subject
from pynwb.image import ImageSeries

from ambientpose_desktop import __version__
from ambientpose_desktop.core.atomic import atomic_path
from ambientpose_desktop.core.identities import identity_arrays
from ambientpose_desktop.core.keypoints import get_format
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export import ExportRun

REFERENCE_FRAME = ("pixels of the source frame: (0, 0) is the top-left corner, x to the right, "
                   "y down")


def write_nwb(table: PoseTable, summary: Summary, run: ExportRun) -> None:
    fmt = get_format(summary.keypoint_format)
    names = list(fmt.names[: table.num_keypoints])
    source = Path(summary.source.path)
    arrays = identity_arrays(table)
    nwb = NWBFile(session_description=f"Poses in {source.name}, estimated by AmbientPose "
                                      f"({summary.backend})",
                  identifier=uuid.uuid4().hex, session_start_time=_start_time(source),
                  subject=Subject(subject_id=f"people in {source.name}", species="Homo sapiens",
                                  sex="U",
                                  description="the people filmed: each PoseEstimation is one"))
    camera = nwb.create_device(name="camera", description=f"the camera of {source.name}")
    behavior = nwb.create_processing_module(name="behavior",
                                            description="poses estimated from the video")
    edges = np.asarray([e for e in fmt.skeleton if max(e) < len(names)], np.uint8).reshape(-1, 2)
    skeleton = Skeleton(name=fmt.name, nodes=names, edges=edges)
    behavior.add(Skeletons(skeletons=[skeleton]))
    clock = _clock(np.asarray(summary.frame_times(table.num_frames), np.float64))
    video = ImageSeries(name="source_video", description="the video the poses are of",
                        external_file=[_relative(source, run.output)], format="external",
                        starting_frame=[0],
                        dimension=[summary.source.width, summary.source.height],
                        num_samples=table.num_frames, device=camera, **clock)
    nwb.add_acquisition(video)
    clock = {"timestamps": video} if "timestamps" in clock else clock
    for column, name in enumerate(arrays.names):
        run.check()
        series = []
        for k, node in enumerate(names):
            one = PoseEstimationSeries(
                name=node, data=_compressed(arrays.keypoints[:, column, k, :2]),
                confidence=_compressed(arrays.keypoints[:, column, k, 2]),
                confidence_definition="the pose model's score of the keypoint, 0 to 1",
                unit="pixels", reference_frame=REFERENCE_FRAME, description=f"{node} of {name}",
                **clock)
            series.append(one)
        behavior.add(PoseEstimation(
            name=name, pose_estimation_series=series, skeleton=skeleton, device=camera,
            description=f"{name} in {source.name}", source_video=video,
            scorer=summary.backend, source_software="AmbientPose",
            source_software_version=__version__))
        run.progress(column + 1, len(arrays.names))
    with atomic_path(run.output, suffix=".part.nwb") as tmp, NWBHDF5IO(str(tmp), "w") as io:
        io.write(nwb)
    run.progress(1, 1)


def _clock(times: np.ndarray) -> dict:
    """``rate`` and ``starting_time`` for a constant frame rate (to the microsecond the
    timestamps are kept at), else the ``timestamps`` themselves."""
    steps = np.diff(times)
    if steps.size and np.abs(steps - steps.mean()).max() < 2e-6:
        return {"rate": float(1.0 / steps.mean()), "starting_time": float(times[0])}
    return {"timestamps": times}


def _relative(source: Path, output: Path) -> str:
    """The video's path from the NWB file's folder, as NWB asks for external files (absolute
    where there is none, e.g. another drive)."""
    try:
        return os.path.relpath(source.resolve(), output.parent.resolve())
    except ValueError:
        return str(source.resolve())


def _compressed(values: np.ndarray) -> H5DataIO:
    return H5DataIO(np.ascontiguousarray(values, np.float32), compression="gzip")


def _start_time(source: Path) -> datetime:
    try:
        return datetime.fromtimestamp(source.stat().st_mtime, UTC)
    except OSError:  # the source is gone: the time of the export is all we know
        return datetime.now(UTC)
