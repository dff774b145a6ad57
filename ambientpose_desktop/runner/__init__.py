"""Runs tasks from the database in worker processes: one policy (``execution``), one launch
recipe (``command``), and an adapter per event loop (Qt for the window, asyncio for serve)."""
