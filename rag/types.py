"""The result types every answerer returns, whatever produced the text (extractive or LLM)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

ModeName = Literal["chat", "hotline"]


@dataclass
class Retrieved:
    """One clause as ranked by retrieval (before answering)."""

    rank: int  # 1-based
    id: str
    citation: str
    doc_title: str
    label: str
    text: str
    score: float
    kind: str = "item"
    doc: dict = field(default_factory=dict)  # document metadata (Document.metadata())


@dataclass
class Citation:
    """A clause the answer rests on; `n` is the [n] marker used in the answer text."""

    n: int
    id: str
    citation: str  # 《…》label
    label: str
    text: str  # the clause's full display text
    doc: dict  # document metadata: title, 文号, issuer, dates, jurisdiction, kind
    validity: str  # human-readable: 有效 / 已过期（有效期至2020年12月31日） / 未注明有效期
    expired: bool
    responsible_units: list[str] = field(default_factory=list)
    page: int | None = None  # the page the clause starts on, for paged sources (PDF, OFD, scans)
    ocr_confidence: float | None = None  # lowest OCR confidence of its pages; None when not read by OCR


@dataclass
class Answer:
    question: str  # as asked (PII-masked in hotline mode)
    text: str  # answer with [n] markers and its reference list; refusals open with rag.frames wording (未在现有政策文件中找到 …)
    citations: list[Citation]
    refused: bool
    retrieved: list[Retrieved]
    validity_notes: list[str] = field(default_factory=list)
    responsible_units: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # e.g. "LLM 服务超时，已改用摘录式回答"
    standalone_question: str | None = None  # the rewritten follow-up, when history changed it
    mode: ModeName = "chat"
    answerer: Literal["extractive", "llm"] = "extractive"
    # hotline mode only
    questions: list[str] = field(default_factory=list)  # the question(s) found in a citizen's message
    reply_script: str | None = None  # 答复口径, cites clauses with [n]
    unsupported_sentences: list[str] = field(default_factory=list)  # LLM sentences with no valid marker
    body: str = ""  # the answer text without the reference list (what a stream sends as text deltas)
    answerable: bool = True  # the answerability decision (rag/answerability.py) …
    reasons: list[str] = field(default_factory=list)  # … and, when not answerable or tentative, why
    tentative: bool = False  # answered on weak evidence: the clauses may not answer the question (see notices)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer text, as it is produced (LLM tokens, or the extractive answer's sentences)."""

    text: str


@dataclass(frozen=True)
class FinalAnswer:
    """The last event of every stream: the whole, checked Answer (its text equals the deltas joined, unless
    validation replaced it, e.g. an LLM answer that fell back to the extractive one)."""

    answer: Answer


StreamEvent = TextDelta | FinalAnswer
