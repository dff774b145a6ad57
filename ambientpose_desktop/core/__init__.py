"""Plain-Python heart of AmbientPose: pose data, keypoint formats, JSON formats, events, task
states. Nothing here imports Qt, FastAPI, SQL or a model runtime, so every layer can use it."""
