"""`ambientpose tracks`: lists identities and edits them in the task's edit file."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ambientpose_desktop.cli import main
from ambientpose_desktop.core import edits
from ambientpose_desktop.core.layers import Layer, load_layer, open_edits
from ambientpose_desktop.core.summary import Summary
from tests.conftest import folder_digest
from tests.core.edit_reference import replay, same, to_frames
from tests.pipeline.worker_helpers import worker_env


def tracks(capsys, *args) -> tuple[int, str, str]:
    code = main(["tracks", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def listed(out: str) -> dict[int, list[str]]:
    """The rows of the identity list by id."""
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("#")]
    return {int(r[0][1:]): r[1:] for r in rows}


def summary(folder):
    return Summary.read(folder / "summary.json")


def test_lists_identities_as_the_results_have_them(task_copy, capsys):
    code, out, _ = tracks(capsys, task_copy)
    assert code == 0
    linked = load_layer(task_copy, summary(task_copy), Layer.LINKED)
    ids = sorted({int(i) for i in linked.idx})
    rows = listed(out)
    assert sorted(rows) == ids
    frame_of = linked.frame_of_row()
    for identity, (first, last, count, score) in rows.items():
        mine = linked.idx == identity
        assert (int(first), int(last)) == (frame_of[mine][0], frame_of[mine][-1])
        assert int(count) == mine.sum()
        assert float(score) == pytest.approx(linked.scores[mine].mean(), abs=5e-4)


def test_every_edit_lands_in_the_edit_file_and_the_results_stay(task_copy, capsys):
    before = folder_digest(task_copy)
    linked = load_layer(task_copy, summary(task_copy), Layer.LINKED)
    rows = listed(tracks(capsys, task_copy)[1])
    a, b, c = sorted(rows, key=lambda i: -int(rows[i][2]))[:3]  # the three longest
    short = min(rows, key=lambda i: int(rows[i][2]))
    steps = [
        (("--swap", a, b, "--from", 10, "--to", 20), edits.Swap(a, b, 10, 20)),
        (("--swap", a, b, "--from", 40), edits.Swap(a, b, 40)),
        (("--split", c, "--at", 30), edits.Split(c, 30, max(rows) + 1)),
        (("--delete", b, "--frames", "5:8"), edits.DeleteIdentity(b, 5, 8)),
        (("--delete", short), edits.DeleteIdentity(short)),
        (("--rename", a, "child A"), edits.Rename(a, "child A")),
    ]
    done = []
    for args, op in steps:
        code, out, err = tracks(capsys, task_copy, *args)
        assert code == 0, err
        done.append(op)
        assert out.startswith(f"done: {op.describe()}")
        assert open_edits(task_copy, summary(task_copy)).ops == done
    assert listed(out)[a][0] == "child"
    edited = load_layer(task_copy, summary(task_copy))  # the default is now the edited layer
    assert same(edited, replay(to_frames(linked), done))
    assert tracks(capsys, task_copy, "--undo")[1].startswith(f"undone: {done[-1].describe()}")
    assert tracks(capsys, task_copy, "--revert")[1].startswith("reverted 5 edits")
    assert same(load_layer(task_copy, summary(task_copy)), to_frames(linked))
    assert folder_digest(task_copy, leave_out=("edits.json",)) == before


def test_merge(task_copy, capsys):
    linked = load_layer(task_copy, summary(task_copy), Layer.LINKED)
    frame_of = linked.frame_of_row()
    spans = {int(i): set(frame_of[linked.idx == i].tolist()) for i in set(linked.idx.tolist())}
    source, into = next((s, t) for s in spans for t in spans
                        if s != t and not spans[s] & spans[t])
    code, out, _ = tracks(capsys, task_copy, "--merge", source, into)
    assert code == 0 and source not in listed(out)
    assert int(listed(out)[into][2]) == len(spans[source]) + len(spans[into])


@pytest.mark.parametrize("args, why", [
    (("--merge", 1, 1), "cannot be merged into itself"),
    (("--merge", 1, 999), "there is no #999"),
    (("--swap", 1, 2), "--swap needs --from F"),
    (("--swap", 1, 2, "--from", 500), "frame 500 is outside the results (0–59)"),
    (("--split", 1), "--split needs --at F"),
    (("--split", 1, "--at", 0), "would leave nothing on one side"),
    (("--delete", 1, "--frames", "9"), "write it as F:G"),
    (("--delete", 1, "--frames", "9:3"), "the first comes after the last"),
    (("--at", 3), "--at goes with --split"),
    (("--rename", "x", "y"), "the id is a number"),
    (("--undo",), "there is no edit to undo"),
    (("--revert",), "there are no edits to revert"),
])
def test_bad_ids_and_frames_say_why_in_one_line(task_copy, capsys, args, why):
    code, out, err = tracks(capsys, task_copy, *args)
    assert code == 2 and err.strip() == f"error: {err.strip()[7:]}" and why in err
    assert len(err.strip().splitlines()) == 1
    assert not (task_copy / "edits.json").exists()


def test_a_task_id_works_and_errors_never_show_a_traceback(task_copy, store):
    repo, _ = store
    task = repo.create(summary(task_copy).source.path)
    repo.set_worker(task.id, None, output_dir=str(task_copy))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "ambientpose_desktop", "tracks", *args],
                              capture_output=True, text=True, timeout=120, env=worker_env())

    by_id = run(task.id, "--rename", "1", "left")
    assert by_id.returncode == 0, by_id.stderr
    assert open_edits(task_copy, summary(task_copy)).ops == [edits.Rename(1, "left")]
    bad = run(str(task_copy), "--merge", "1", "999")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert run("0123abcd").returncode == 2
