"""The HTTP API: questions, hotline messages, the document library, feedback, and admin operations.

Admin endpoints take HTTP Basic credentials from settings; while no admin password is configured they are
locked (403) for everyone. Validation errors come back as 422 with a Chinese `detail`.
"""

from __future__ import annotations

import secrets
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field, field_validator

from web.service import MAX_MESSAGE_CHARS, MAX_QUESTION_CHARS, Busy, PolicyService
from web.uploads import UploadRejected

MAX_COMMENT_CHARS = 2000
MAX_HISTORY_TURNS = 20


class ChatTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_MESSAGE_CHARS)


def _non_empty(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what}不能为空")
    if len(value) > limit:
        raise ValueError(f"{what}过长：最多 {limit} 字，收到 {len(value)} 字")
    return value


class AskRequest(BaseModel):
    question: str = Field(description="用户的问题")
    history: list[ChatTurn] = Field(default_factory=list, max_length=2 * MAX_HISTORY_TURNS, description="此前的对话")
    filters: dict | None = Field(default=None, description="检索过滤条件，例如 {\"jurisdiction\": \"苏州市\"}")

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        return _non_empty(v, "问题", MAX_QUESTION_CHARS)


class HotlineRequest(BaseModel):
    message: str = Field(description="市民来电/来信的原文，可包含多个问题")

    @field_validator("message")
    @classmethod
    def _message(cls, v: str) -> str:
        return _non_empty(v, "诉求内容", MAX_MESSAGE_CHARS)


class FeedbackRequest(BaseModel):
    rating: Literal["up", "down"]
    question: str = Field(max_length=MAX_MESSAGE_CHARS)
    answer: str = Field(max_length=4 * MAX_MESSAGE_CHARS)
    citations: list[str] = Field(default_factory=list, description="引用条款的 id")
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)
    mode: Literal["chat", "hotline"] = "chat"


_FIELD_NAMES = {"question": "问题", "message": "诉求内容", "rating": "评价", "messages": "messages", "file": "文件"}


def _chinese_error(err: dict) -> str:
    """One pydantic error in words an API user reading Chinese understands."""
    field = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
    name = _FIELD_NAMES.get(field, field) or "请求体"
    kind = err.get("type", "")
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err.get("msg")))
    if kind == "missing":
        return f"缺少字段：{name}"
    if kind == "json_invalid":
        return "请求体不是有效的 JSON"
    if kind in ("string_too_long", "too_long"):
        return f"{name}过长（上限 {err.get('ctx', {}).get('max_length')}）"
    if kind == "literal_error":
        return f"{name}取值无效，可选：{err.get('ctx', {}).get('expected')}"
    return f"{name}格式不正确：{err.get('msg')}"


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    detail = "；".join(dict.fromkeys(_chinese_error(e) for e in errors))
    return JSONResponse(status_code=422, content={"detail": detail, "errors": jsonable_encoder(errors)})


def admin_guard(service: PolicyService):
    """A dependency that lets only the configured administrator through."""
    basic = HTTPBasic(auto_error=False)

    def check(credentials: HTTPBasicCredentials | None = Depends(basic)) -> str:
        settings = service.settings
        if not settings.admin_password:
            raise HTTPException(403, "管理功能已锁定：未设置管理员密码（POLICYQA_ADMIN_PASSWORD）")
        ok = credentials is not None and (
            secrets.compare_digest(credentials.username.encode(), settings.admin_user.encode())
            & secrets.compare_digest(credentials.password.encode(), settings.admin_password.encode())
        )
        if not ok:
            raise HTTPException(401, "需要管理员登录", headers={"WWW-Authenticate": 'Basic realm="policyqa"'})
        return credentials.username

    return check


def _clause_record(service: PolicyService, clause) -> dict:
    doc = service.document(clause.doc_id) or clause.doc
    return {**clause.to_record(), "doc": doc}


