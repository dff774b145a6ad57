"""The HTTP API (seed §3): submit videos, follow their progress, download results.

``create_app`` builds an app around a repository, artefact store and runner it is given, so
``ambientpose serve`` (its own asyncio runner), the window (its QProcess runner) and the tests
(their own temporary database) all serve the same API over their own state.
"""

from __future__ import annotations

import asyncio
import mimetypes
import shutil
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ambientpose_desktop import __version__
from ambientpose_desktop.core.layers import Layer
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.actions import add_task, cancel_task, remove_task
from ambientpose_desktop.runner.protocol import TaskRunner
from ambientpose_desktop.server.auth import bearer_dependency
from ambientpose_desktop.server.errors import ErrorIdMiddleware
from ambientpose_desktop.server.exports import FORMAT_QUERY, ExportFormat, export_file
from ambientpose_desktop.server.exports import RESPONSES as EXPORT_RESPONSES
from ambientpose_desktop.server.references import JSON_TYPE, find_or_fetch, read_reference
from ambientpose_desktop.server.schemas import (
    Health,
    TaskConfig,
    TaskCreated,
    TaskPage,
    task_params_from_config,
)
from ambientpose_desktop.server.sse import task_events
from ambientpose_desktop.server.uploads import (
    UploadRejected,
    check_video_content,
    max_upload_bytes,
    receive_upload,
)
from ambientpose_desktop.store.artefacts import ArtefactStore, UnsafePath
from ambientpose_desktop.store.models import Task, TaskPublic, new_task_id
from ambientpose_desktop.store.repository import TaskRepository
from ambientpose_desktop.store.settings import AppSettings

CANCEL_WAIT_S = 15.0
_EXTRA_TYPES = {".jsonl": "application/x-ndjson", ".txt": "text/plain; charset=utf-8"}

_CONFIG_KEYS = ", ".join(TaskConfig.model_fields) + " (all optional)"
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": "the video"},
                "config": {"type": "string", "description": f"JSON object: {_CONFIG_KEYS}"},
            },
        }},
        JSON_TYPE: {"schema": {
            "type": "object", "additionalProperties": False,
            "description": "a video already on the server (under a folder its operator "
                           "allows) or at an http(s) URL: exactly one of path and url",
            "properties": {
                "path": {"type": "string", "description": "absolute path on the server"},
                "url": {"type": "string", "description": "http(s) URL the server fetches"},
                "config": {"type": "object", "description": _CONFIG_KEYS},
            },
        }},
    },
}
_NOT_FOUND = {404: {"description": "no such task (or file)"}}
# The ids the stream sends (events counted from 1): ASCII digits of a size ``int`` takes at once.
_LAST_EVENT_ID = Header(None, alias="Last-Event-ID", pattern=r"^[0-9]{0,18}$",
                        description="the id of the last event received, to resume after it")


