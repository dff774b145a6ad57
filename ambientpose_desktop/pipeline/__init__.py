"""Video I/O, pose backends, tracking and the worker that ties them together."""
