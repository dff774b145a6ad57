"""Receiving a video over HTTP (seed §6): the multipart body is parsed as it arrives and the file
part written to disk chunk by chunk under a size limit, so a 4 GB video never sits in memory
and an oversize one is cut off early. The name is checked against the whitelist before a byte
is written and the content is probed before any task exists.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.media import VIDEO_EXTENSIONS, is_video_name

MAX_UPLOAD_ENV = "AMBIENTPOSE_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 4096
CONFIG_MAX_BYTES = 64 * 1024
FILENAME_MAX_BYTES = 200  # under every file system's 255, with room for a suffix
FILE_FIELD, CONFIG_FIELD = "file", "config"


class UploadRejected(Exception):
    """The upload cannot become a task; ``status_code`` and a one-line reason for the client."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass
class ReceivedUpload:
    path: Path
    filename: str
    size: int
    config: bytes | None


def max_upload_bytes() -> int:
    """The size limit from ``AMBIENTPOSE_MAX_UPLOAD_MB`` (default 4096 MB)."""
    text = os.environ.get(MAX_UPLOAD_ENV, "").strip()
    try:
        megabytes = float(text) if text else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        raise InputError(f"{MAX_UPLOAD_ENV} must be a number of megabytes, not {text!r}") from None
    return int(megabytes * 1024 * 1024)


def safe_filename(name: str) -> str:
    """The last component of a client-supplied name, reduced to characters safe on any disk
    and to a length any disk holds (bytes count: ``\\w`` keeps letters of every script)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    # The end holds the extension; a character cut in half at the start is dropped.
    cleaned = cleaned.encode()[-FILENAME_MAX_BYTES:].decode("utf-8", "ignore")
    return cleaned.lstrip(" .") or "upload"


@dataclass
class _FormReceiver:
    """Callbacks for python-multipart's streaming parser: the file goes straight to disk."""

    folder: Path
    max_bytes: int
    upload: ReceivedUpload | None = None
    config: bytearray | None = None
    _headers: dict[str, bytes] = field(default_factory=dict)
    _header: list[bytes] = field(default_factory=lambda: [b"", b""])
    _target: str | None = None
    _file: BinaryIO | None = None

    def callbacks(self) -> dict:
        return {"on_part_begin": self._part_begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished, "on_part_data": self._data,
                "on_part_end": self._part_end}

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header[0] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._header[1] += data[start:end]

    def _header_end(self) -> None:
        name, value = self._header
        self._headers[name.decode("latin-1").lower()] = value
        self._header = [b"", b""]

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition"))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        self._target = name if name in (FILE_FIELD, CONFIG_FIELD) else None
        if name == CONFIG_FIELD:
            self.config = bytearray()
        elif name == FILE_FIELD:
            self._open_file(options.get(b"filename", b"").decode("utf-8", "replace"))

    def _open_file(self, client_name: str) -> None:
        if self.upload is not None:
            raise UploadRejected(422, "send one video per request in the 'file' field")
        filename = safe_filename(client_name)
        if not is_video_name(filename):
            raise UploadRejected(415, f"{filename} is not a video file name; accepted: "
                                      f"{' '.join(sorted(VIDEO_EXTENSIONS))}")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / filename
        self._file = open(path, "wb")  # noqa: SIM115 - closed in _part_end or close()
        self.upload = ReceivedUpload(path=path, filename=filename, size=0, config=None)

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._target == FILE_FIELD and self._file is not None and self.upload is not None:
            self.upload.size += end - start
            if self.upload.size > self.max_bytes:
                raise UploadRejected(413, too_large(self.max_bytes))
            self._file.write(data[start:end])
        elif self._target == CONFIG_FIELD and self.config is not None:
            self.config += data[start:end]
            if len(self.config) > CONFIG_MAX_BYTES:
                raise UploadRejected(413, f"the config field is over {CONFIG_MAX_BYTES} bytes")

    def _part_end(self) -> None:
        if self._target == FILE_FIELD:
            self.close()
        self._target = None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def too_large(max_bytes: int) -> str:
    return (f"the video is larger than the server's limit of {max_bytes / 2**20:g} MB "
            f"({MAX_UPLOAD_ENV})")


async def receive_upload(request: Request, folder: Path, max_bytes: int) -> ReceivedUpload:
    """Stream the ``file`` (and optional ``config``) fields of a multipart body into ``folder``.

    On any rejection or a dropped connection, ``folder`` is removed: nothing partial remains.
    """
    content_type, options = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadRejected(415, "send the video as multipart/form-data in a 'file' field")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + CONFIG_MAX_BYTES + 65536:
        raise UploadRejected(413, too_large(max_bytes))
    receiver = _FormReceiver(folder, max_bytes)
    try:
        parser = MultipartParser(options[b"boundary"], receiver.callbacks())
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if receiver.upload is None:
            raise UploadRejected(422, "the form has no 'file' field with a video")
        if receiver.upload.size == 0:
            raise UploadRejected(415, f"{receiver.upload.filename} is empty (0 bytes)")
    except MultipartParseError as exc:
        _discard(receiver, folder)
        raise UploadRejected(400, f"malformed multipart body: {exc}") from None
    except BaseException:
        _discard(receiver, folder)
        raise
    receiver.close()
    receiver.upload.config = bytes(receiver.config) if receiver.config is not None else None
    return receiver.upload


def _discard(receiver: _FormReceiver, folder: Path) -> None:
    receiver.close()
    shutil.rmtree(folder, ignore_errors=True)


async def check_video_content(upload: ReceivedUpload) -> None:
    """Decode one frame (in a worker thread: FFmpeg blocks) or raise ``UploadRejected(415)``."""
    from ambientpose_desktop.pipeline.video import probe

    try:
        await run_in_threadpool(probe, upload.path)
    except InputError as exc:
        raise UploadRejected(415, str(exc)) from None