def api_router(service: PolicyService) -> APIRouter:
    router = APIRouter(prefix="/api")
    admin = admin_guard(service)

    @router.post("/ask", summary="政策问答：问题 → 带引用的回答")
    def ask(body: AskRequest) -> dict:
        history = [t.model_dump() for t in body.history]
        return service.ask(body.question, history=history, filters=body.filters).to_dict()

    @router.post("/hotline", summary="热线助手：市民诉求 → 依据条款、责任部门、答复口径")
    def hotline(body: HotlineRequest) -> dict:
        return service.hotline(body.message).to_dict()

    @router.get("/documents", summary="政策库：文件列表")
    def documents(
        jurisdiction: str | None = Query(None, description="适用地区，如 苏州市、姑苏区"),
        kind: str | None = Query(None, description="文件类型：regulation/measures/plan/opinion/notice/amendment/other"),
        status: Literal["有效", "已过期", "未注明有效期"] | None = Query(None, description="有效性"),
    ) -> list[dict]:
        return service.documents(jurisdiction=jurisdiction, kind=kind, status=status)

    @router.get("/documents/{doc_id}", summary="一份文件及其全部条款（按原文顺序）")
    def document(doc_id: str) -> dict:
        doc = service.document(doc_id)
        if doc is None:
            raise HTTPException(404, f"没有这份文件：{doc_id}")
        return {**doc, "clauses": [c.to_record() for c in service.document_clauses(doc_id)]}

    @router.get("/clauses/{clause_id:path}", summary="一个条款的全文及其文件信息")
    def clause(clause_id: str) -> dict:
        found = service.clause(clause_id)
        if found is None:
            raise HTTPException(404, f"没有这个条款：{clause_id}")
        return _clause_record(service, found)

    @router.post("/feedback", status_code=201, summary="对回答的 👍/👎 评价")
    def feedback(body: FeedbackRequest) -> dict:
        row = service.feedback.add(body.rating, body.question, body.answer, body.citations, body.comment, body.mode)
        return {"id": row}

    @router.post("/admin/upload", status_code=201, summary="上传政策文件（管理员）")
    async def upload(request: Request, file: UploadFile, user: str = Depends(admin)) -> dict:
        limit = service.settings.max_upload_mb * 1024 * 1024
        declared = int(request.headers.get("content-length") or 0)
        # Refuse before reading when the request itself says it is too big (multipart overhead allowed for).
        if declared > limit + 64 * 1024:
            raise HTTPException(413, f"文件超过大小上限 {service.settings.max_upload_mb} MB")
        data = await file.read(limit + 1)
        try:
            saved = service.upload(data, file.filename or "")
        except UploadRejected as exc:
            raise HTTPException(exc.status, exc.reason) from exc
        return {"name": saved.name, "size": saved.size, "replaced": saved.replaced, "reindex_needed": True}

    @router.post("/admin/reindex", summary="重新索引数据目录（管理员）")
    def reindex(user: str = Depends(admin)) -> dict:
        try:
            summary = service.reindex()
        except Busy as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"summary": summary, "documents": len(service.index.documents)}

    @router.delete("/admin/documents/{doc_id}", summary="删除文件的源文件并重新索引（管理员）")
    def remove(
        doc_id: str,
        cascade: bool = Query(False, description="源文件还含其他文件时，确认一并删除"),
        user: str = Depends(admin),
    ) -> dict:
        if service.reindexing:
            raise HTTPException(409, "正在重新索引，请稍后再删除")
        try:
            removal = service.remove_document(doc_id, cascade=cascade)
            summary = service.reindex()
        except UploadRejected as exc:
            raise HTTPException(exc.status, exc.reason) from exc
        except Busy as exc:
            raise HTTPException(409, f"文件已删除，但{exc}") from exc
        return {
            "removed_files": removal.files,
            "removed_documents": [d["doc_title"] for d in removal.documents],
            "summary": summary,
        }

    return router


def install_api(app: FastAPI, service: PolicyService) -> None:
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.include_router(api_router(service))
