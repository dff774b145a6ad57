"""The export formats, their default file names and the install extra each needs, apart from
the writers so the CLI's ``--help`` and the window's start-up can list them without loading
NumPy, PyAV or the interchange libraries."""

EXPORT_FORMATS = ("alphapose", "coco", "csv", "slp", "analysis-h5", "nwb", "dlc",
                  "overlay-video", "frames-jpeg")
DEFAULT_NAMES = {"alphapose": "alphapose-results.json", "coco": "coco-results.json",
                 "csv": "poses.csv", "slp": "predictions.slp",
                 "analysis-h5": "predictions.analysis.h5", "nwb": "poses.nwb",
                 "dlc": "poses_dlc.h5",
                 "overlay-video": "overlay.mp4", "frames-jpeg": "frames"}
TITLES = {
    "alphapose": "Pose JSON (AlphaPose format)",
    "coco": "COCO keypoint results (JSON)",
    "csv": "CSV (one row per frame and person)",
    "slp": "SLEAP predictions (.slp)",
    "analysis-h5": "SLEAP analysis HDF5 (.analysis.h5)",
    "nwb": "NWB with ndx-pose (.nwb)",
    "dlc": "DeepLabCut multi-animal predictions (.h5, or .csv by the name)",
    "overlay-video": "Overlay video (MP4)",
    "frames-jpeg": "Frames and overlay JPEG folders",
}
# Formats written by libraries outside the base install: `pip install ambientpose-desktop[X]`.
EXTRA_OF = {"slp": "interchange", "analysis-h5": "interchange", "nwb": "interchange",
            "dlc": "interchange"}
