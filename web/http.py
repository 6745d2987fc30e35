"""The HTTP edge of the whole app (API and UI alike): request-body limits enforced before a body is read,
CORS limited to configured origins, and one console line per rejected request instead of a traceback.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settings import Settings
from web.inputs import MAX_JSON_BODY_BYTES, UPLOAD_OVERHEAD_BYTES

log = logging.getLogger("policyqa.web")

UPLOAD_PATHS = ("/api/admin/upload", "/gradio_api/upload")


def log_rejected(request: Request | None, status: int, reason: str) -> None:
    """One line per refused request, so a console under attack stays readable (no traceback, no input echo)."""
    where = f"{request.method} {request.url.path}" if request is not None else "ui"
    client = request.client.host if request is not None and request.client else "-"
    log.warning("rejected %s from %s: %d %s", where, client, status, reason[:200].replace("\n", " "))


class BodyLimit:
    """Refuse a request body larger than its path allows with 413: at once when Content-Length says so,
    otherwise (chunked) as soon as the bytes read pass the limit — never after buffering the rest."""

    def __init__(self, app: ASGIApp, upload_bytes: int, json_bytes: int = MAX_JSON_BODY_BYTES) -> None:
        self.app = app
        self.upload_bytes = upload_bytes
        self.json_bytes = json_bytes

    def limit(self, path: str) -> int:
        return self.upload_bytes if path.endswith(UPLOAD_PATHS) else self.json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, send, limit)
            return
        seen, refused, started = 0, False, False

        async def counted_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        await self._refuse(scope, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:  # the 413 has gone out; whatever the app answers to the disconnect is dropped
                return
            started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        upload = scope["path"].endswith(UPLOAD_PATHS)
        reason = f"文件超过大小上限 {limit // 1024 // 1024} MB" if upload else f"请求体超过大小上限 {limit // 1024} KB"
        log.warning("rejected %s %s: 413 %s", scope.get("method"), scope["path"], reason)
        body = json.dumps({"detail": reason}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


# FastAPI's own refusals, in the Chinese every other `detail` is in.
_CHINESE = {"There was an error parsing the body": "请求体无法解析（需要 UTF-8 编码的 JSON）"}


async def logged_http_exception(request: Request, exc: StarletteHTTPException):
    if isinstance(exc.detail, str) and exc.detail in _CHINESE:
        exc = StarletteHTTPException(exc.status_code, _CHINESE[exc.detail], exc.headers)
    if exc.status_code < 500:
        log_rejected(request, exc.status_code, str(exc.detail))
    return await http_exception_handler(request, exc)


def install_edge(app: FastAPI, settings: Settings) -> None:
    """Add the body limit and CORS to `app` (before the Gradio app is mounted: Gradio then leaves CORS to us)."""
    app.add_exception_handler(StarletteHTTPException, logged_http_exception)
    # Same-origin pages need no CORS headers at all; other origins get them only when configured.
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_credentials=bool(origins),
                       allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(BodyLimit, upload_bytes=settings.max_upload_mb * 1024 * 1024 + UPLOAD_OVERHEAD_BYTES)
