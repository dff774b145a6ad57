"""``GET /tasks/{id}/export``: any export format of any layer, written by the same
``export_task`` as the window and the CLI, into a temporary folder that is removed once the
file has been streamed (a ``frames-jpeg`` folder is sent as a ZIP)."""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
from enum import StrEnum
from pathlib import Path

from fastapi import HTTPException, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.layers import Layer
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.export_formats import DEFAULT_NAMES, EXPORT_FORMATS

ExportFormat = StrEnum("ExportFormat", {name: name for name in EXPORT_FORMATS})

FORMAT_QUERY = Query(alias="format", description="an export format, as `ambientpose export`")
RESPONSES = {
    200: {"description": "the exported file", "content": {"application/octet-stream": {}}},
    409: {"description": "the task has no results yet, or not in that layer"},
    501: {"description": "this install lacks the library that writes that format"},
}


async def export_file(folder: Path, fmt: ExportFormat, layer: Layer | None) -> FileResponse:
    """The export of ``folder`` as a streamed attachment; its temporary folder goes after."""
    from ambientpose_desktop.pipeline.export import MissingExtra, export_task

    if not TaskFolder(folder).has_results():
        raise HTTPException(409, "the task has no results yet")
    staging = Path(tempfile.mkdtemp(prefix="ambientpose-export-"))
    name = DEFAULT_NAMES[fmt.value]
    try:
        out = await run_in_threadpool(export_task, folder, fmt.value, staging / name,
                                      layer=layer)
        if out.is_dir():
            name += ".zip"
            out = Path(await run_in_threadpool(shutil.make_archive, str(staging / name[:-4]),
                                               "zip", root_dir=out))
    except MissingExtra as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise HTTPException(501, str(exc)) from None
    except InputError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise HTTPException(409, str(exc)) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(out, filename=name, media_type=media_type,
                        background=BackgroundTask(shutil.rmtree, staging, ignore_errors=True))
