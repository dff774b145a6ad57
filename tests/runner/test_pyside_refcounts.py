"""PySide6 6.12.0 takes references to None and True that it does not own (see
runner.pyside_refcounts); many such calls must not bring either near zero."""

import sys

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt, Signal

from ambientpose_desktop.runner.pyside_refcounts import _RESERVE


class _Source(QObject):
    changed = Signal(str, int)


class _Model(QAbstractListModel):
    def rowCount(self, parent=QModelIndex()):  # noqa: B008 - Qt's signature
        return 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return None  # what a model answers for roles it does not serve


def test_singletons_have_a_reserve_that_bugs_cannot_use_up(qtbot):
    source, received, model = _Source(), [], _Model()
    source.changed.connect(lambda name, n: received.append(n))
    for n in range(20_000):
        source.changed.emit("x", n)  # returns True without owning it
        model.index(0, 0).data()  # the override's None loses a reference
    assert len(received) == 20_000
    for singleton in (None, True, False):
        assert sys.getrefcount(singleton) > _RESERVE // 2
