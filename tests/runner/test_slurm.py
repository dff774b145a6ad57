"""SLURM through dask-jobqueue: the job script a config gives (it cannot be submitted here),
the config's checks, and what the runner says where sbatch is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.slurm import SlurmConfig, job_script, start_cluster
from ambientpose_desktop.store.settings import AppSettings
from tests.conftest import media_path
from tests.pipeline.worker_helpers import worker_env
from tests.polling import wait_for
from tests.runner.async_driver import AsyncDriver, Recorder

pytest.importorskip("dask_jobqueue")

LAB = """
partition = "gpu"
account = "pose-lab"
jobs = 3
cores = 8
memory = "32GB"
gpus = 2
walltime = "08:00:00"
python = "/shared/envs/ambientpose/bin/python"
setup = ["module load cuda/12.4"]
job_directives = ["--constraint=a100"]
"""


def _config(text: str) -> None:
    path = SlurmConfig.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _directives(script: str) -> list[str]:
    return [line.removeprefix("#SBATCH ") for line in script.splitlines()
            if line.startswith("#SBATCH ")]


def test_the_job_script_of_a_lab_config():
    _config(LAB)
    script = job_script()
    directives = _directives(script)
    for wanted in ("-J ambientpose", "-p gpu", "-A pose-lab", "--cpus-per-task=8",
                   "-t 08:00:00", "--gres=gpu:2", "--constraint=a100"):
        assert wanted in directives, script
    assert any(d.startswith("--mem=") for d in directives)
    logs = app_paths().logs / "slurm"
    assert f"-o {logs}/ambientpose-%J.out" in directives
    lines = script.strip().splitlines()
    assert "module load cuda/12.4" in lines
    worker = lines[-1]
    assert worker.startswith("/shared/envs/ambientpose/bin/python -m distributed.cli.dask_worker")
    assert "--nthreads 2" in worker and "--resources GPU=2" in worker  # one task per GPU
    assert lines.index("module load cuda/12.4") < len(lines) - 1


def test_the_defaults_one_cpu_task_per_job():
    script = job_script()
    directives = _directives(script)
    assert "--cpus-per-task=4" in directives and "-t 04:00:00" in directives
    assert not any(d.startswith(("--gres", "-p ", "-A ")) for d in directives)
    worker = script.strip().splitlines()[-1]
    assert worker.startswith(f"{sys.executable} -m distributed.cli.dask_worker")
    assert "--nthreads 1" in worker and "--resources" not in worker
    assert SlurmConfig.load() == SlurmConfig()


def test_the_script_renders_off_the_main_thread_and_leaves_ctrl_c_alone():
    """The window and serve prepare it on a thread; dask-jobqueue 0.9.0 would set a SIGINT
    handler on import (a fresh process: the import happens once)."""
    code = ("import signal, threading\n"
            "from ambientpose_desktop.runner.slurm import job_script\n"
            "before = signal.getsignal(signal.SIGINT)\n"
            "out = []\n"
            "thread = threading.Thread(target=lambda: out.append(job_script()))\n"
            "thread.start(); thread.join()\n"
            "assert out and '#SBATCH -J ambientpose' in out[0], out\n"
            "assert signal.getsignal(signal.SIGINT) is before\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=worker_env())
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize(("text", "words"), [
    ("partion = 'gpu'", "unknown key 'partion'"),
    ("gpus = '2'", "gpus must be a whole number"),
    ("jobs = 0", "jobs must be at least 1"),
    ("setup = 'module load cuda'", "setup must be a list of text"),
    ("cores = true", "cores must be a whole number"),
    ("partition = ", "is not valid TOML"),
])
def test_a_bad_config_names_the_file_and_the_problem(text, words):
    _config(text)
    with pytest.raises(InputError) as raised:
        SlurmConfig.load()
    assert str(raised.value).startswith(str(SlurmConfig.path())) and words in str(raised.value)


@pytest.mark.skipif(shutil.which("sbatch") is not None, reason="SLURM is installed here")
def test_without_sbatch_the_tasks_stay_queued_and_the_runner_says_why(store):
    with pytest.raises(OSError, match="sbatch was not found"):
        start_cluster()
    repo, _ = store
    task = repo.create(media_path("videos/mmpose_demo.mp4"), TaskParams(backend="fake"))
    recorder = Recorder()
    driver = AsyncDriver(store, AppSettings(executor="slurm"), recorder)
    try:
        wait_for(lambda: recorder.statuses, what="a word from the runner")
    finally:
        driver.stop()
    message, ok = recorder.statuses[0]
    assert not ok and message.startswith("cannot reach the SLURM cluster (dask-jobqueue): "
                                         "sbatch was not found")
    assert repo.get(task.id).status == TaskStatus.PENDING
