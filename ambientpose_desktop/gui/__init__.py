"""The PySide6 window. Depends on core, store and runner; nothing depends on it."""
