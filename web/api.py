"""The HTTP API: questions, hotline messages, the document library, feedback, and admin operations.

Admin endpoints take HTTP Basic credentials, checked by `AdminService.check_login` (the same check as the UI's
login) before anything else about the request is read; while no admin password is configured they are locked
(403) for everyone. Validation errors come back as 422 with a Chinese `detail` and never echo the input.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator, model_validator

from domain.jurisdiction import CITY
from domain.validity import Status
from web.admin import LoginDenied
from web.http import log_rejected
from web.inputs import (
    MAX_ANSWER_CHARS,
    MAX_CITATIONS,
    MAX_COMMENT_CHARS,
    MAX_HISTORY_TURNS,
    MAX_ID_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_QUESTION_CHARS,
    UPLOAD_OVERHEAD_BYTES,
    RetrievalFilters,
    Text,
    check_total,
    total_chars,
)
from web.live import Busy
from web.service import Services
from web.uploads import UploadRejected


class ChatTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=MAX_MESSAGE_CHARS)


def _non_empty(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what}不能为空")
    if len(value) > limit:
        raise ValueError(f"{what}过长：最多 {limit} 字，收到 {len(value)} 字")
    return value


class AskRequest(BaseModel):
    question: Text = Field(description="用户的问题")
    history: list[ChatTurn] = Field(default_factory=list, max_length=2 * MAX_HISTORY_TURNS, description="此前的对话")
    filters: RetrievalFilters | None = Field(default=None, description=f"检索过滤条件，例如 {{\"jurisdiction\": \"{CITY}\"}}")

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        return _non_empty(v, "问题", MAX_QUESTION_CHARS)

    @model_validator(mode="after")
    def _bounded(self) -> "AskRequest":
        check_total(total_chars(self.question, *(t.content for t in self.history)))
        return self


class HotlineRequest(BaseModel):
    message: Text = Field(description="市民来电/来信的原文，可包含多个问题")

    @field_validator("message")
    @classmethod
    def _message(cls, v: str) -> str:
        return _non_empty(v, "诉求内容", MAX_MESSAGE_CHARS)


class FeedbackRequest(BaseModel):
    rating: Literal["up", "down"]
    question: Text = Field(max_length=MAX_MESSAGE_CHARS)
    answer: Text = Field(max_length=MAX_ANSWER_CHARS)
    citations: list[Text] = Field(default_factory=list, max_length=MAX_CITATIONS, description="引用条款的 id")
    comment: Text = Field(default="", max_length=MAX_COMMENT_CHARS)
    mode: Literal["chat", "hotline"] = "chat"

    @field_validator("citations")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        if any(len(c) > MAX_ID_CHARS for c in v):
            raise ValueError(f"引用条款的 id 过长（上限 {MAX_ID_CHARS}）")
        return v


_FIELD_NAMES = {"question": "问题", "message": "诉求内容", "rating": "评价", "messages": "messages", "file": "文件",
                "comment": "补充意见", "answer": "回答", "citations": "引用", "history": "对话历史", "filters": "过滤条件"}


def _chinese_error(err: dict) -> str:
    """One pydantic error in words an API user reading Chinese understands (never the input itself)."""
    field = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
    name = _FIELD_NAMES.get(field, field) or "请求体"
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg")))
    if kind == "missing":
        return f"缺少字段：{name}"
    if kind == "json_invalid":
        return "请求体不是有效的 JSON"
    if kind in ("string_too_long", "too_long"):
        return f"{name}过长（上限 {ctx.get('max_length')}）"
    if kind == "literal_error":
        return f"{name}取值无效，可选：{ctx.get('expected')}"
    if kind == "extra_forbidden":
        return f"不支持的字段：{name}"
    return f"{name}格式不正确：{err.get('msg')}"


def public_errors(errors) -> list[dict]:
    """Where and what, without pydantic's `input` (which would echo a 100 MB body back) or doc URLs."""
    return [{"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type"), "msg": _chinese_error(e)} for e in errors]


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    detail = "；".join(dict.fromkeys(_chinese_error(e) for e in errors))
    log_rejected(request, 422, detail)
    return JSONResponse(status_code=422, content={"detail": detail, "errors": public_errors(errors)})


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def admin_guard(services: Services):
    """A dependency that lets only the configured administrator through. It reads the Authorization header
    alone, so an upload's body is not read before the credentials are checked."""

    def check(request: Request) -> str:
        user, password = _basic_credentials(request.headers.get("authorization"))
        try:
            return services.admin.check_login(user, password, client_of(request))
        except LoginDenied as denied:
            headers = {"WWW-Authenticate": 'Basic realm="policyqa"'} if denied.status == 401 else {}
            if denied.retry_after:
                headers["Retry-After"] = str(denied.retry_after)
            detail = "需要管理员登录" if denied.status == 401 else denied.reason
            raise HTTPException(denied.status, detail, headers=headers or None) from None

    return check


