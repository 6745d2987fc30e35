"""An OpenAI-compatible chat endpoint, so existing chat clients can use the assistant.

Model `policyqa` answers like the 政策问答 tab, `policyqa-hotline` like the 热线助手 tab. Every reply carries its
citations twice: as a 参考条款 block at the end of the content (for clients that only show text) and as an extra
`citations` field (for clients that can render them).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from rag.types import Answer, TextDelta
from web.answering import AnsweringService
from web.inputs import MAX_MESSAGE_CHARS, MAX_MESSAGES, Text, check_total, total_chars
from web.render import references_block, tentative_notices

MODELS = {"policyqa": "chat", "policyqa-hotline": "hotline"}


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(max_length=40)
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: Text | Annotated[list[ContentPart], Field(max_length=MAX_MESSAGES)] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens … are accepted and ignored
    model: str = "policyqa"
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False

    @field_validator("model")
    @classmethod
    def _known_model(cls, v: str) -> str:
        if v not in MODELS:
            raise ValueError(f"未知模型，可选：{'、'.join(MODELS)}")  # not echoed: it may not even be encodable
        return v

    @field_validator("messages")
    @classmethod
    def _ends_with_question(cls, v: list[ChatMessage]) -> list[ChatMessage]:
        if v[-1].role != "user" or not v[-1].text().strip():
            raise ValueError("最后一条消息必须是用户的问题，且不能为空")
        if len(v[-1].text()) > MAX_MESSAGE_CHARS:
            raise ValueError(f"问题过长：最多 {MAX_MESSAGE_CHARS} 字")
        check_total(total_chars(*(m.text() for m in v)))
        return v


def _tail(answer: Answer) -> str:
    """What follows the answer text: the warning of a tentative answer (a client shows no notices), the 答复口径
    (hotline mode) and the 参考条款 block."""
    warning = "".join(f"\n\n⚠️ {n}" for n in tentative_notices(answer))
    script = f"\n\n答复口径：\n{answer.reply_script}" if answer.mode == "hotline" and answer.reply_script else ""
    return warning + script + references_block(answer)


def _citations(answer: Answer) -> list[dict]:
    return answer.to_dict()["citations"]


def _chunk(cid: str, created: int, model: str, delta: dict, finish: str | None = None, **extra) -> str:
    payload = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def openai_router(service: AnsweringService) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["OpenAI 兼容"])

    @router.get("/models", summary="可用模型")
    def models() -> dict:
        return {
            "object": "list",
            "data": [{"id": name, "object": "model", "created": 0, "owned_by": "policyqa"} for name in MODELS],
        }

    @router.post("/chat/completions", summary="OpenAI 兼容的对话接口（支持 stream）")
    def chat_completions(body: ChatCompletionRequest):
        mode = MODELS[body.model]
        question = body.messages[-1].text().strip()
        history = [
            {"role": m.role, "content": m.text()} for m in body.messages[:-1] if m.role in ("user", "assistant")
        ]
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if body.stream:
            return StreamingResponse(
                _stream(service, question, history, mode, body.model, cid, created), media_type="text/event-stream"
            )
        if mode == "hotline":
            answer = service.hotline(question)
        else:
            answer = service.ask(question, history=history)
        return {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": (answer.body or answer.text) + _tail(answer)}, "finish_reason": "stop"}
            ],
            "citations": _citations(answer),
        }

    return router


def _stream(
    service: AnsweringService, question: str, history: list[dict], mode: str, model: str, cid: str, created: int
) -> Iterator[str]:
    """SSE chunks: the answer's text deltas as they come, then the tail (答复口径, 参考条款) with `citations`,
    then [DONE]."""
    yield _chunk(cid, created, model, {"role": "assistant", "content": ""})
    for event in service.stream(question, history=history, mode=mode):
        if isinstance(event, TextDelta):
            if event.text:
                yield _chunk(cid, created, model, {"content": event.text})
            continue
        answer = event.answer
        yield _chunk(cid, created, model, {"content": _tail(answer)}, "stop", citations=_citations(answer))
    yield "data: [DONE]\n\n"
