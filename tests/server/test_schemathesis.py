"""Property-based fuzzing of the whole API from its own OpenAPI schema: no input, however odd,
makes the server answer 5xx. Runs the schemathesis CLI against a real server with a real task
(so id-based operations reach the code behind the 404s)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import sse_events, upload


def schemathesis_cli() -> str:
    found = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    if not Path(found).exists():
        pytest.skip("schemathesis is not installed (it is in the dev extra)")
    return found


def test_no_input_makes_the_server_fail(served, media, tmp_path):
    st = schemathesis_cli()
    api = served()
    with api.client() as client:
        task_id = upload(client, media("videos/mmpose_demo.mp4")).json()["id"]
        assert sse_events(client, task_id)[-1]["event"] == "finished"
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\ntask_id = "{task_id}"\n')
    proc = subprocess.run(
        [st, "--config-file", str(config), "run", f"{api.url}/openapi.json",
         "-H", f"Authorization: Bearer {api.token}", "--checks", "not_a_server_error",
         "--max-examples", "25", "--seed", "20261125", "--workers", "1",
         "--generation-database", "none", "--request-timeout", "20", "--no-color"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    summary = proc.stdout[-3000:]
    print(summary)
    assert proc.returncode == 0, summary + proc.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary.split("SUMMARY")[-1]
