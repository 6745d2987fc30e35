"""The domain records that flow through the pipeline: files → paragraphs → documents → clauses.

Parsing and chunking are pure functions that produce these records; nothing here touches disk or models.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from domain.jurisdiction import CITY

# Where a stretch of a document's paragraphs comes from. Only "body" and "interpretation" yield clauses;
# "notice" yields one low-priority chunk; the rest only feed metadata.
PartKind = Literal["notice", "salutation", "header_note", "body", "sign", "interpretation", "annex_ref"]

# What a clause chunk is. Kinds other than article/item/preamble/closing rank below body clauses.
ClauseKind = Literal["article", "item", "preamble", "closing", "interpretation", "amendment", "notice"]

DocKind = Literal["regulation", "measures", "plan", "opinion", "notice", "amendment", "other"]


@dataclass(frozen=True)
class Paragraph:
    """One reconstructed paragraph: normalised text plus where it starts in its source file (1-based), and on
    which printed page when the source has pages (PDF, OFD, scans; None for plain text)."""

    text: str
    line: int
    page: int | None = None


@dataclass
class Part:
    """A contiguous stretch of one document's paragraphs with one role (body, notice, 解读 …)."""

    kind: PartKind
    paragraphs: list[Paragraph]


@dataclass
class Document:
    """One policy document, as found inside a source file (a file may hold many)."""

    doc_id: str  # stable: derived from the normalised title, so re-ingest keeps ids
    title: str
    title_inferred: bool
    source_files: list[str]  # more than one when the same document sits in several files
    parts: list[Part]
    doc_number: str | None = None  # 文号 of this document itself, e.g. 苏府规字〔2020〕5号
    references: list[str] = field(default_factory=list)  # other 文号 cited in the text
    issuer: str | None = None
    issue_date: str | None = None  # ISO dates, YYYY-MM-DD
    effective_date: str | None = None
    valid_until: str | None = None  # expiry; None = no end date stated
    jurisdiction: str = CITY  # 苏州市, 姑苏区, 相城区, 常熟市, 太仓市 …
    kind: DocKind = "other"
    scheme: Literal["article", "outline"] = "outline"
    aliases: list[str] = field(default_factory=list)
    annexes_missing: list[str] = field(default_factory=list)
    start_line: int = 1  # first line in the (first) source file
    ocr_confidence: dict[int, float] = field(default_factory=dict)  # page → mean OCR confidence (scanned pages)

    def paragraphs(self, *kinds: PartKind) -> list[Paragraph]:
        """All paragraphs of the given part kinds, in document order."""
        return [p for part in self.parts if part.kind in kinds for p in part.paragraphs]

    def metadata(self) -> dict:
        """Flat, JSON-safe document metadata copied onto each of its clauses."""
        return {
            "doc_id": self.doc_id,
            "doc_title": self.title,
            "title_inferred": self.title_inferred,
            "source_files": list(self.source_files),
            "doc_number": self.doc_number,
            "issuer": self.issuer,
            "issue_date": self.issue_date,
            "effective_date": self.effective_date,
            "valid_until": self.valid_until,
            "jurisdiction": self.jurisdiction,
            "doc_kind": self.kind,
            "scheme": self.scheme,
        }


@dataclass
class Clause:
    """One retrievable chunk: a 条, an outline item, a preamble, closing, 解读 item, or a window of one."""

    id: str  # stable: f"{doc_id}:{label}" plus window suffix
    doc_id: str
    label: str  # 第三十五条 · 一、（三） · 三、（八）24. · 序言 · 施行与解释 · 政策解读 二、（四）
    citation: str  # 《苏州市燃气管理办法》第三十五条
    section_path: list[str]  # headings above the clause: ["第五章 安全管理"] or ["一、推动产业集聚发展"]
    kind: ClauseKind
    text: str  # display text, verbatim (normalised) source paragraphs joined by "\n"
    embed_text: str  # text + a short context header; used for embeddings and BM25 only
    line: int  # 1-based line in the document's first source file where the clause begins
    page: int | None = None  # printed page where the clause begins (paged sources only): cited as 第3页
    ocr_confidence: float | None = None  # lowest OCR confidence of its pages; None when not read by OCR
    responsible_units: list[str] = field(default_factory=list)
    lead_units: list[str] = field(default_factory=list)
    inherited_units: list[str] = field(default_factory=list)
    trailers_raw: list[str] = field(default_factory=list)
    rolled_up_children: list[str] = field(default_factory=list)
    window: str = "1/1"  # "2/3" for the second window of a long clause
    doc: dict = field(default_factory=dict)  # Document.metadata()

    def to_record(self) -> dict:
        """JSON-safe dict (export, manifest, API)."""
        return asdict(self)
