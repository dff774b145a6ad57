"""`ambientpose tracks`: a task's identities, and the viewer's identity edits from the terminal.

The edits are the viewer's own operations (``core.edits``), applied by the same
``EditSession`` to the same edit file, so either sees what the other did.
"""

from __future__ import annotations

import argparse

from ambientpose_desktop.cli.database import add_recover_flag


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tracks", help="list a task's identities, or fix them (merge, swap, split, ...)",
        description="List the identities (tracks) of a task's results, or edit them as the "
                    "viewer does. Edits go to the task's edit file; the results themselves "
                    "are never rewritten. Frames count from 0, as in the viewer.")
    p.add_argument("task", metavar="TASK",
                   help="task id (see `ambientpose tasks`), task folder, or the --output "
                        "folder of `ambientpose detect`")
    edit = p.add_mutually_exclusive_group()
    edit.add_argument("--merge", nargs=2, type=int, metavar=("B", "A"),
                      help="identity B becomes A (they must never be in the same frame)")
    edit.add_argument("--swap", nargs=2, type=int, metavar=("A", "B"),
                      help="A and B trade places from --from (to --to, or to the end)")
    edit.add_argument("--split", type=int, metavar="A",
                      help="from --at on, A's detections get a new id")
    edit.add_argument("--delete", type=int, metavar="A",
                      help="delete identity A, or only its detections in --frames F:G")
    edit.add_argument("--rename", nargs=2, metavar=("A", "NAME"),
                      help="name identity A ('' takes the name away)")
    edit.add_argument("--undo", action="store_true", help="take back the last edit")
    edit.add_argument("--revert", action="store_true",
                      help="take back every edit (the edit file keeps them as history)")
    p.add_argument("--from", dest="first", type=int, metavar="F", help="first frame of --swap")
    p.add_argument("--to", dest="last", type=int, metavar="G",
                   help="last frame of --swap (default: the end)")
    p.add_argument("--at", type=int, metavar="F", help="frame where --split starts the new id")
    p.add_argument("--frames", metavar="F:G", help="frames of --delete, both included")
    add_recover_flag(p)
    p.set_defaults(func=_run_tracks)


def frame_range(text: str) -> tuple[int, int]:
    """``F:G`` as two frame numbers; ``InputError`` in one line otherwise."""
    from ambientpose_desktop.core.errors import InputError

    first, sep, last = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(first), int(last)
    except ValueError:
        raise InputError(f"--frames {text!r}: write it as F:G, e.g. 100:250") from None


def _operation(args: argparse.Namespace, session):
    """The operation the arguments ask for (None: only list), checked for what goes with it."""
    from ambientpose_desktop.core import edits
    from ambientpose_desktop.core.errors import InputError

    given = {"--from": args.first, "--to": args.last, "--at": args.at, "--frames": args.frames}
    goes_with = {"--from": "--swap", "--to": "--swap", "--at": "--split", "--frames": "--delete"}
    asked = {"--swap": bool(args.swap), "--split": args.split is not None,
             "--delete": args.delete is not None}
    for name, value in given.items():
        if value is not None and not asked[goes_with[name]]:
            raise InputError(f"{name} goes with {goes_with[name]}")
    if args.merge:
        return edits.Merge(source=args.merge[0], into=args.merge[1])
    if args.swap:
        if args.first is None:
            raise InputError("--swap needs --from F (the first frame to swap)")
        return edits.Swap(*args.swap, first=args.first, last=args.last)
    if args.split is not None:
        if args.at is None:
            raise InputError("--split needs --at F (the first frame of the new id)")
        return session.split_op(args.split, args.at)
    if args.delete is not None:
        first, last = frame_range(args.frames) if args.frames else (None, None)
        return edits.DeleteIdentity(args.delete, first, last)
    if args.rename:
        try:
            identity = int(args.rename[0])
        except ValueError:
            raise InputError(f"--rename {args.rename[0]!r}: the id is a number") from None
        return edits.Rename(identity, args.rename[1])
    return None


def print_identities(table) -> None:
    ids = table.identities()
    if not ids:
        print("no identities")
        return
    width = max(4, *(len(table.name(i)) for i in ids))
    print(f"{'ID':>5}  {'NAME':{width}}  {'FIRST':>7}  {'LAST':>7}  {'DETECTIONS':>10}  "
          f"{'MEAN SCORE':>10}")
    for identity in ids:
        s = table.stats(identity)
        shown = "untracked" if identity < 0 else f"#{identity}"
        print(f"{shown:>5}  {s.name:{width}}  {s.first:>7}  {s.last:>7}  {s.detections:>10}  "
              f"{s.mean_score:>10.3f}")


def _run_tracks(args: argparse.Namespace) -> int:
    import sys

    from ambientpose_desktop.cli.export import task_folder
    from ambientpose_desktop.core.layers import open_edits
    from ambientpose_desktop.core.summary import Summary
    from ambientpose_desktop.core.task_folder import TaskFolder

    folder = task_folder(args)
    files = TaskFolder(folder)
    if not files.has_results():
        from ambientpose_desktop.core.errors import InputError

        raise InputError(f"{folder} has no results (summary.json is missing)")
    session = open_edits(folder, Summary.read(files.summary))
    for entry, why in session.skipped:
        print(f"warning: edit “{entry.op.describe()}” no longer applies: {why}",
              file=sys.stderr)
    op = _operation(args, session)
    if op is not None:
        session.apply(op)
        print(f"done: {op.describe()}")
    elif args.undo:
        entry = session.log.entries[-1] if session.log.entries else None
        session.undo()
        print(f"undone: {entry.op.describe()}")
    elif args.revert:
        taken = session.revert()
        print(f"reverted {len(taken)} edit{'s' * (len(taken) != 1)} (kept as history in "
              f"{files.edits.name})")
    print_identities(session.table)
    return 0
