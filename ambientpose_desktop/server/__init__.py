"""The FastAPI server for headless remote submission, sharing the window's store and runner."""
