"""The export formats and their default file names, apart from the writers so the CLI's
``--help`` and the window's start-up can list them without loading NumPy or PyAV."""

EXPORT_FORMATS = ("alphapose", "coco", "csv", "overlay-video", "frames-jpeg")
DEFAULT_NAMES = {"alphapose": "alphapose-results.json", "coco": "coco-results.json",
                 "csv": "poses.csv", "overlay-video": "overlay.mp4", "frames-jpeg": "frames"}
