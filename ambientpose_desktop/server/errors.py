"""Unexpected errors (seed §9): the client gets a 500 with an error id it can quote, the
traceback goes to the log under that id and never into the response."""

from __future__ import annotations

import uuid

from loguru import logger
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGED_PATH_CHARS = 200


def _shortened(path: str) -> str:
    """The request path for the log: a client cannot write kilobytes into it."""
    if len(path) <= LOGGED_PATH_CHARS:
        return path
    return f"{path[:LOGGED_PATH_CHARS]}… ({len(path)} characters)"


class ErrorIdMiddleware:
    """Pure ASGI (unlike ``BaseHTTPMiddleware`` it leaves streaming responses alone)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            logger.exception("error {} in {} {}", error_id, scope.get("method"),
                             _shortened(scope.get("path", "")))
            if started:  # too late for a 500: the client sees the stream end
                return
            response = JSONResponse(
                {"detail": f"internal server error (error id {error_id}; see the server log)",
                 "error_id": error_id}, status_code=500)
            await response(scope, receive, send)
