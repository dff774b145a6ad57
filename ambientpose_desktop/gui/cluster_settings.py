"""Settings → Run tasks on: this computer, a Dask cluster at an address, or SLURM.

"Test connection" lists a Dask scheduler's workers (threads, cores, memory, GPUs), or shows
the SLURM config file and the job script each SLURM job would run; off the GUI thread, since
it connects over the network (or starts a scheduler to render the script).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ambientpose_desktop.gui.widgets import with_button

EXECUTORS = (("This computer", "local"), ("Dask cluster", "dask"),
             ("SLURM cluster (dask-jobqueue)", "slurm"))


def cluster_report(executor: str, address: str) -> str:
    """What "Test connection" shows; ``OSError`` (or ``InputError``) says why it failed."""
    if executor == "slurm":
        from ambientpose_desktop.runner.slurm import SlurmConfig, job_script

        path = SlurmConfig.path()
        note = "" if path.exists() else " (not there yet: the defaults apply)"
        return f"Config: {path}{note}\nEach SLURM job runs:\n\n{job_script().strip()}"
    from ambientpose_desktop.runner.dask_runner import describe_cluster

    workers = describe_cluster(address)
    if not workers:
        return "Connected; the scheduler has no workers yet."
    return (f"✔ {len(workers)} worker{'s' if len(workers) != 1 else ''}:\n"
            + "\n".join(worker.describe() for worker in workers))


# The most frames a chunk may have (about an hour at 30 fps): beyond that a lost worker costs
# too much again.
MAX_CHUNK_FRAMES = 108_000


class ExecutorFields(QGroupBox):
    """Where workers run; ``values()`` gives the two settings fields, ``chunk_frames`` how
    long videos are split on a cluster."""

    tested = Signal()

    def __init__(self, executor: str, address: str, parent: QWidget | None = None, *,
                 chunk_frames: int) -> None:
        super().__init__("Run tasks on", parent)
        self.executor = QComboBox()
        for title, name in EXECUTORS:
            self.executor.addItem(title, name)
        self.executor.setCurrentIndex(max(0, self.executor.findData(executor)))
        self.address = QLineEdit(address)
        self.address.setPlaceholderText("tcp://scheduler-host:8786")
        self.address.setToolTip("The Dask scheduler's address; its workers must see this "
                                "computer's files at the same paths (a shared filesystem)")
        self.chunk_frames = QSpinBox()
        self.chunk_frames.setRange(0, MAX_CHUNK_FRAMES)
        self.chunk_frames.setSingleStep(1000)
        self.chunk_frames.setSuffix(" frames")
        self.chunk_frames.setSpecialValueText("never (each video on one worker)")
        self.chunk_frames.setValue(chunk_frames)
        self.chunk_frames.setToolTip(
            "A longer video runs in chunks of this many frames on several workers; the "
            "identities are joined across the chunks afterwards, as one run would give them")
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        # Worker lists and job scripts run long: a read-only box that scrolls, not a label.
        self.report = QPlainTextEdit(readOnly=True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report.setFixedHeight(self.report.fontMetrics().lineSpacing() * 9)
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.report.setVisible(False)
        form = QFormLayout(self)
        form.addRow("Where", with_button(self.executor, self.test_button))
        form.addRow("Scheduler address", self.address)
        form.addRow("Split videos into chunks of", self.chunk_frames)
        form.addRow(self.report)
        self.executor.currentIndexChanged.connect(self._sync)
        self._sync()

    def values(self) -> tuple[str, str]:
        return self.executor.currentData(), self.address.text().strip()

    def problem(self) -> str:
        """Why these values cannot be saved, or ``""``."""
        executor, address = self.values()
        return "Enter the Dask scheduler's address" if executor == "dask" and not address else ""

    def _sync(self) -> None:
        executor = self.executor.currentData()
        self.address.setEnabled(executor == "dask")
        self.chunk_frames.setEnabled(executor != "local")
        self.test_button.setEnabled(executor != "local")
        self.report.clear()
        self.report.setVisible(False)

    def test_connection(self) -> None:
        from superqt.utils import create_worker

        executor, address = self.values()
        self._show("Connecting…" if executor == "dask" else "Preparing the job script…",
                   done=False)
        self.test_button.setEnabled(False)
        # Connected at creation (which starts it): an error goes to the dialog, not the
        # console; kept until it reports.
        self._worker = create_worker(cluster_report, executor, address, _connect={
            "returned": self._show, "errored": lambda exc: self._show(f"✖ {exc}")})

    def _show(self, text: str, done: bool = True) -> None:
        self.report.setPlainText(text)
        self.report.setVisible(True)
        if done:
            self.test_button.setEnabled(self.executor.currentData() != "local")
            self.tested.emit()
