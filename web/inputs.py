"""What a request may carry: size limits shared by the UI and every endpoint, and validated text types.

Every limit is checked before the assistant sees the input, so no request can make it work on more than
MAX_TOTAL_CHARS characters; a rejection names the limit and never echoes the input back.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from domain.jurisdiction import CITY
from rag.modes import MAX_QUESTION_CHARS  # the one question limit: the assistant's, the API's and the UI's counter

MAX_MESSAGE_CHARS = 5000  # a hotline message (one pasted call record)
MAX_HISTORY_TURNS = 20
MAX_MESSAGES = 2 * MAX_HISTORY_TURNS + 8  # /v1 messages: the history, the question, a few system prompts
MAX_TOTAL_CHARS = 20_000  # all text of one request together (history included)
MAX_COMMENT_CHARS = 2000
MAX_ANSWER_CHARS = 4 * MAX_MESSAGE_CHARS
MAX_CITATIONS = 20
MAX_ID_CHARS = 300
MAX_FILTER_VALUES = 50
# Request bodies above these sizes are refused (413) before they are read. JSON: MAX_TOTAL_CHARS characters
# written as \uXXXX escapes (6 bytes each) plus field names and history fields; uploads: the file limit plus
# multipart overhead.
MAX_JSON_BODY_BYTES = 256 * 1024
UPLOAD_OVERHEAD_BYTES = 64 * 1024

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(value: str) -> str:
    """Refuse lone UTF-16 surrogates ("\\ud800" in JSON): Python keeps them in a str, but no UTF-8 encoder (the
    response, SQLite, the tokenizer) can write them, so they would fail deep inside instead of here."""
    if _SURROGATE.search(value):
        raise ValueError("文本含有无效的 Unicode 字符（孤立的代理码位）")
    return value


Text = Annotated[str, AfterValidator(valid_unicode)]


def total_chars(*texts: str) -> int:
    return sum(len(t) for t in texts)


def check_total(chars: int) -> None:
    if chars > MAX_TOTAL_CHARS:
        raise ValueError(f"请求中的文字总量过大：最多 {MAX_TOTAL_CHARS} 字，收到 {chars} 字")


_IN_FORCE_WORDS = {"true": True, "1": True, "yes": True, "有效": True,
                   "false": False, "0": False, "no": False, "已过期": False, "失效": False}

Value = Annotated[Text, Field(max_length=MAX_ID_CHARS)]
Values = Value | Annotated[list[Value], Field(max_length=MAX_FILTER_VALUES)]


class RetrievalFilters(BaseModel):
    """Retrieval filters of /api/ask. Unknown keys and wrong types are refused rather than silently ignored or
    misread (`"in_force": "maybe"` used to mean "expired only")."""

    model_config = ConfigDict(extra="forbid")
    doc_id: Values | None = Field(default=None, description="文件 id（一个或多个）")
    document: Value | None = Field(default=None, description="标题（或其一部分）")
    doc_title: Value | None = Field(default=None, description="同 document")
    jurisdiction: Values | None = Field(default=None, description=f"适用地区，如 {CITY}、姑苏区")
    in_force: bool | None = Field(default=None, description="true：只看现行有效；false：只看已过期")
    kind: Values | None = Field(default=None, description="条款类型：article/item/…")
    doc_kind: Values | None = Field(default=None, description="文件类型：regulation/measures/…")

    @field_validator("in_force", mode="before")
    @classmethod
    def _in_force(cls, v):
        if v is None or isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in _IN_FORCE_WORDS:
            return _IN_FORCE_WORDS[v.strip().lower()]
        raise ValueError("in_force 只能是 true 或 false（或“有效”/“已过期”）")

    def as_dict(self) -> dict:
        return self.model_dump(exclude_none=True)
