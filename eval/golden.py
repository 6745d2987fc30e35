"""Golden Q&A sets: JSONL files in the format of docs/golden-format.md, read into `GoldenItem`s.

Only the fields the harness scores with are kept; unknown extra fields are ignored so any golden file in the
format works, including ones written after this code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rag.translate import is_latin

UNANSWERABLE = "unanswerable"
HOTLINE = "hotline"


@dataclass(frozen=True)
class GoldenItem:
    id: str
    question: str
    type: str
    persona: str
    answer: str = ""  # the reference answer
    doc_title: str | None = None
    clause: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    key_facts: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.type != UNANSWERABLE

    @property
    def mode(self) -> str:
        """Hotline staff paste a citizen's message; everyone else chats."""
        return "hotline" if self.persona == HOTLINE else "chat"

    @property
    def language(self) -> str:
        return detect_language(self.question)


def load_golden(path: Path) -> list[GoldenItem]:
    """Every item of a golden JSONL file; blank lines are skipped, a malformed line names its line number."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(parse_item(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a golden item ({exc})") from exc
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate ids {sorted({i for i in ids if ids.count(i) > 1})}")
    return items


def parse_item(record: dict) -> GoldenItem:
    return GoldenItem(
        id=str(record["id"]),
        question=record["question"],
        type=record["type"],
        persona=record.get("persona") or "enterprise",
        answer=record.get("answer") or "",
        doc_title=record.get("doc_title"),
        clause=_as_list(record.get("clause")),
        evidence=_as_list(record.get("evidence")),
        key_facts=_as_list(record.get("key_facts")),
    )


def _as_list(value) -> list[str]:
    """Single-clause items give a string, multi-clause items a list, unanswerable ones null."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def detect_language(text: str) -> str:
    """"en" for an English question, as the assistant itself tells them apart (rag.translate.is_latin)."""
    return "en" if is_latin(text) else "zh"