def _basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic" or not token:
        return None, None
    try:
        user, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return user, password


def _clause_record(services: Services, clause) -> dict:
    doc = services.library.document(clause.doc_id) or clause.doc
    return {**clause.to_record(), "doc": doc}


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "description": "政策文件"}},
        }}},
    }
}


def api_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/api")
    admin = admin_guard(services)
    settings = services.settings

    @router.post("/ask", summary="政策问答：问题 → 带引用的回答")
    def ask(body: AskRequest) -> dict:
        history = [t.model_dump() for t in body.history]
        filters = body.filters.as_dict() if body.filters else None
        return services.answering.ask(body.question, history=history, filters=filters).to_dict()

    @router.post("/hotline", summary="热线助手：市民诉求 → 依据条款、责任部门、答复口径")
    def hotline(body: HotlineRequest) -> dict:
        return services.answering.hotline(body.message).to_dict()

    @router.get("/documents", summary="政策库：文件列表")
    def documents(
        jurisdiction: str | None = Query(None, max_length=MAX_ID_CHARS, description=f"适用地区，如 {CITY}、姑苏区"),
        kind: str | None = Query(None, max_length=MAX_ID_CHARS,
                                 description="文件类型：regulation/measures/plan/opinion/notice/amendment/other"),
        status: Status | None = Query(None, description="有效性"),
    ) -> list[dict]:
        return services.library.documents(jurisdiction=jurisdiction, kind=kind, status=status)

    @router.get("/documents/{doc_id}", summary="一份文件及其全部条款（按原文顺序）")
    def document(doc_id: str) -> dict:
        doc = services.library.document(doc_id)
        if doc is None:
            raise HTTPException(404, f"没有这份文件：{doc_id[:MAX_ID_CHARS]}")
        return {**doc, "clauses": [c.to_record() for c in services.library.document_clauses(doc_id)]}

    @router.get("/clauses/{clause_id:path}", summary="一个条款的全文及其文件信息")
    def clause(clause_id: str) -> dict:
        found = services.library.clause(clause_id)
        if found is None:
            raise HTTPException(404, f"没有这个条款：{clause_id[:MAX_ID_CHARS]}")
        return _clause_record(services, found)

    @router.post("/feedback", status_code=201, summary="对回答的 👍/👎 评价（个人信息在保存前隐去）")
    def feedback(body: FeedbackRequest) -> dict:
        row = services.feedback.add(body.rating, body.question, body.answer, body.citations, body.comment, body.mode)
        return {"id": row}

    @router.post("/admin/upload", status_code=201, summary="上传政策文件（管理员）", openapi_extra=_UPLOAD_BODY)
    async def upload(request: Request, user: str = Depends(admin)) -> dict:
        # The body is parsed here, after the credentials: declaring it as a parameter would make FastAPI read
        # (and spool) all of it before running the login check.
        limit = settings.max_upload_mb * 1024 * 1024
        form = await request.form(max_files=1, max_fields=4, max_part_size=limit + UPLOAD_OVERHEAD_BYTES)
        try:
            file = form.get("file")
            if file is None or isinstance(file, str):
                raise HTTPException(422, "缺少字段：文件")
            data = await file.read(limit + 1)
            saved = services.admin.upload(data, file.filename or "")
        except UploadRejected as exc:
            raise HTTPException(exc.status, exc.reason) from exc
        finally:
            await form.close()
        found = saved.report
        return {"name": saved.name, "size": saved.size, "replaced": saved.replaced, "reindex_needed": True,
                "documents": found.documents if found else [], "clauses": found.clauses if found else 0,
                "pages": found.pages if found else None, "warnings": found.warnings if found else []}

    @router.post("/admin/reindex", summary="重新索引数据目录（管理员）")
    def reindex(user: str = Depends(admin)) -> dict:
        try:
            summary = services.admin.reindex()
        except Busy as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"summary": summary, "documents": len(services.live.index.documents)}

    @router.delete("/admin/documents/{doc_id}", summary="删除文件的源文件并重新索引（管理员）")
    def remove(
        doc_id: str,
        cascade: bool = Query(False, description="源文件还含其他文件时，确认一并删除"),
        user: str = Depends(admin),
    ) -> dict:
        try:
            removal = services.admin.remove_and_reindex(doc_id, cascade=cascade)
        except UploadRejected as exc:
            raise HTTPException(exc.status, exc.reason) from exc
        except Busy as exc:
            raise HTTPException(409, f"{exc}（未删除任何文件）") from exc
        return {
            "removed_files": removal.files,
            "removed_documents": [d["doc_title"] for d in removal.documents],
            "summary": removal.summary,
        }

    return router


def install_api(app: FastAPI, services: Services) -> None:
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.include_router(api_router(services))