def create_app(*, repo: TaskRepository, artefacts: ArtefactStore, runner: TaskRunner,
               token: Callable[[], str], settings: Callable[[], AppSettings] = AppSettings.load,
               max_upload: int | None = None,
               lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
               allowed_folders: Sequence[Path] = (),
               ) -> FastAPI:
    """The API over this repository and runner; ``token`` is read on every request, so a
    regenerated token takes effect at once. ``allowed_folders``: where a submission may name
    a video by path (none by default)."""
    limit = max_upload if max_upload is not None else max_upload_bytes()
    folders = list(allowed_folders)
    app = FastAPI(title="AmbientPose", version=__version__, lifespan=lifespan,
                  description="Submit videos for pose estimation, follow them, download results."
                              " Every endpoint but /health needs `Authorization: Bearer TOKEN`.")
    app.add_middleware(ErrorIdMiddleware)

    @app.get("/health", response_model=Health, tags=["server"])
    def health() -> Health:
        return Health(status="ok", version=__version__)

    api = APIRouter(dependencies=[Depends(bearer_dependency(token))],
                    responses={401: {"description": "missing or wrong bearer token"}})

    def find_task(task_id: str) -> Task:
        task = repo.find(task_id)
        if task is None:
            raise HTTPException(404, f"no task {task_id}")
        return task

    @api.post("/tasks", status_code=201, response_model=TaskCreated, tags=["tasks"],
              openapi_extra={"requestBody": _UPLOAD_BODY},
              responses={403: {"description": "a path outside the allowed folders"},
                         413: {"description": "video over the size limit"},
                         415: {"description": "not a video"}})
    async def submit(request: Request) -> TaskCreated:
        """Upload a video (multipart ``file``, optional ``config`` JSON), or name one (JSON
        ``path`` under an allowed folder, or ``url``); it joins the queue."""
        task_id = new_task_id()
        folder = artefacts.upload_dir(task_id)
        try:
            if request.headers.get("content-type", "").startswith(JSON_TYPE):
                reference = await read_reference(request)
                params = task_params_from_config(reference.config, settings())
                source = await find_or_fetch(reference, folders, folder, limit)
                task = await run_in_threadpool(add_task, repo, runner, source, params,
                                               filename=source.name, task_id=task_id)
                return TaskCreated(id=task.id, status=task.status)
            upload = await receive_upload(request, folder, limit)
            params = task_params_from_config(upload.config, settings())
            await check_video_content(upload)
            task = await run_in_threadpool(add_task, repo, runner, upload.path, params,
                                           filename=upload.filename, task_id=task_id)
        except UploadRejected as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise HTTPException(exc.status_code, str(exc)) from None
        except ClientDisconnect:
            shutil.rmtree(folder, ignore_errors=True)
            return Response(status_code=400)  # nobody is listening any more
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return TaskCreated(id=task.id, status=task.status)

    @api.get("/tasks", response_model=TaskPage, tags=["tasks"])
    def list_tasks(status: TaskStatus | None = None,
                   limit: int = Query(50, ge=1, le=500),
                   offset: int = Query(0, ge=0, le=2**31)) -> TaskPage:
        """Newest first, optionally only those in one ``status``."""
        items = repo.list(status=status, limit=limit, offset=offset, newest_first=True)
        return TaskPage(items=[t.to_public() for t in items], total=repo.count(status=status),
                        limit=limit, offset=offset)

    @api.get("/tasks/{task_id}", response_model=TaskPublic, tags=["tasks"], responses=_NOT_FOUND)
    def get_task(task_id: str) -> TaskPublic:
        return find_task(task_id).to_public()

    @api.get("/tasks/{task_id}/stream", tags=["tasks"], response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}}}, **_NOT_FOUND})
    async def stream(task_id: str, last_event_id: str | None = _LAST_EVENT_ID,
                     ) -> StreamingResponse:
        """Server-Sent Events: every worker event (earlier ones first) until the task ends.
        Event ids count events, so ``Last-Event-ID`` resumes a dropped stream."""
        task = await run_in_threadpool(find_task, task_id)
        events = task_events(TaskFolder(artefacts.results_dir(task)).events,
                             lambda: repo.find(task_id), skip=int(last_event_id or 0))
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    @api.get("/files/{task_id}/{path:path}", tags=["files"], response_class=FileResponse,
             responses=_NOT_FOUND)
    def download(task_id: str, path: str) -> FileResponse:
        """An artefact of the task: ``pose.json``, ``summary.json``, ``overlay.mp4``, …"""
        task = find_task(task_id)
        try:
            target = artefacts.resolve(task_id, path, artefacts.results_dir(task))
        except UnsafePath:
            raise HTTPException(404, "no such file") from None
        if not target.is_file():
            raise HTTPException(404, "no such file")
        media_type = _EXTRA_TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
        return FileResponse(target, media_type=media_type or "application/octet-stream")

    @api.get("/tasks/{task_id}/export", tags=["files"], response_class=FileResponse,
             responses={**_NOT_FOUND, **EXPORT_RESPONSES})
    async def export(task_id: str, fmt: ExportFormat = FORMAT_QUERY,
                     layer: Layer | None = None) -> FileResponse:
        """The task's results in ``format`` (as ``ambientpose export``), from ``layer``
        (default: the most processed one the task has), streamed as an attachment."""
        task = await run_in_threadpool(find_task, task_id)
        return await export_file(artefacts.results_dir(task), fmt, layer)

    @api.delete("/tasks/{task_id}", status_code=204, tags=["tasks"], responses=_NOT_FOUND)
    async def delete(task_id: str) -> Response:
        """Cancel the task if it runs (here or in the window), then remove it and its files."""
        task = await run_in_threadpool(find_task, task_id)
        if task.status == TaskStatus.RUNNING:
            await run_in_threadpool(cancel_task, repo, runner, task_id)
            await _wait_until_stopped(repo, task_id)
        # The window's Remove: the same row, artefact and output-folder clean-up.
        await run_in_threadpool(remove_task, repo, artefacts, runner, task_id)
        return Response(status_code=204)

    app.include_router(api)
    return app


async def _wait_until_stopped(repo: TaskRepository, task_id: str) -> None:
    """Give the worker time to exit, so it does not write into a folder being deleted."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CANCEL_WAIT_S
    while loop.time() < deadline:
        task = await run_in_threadpool(repo.find, task_id)
        if task is None or task.status != TaskStatus.RUNNING:
            return
        await asyncio.sleep(0.1)
