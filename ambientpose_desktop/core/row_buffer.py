"""Rows appended one frame at a time to one growing NumPy array (capacity doubled as needed).

The worker keeps every person of a run until the end (the re-linking pass needs them all):
as rows of a few arrays that is a few hundred bytes a person, where Python objects per person
or per frame would make its memory grow several times faster with the video's length.
"""

from __future__ import annotations

import numpy as np


class RowBuffer:
    """``extend`` with (n, *shape) rows; ``array()`` is a copy of the rows so far."""

    def __init__(self, shape: tuple[int, ...], dtype, capacity: int = 4096) -> None:
        self._data = np.zeros((capacity, *shape), dtype)
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def extend(self, rows: np.ndarray) -> None:
        n = len(rows)
        if self._rows + n > len(self._data):
            grown = np.zeros((max(self._rows + n, 2 * len(self._data)), *self._data.shape[1:]),
                             self._data.dtype)
            grown[: self._rows] = self._data[: self._rows]
            self._data = grown
        self._data[self._rows: self._rows + n] = rows
        self._rows += n

    def append(self, row) -> None:
        self.extend(np.asarray(row, self._data.dtype)[None])

    def array(self) -> np.ndarray:
        return self._data[: self._rows].copy()
