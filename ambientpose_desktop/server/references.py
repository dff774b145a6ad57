"""Submitting a video without uploading it: a JSON body naming a ``path`` on this server's
filesystem (on a cluster the videos already sit on shared storage) or an http(s) ``url`` the
server fetches.

A path is allowed only inside a folder the operator listed (``serve --allow-path DIR``; none by
default): it is fully resolved, symlinks included, before it is compared, so ``..`` and links
pointing out of the folders are refused the same way, and whether a file exists outside them
is never revealed. A URL is fetched into the task's upload folder under the upload's size
limit. Both then get an upload's checks: a video's name, then its content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ambientpose_desktop.core.media import VIDEO_EXTENSIONS, is_video_name
from ambientpose_desktop.server.uploads import (
    CONFIG_MAX_BYTES,
    ReceivedUpload,
    UploadRejected,
    check_video_content,
    safe_filename,
    too_large,
)

FETCH_TIMEOUT_S = 30.0
JSON_TYPE = "application/json"


@dataclass
class Reference:
    """A JSON submission: exactly one of ``path`` and ``url``, and the optional config."""

    path: str | None
    url: str | None
    config: bytes | None


async def read_reference(request: Request) -> Reference:
    """The JSON body, small and well formed, or ``UploadRejected`` saying what is wrong."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > CONFIG_MAX_BYTES:
            raise UploadRejected(413, f"the JSON body is over {CONFIG_MAX_BYTES} bytes")
    try:
        data = json.loads(body)
    except ValueError:
        raise UploadRejected(422, "the body is not valid JSON") from None
    if not isinstance(data, dict) or set(data) - {"path", "url", "config"}:
        raise UploadRejected(422, 'send {"path": …} or {"url": …}, with an optional "config"')
    path, url, config = data.get("path"), data.get("url"), data.get("config")
    if (path is None) == (url is None) or not isinstance(path or url, str):
        raise UploadRejected(422, 'name the video by exactly one of "path" and "url" (text)')
    if config is not None and not isinstance(config, dict):
        raise UploadRejected(422, '"config" must be an object')
    return Reference(path, url, None if config is None else json.dumps(config).encode())


def allowed_path(raw: str, folders: list[Path]) -> Path:
    """``raw`` resolved (symlinks followed) if it lies inside one of ``folders``, else
    ``UploadRejected`` (403 outside, whether or not it exists; 404 missing inside)."""
    if not folders:
        raise UploadRejected(403, "this server accepts no paths; its operator can allow "
                                  "folders with serve --allow-path DIR")
    if "\x00" in raw or not Path(raw).is_absolute():
        raise UploadRejected(422, "the path must be absolute")
    target = Path(raw).resolve()
    roots = [folder.resolve() for folder in folders]
    if not any(target.is_relative_to(root) and target != root for root in roots):
        raise UploadRejected(403, f"{raw} is not inside a folder this server allows")
    if not target.is_file():
        raise UploadRejected(404, f"{raw} is not a file")
    if not is_video_name(target):
        raise UploadRejected(415, f"{target.name} is not a video file name; accepted: "
                                  f"{' '.join(sorted(VIDEO_EXTENSIONS))}")
    return target


async def find_or_fetch(reference: Reference, folders: list[Path], upload_folder: Path,
                        max_bytes: int) -> Path:
    """The video a reference names, checked as an upload is: an allowed path as it is, a URL
    fetched into ``upload_folder``."""
    if reference.path is not None:
        path = await run_in_threadpool(allowed_path, reference.path, folders)
        await check_video_content(ReceivedUpload(path=path, filename=path.name,
                                                 size=path.stat().st_size, config=None))
        return path
    return (await fetch_url(str(reference.url), upload_folder, max_bytes)).path


def url_filename(url: str) -> str:
    """The video's file name from the URL's last path segment, or ``UploadRejected``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UploadRejected(422, "the url must be an http:// or https:// address")
    name = safe_filename(unquote(parts.path.rsplit("/", 1)[-1]))
    if not is_video_name(name):
        raise UploadRejected(415, f"{name} is not a video file name; accepted: "
                                  f"{' '.join(sorted(VIDEO_EXTENSIONS))}")
    return name


async def fetch_url(url: str, folder: Path, max_bytes: int) -> ReceivedUpload:
    """Download ``url`` into ``folder`` under ``max_bytes`` (413 beyond it, cut off early),
    then probe its content (415). Unreachable or refused URLs are 422: the client's input."""
    import httpx

    name = url_filename(url)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    size = 0
    try:
        async with httpx.AsyncClient(follow_redirects=True, timeout=FETCH_TIMEOUT_S) as client, \
                client.stream("GET", url) as response:
            if response.status_code != 200:
                raise UploadRejected(422, f"fetching the url gave HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise UploadRejected(413, too_large(max_bytes))
            with open(path, "wb") as fh:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadRejected(413, too_large(max_bytes))
                    fh.write(chunk)
    except httpx.HTTPError as exc:
        raise UploadRejected(422, f"cannot fetch the url: {exc or type(exc).__name__}") from None
    if size == 0:
        raise UploadRejected(415, f"{name} is empty (0 bytes)")
    upload = ReceivedUpload(path=path, filename=name, size=size, config=None)
    await check_video_content(upload)
    return upload
