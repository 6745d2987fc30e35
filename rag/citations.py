"""Citations: the clauses an answer rests on, their validity and jurisdiction, and checking [n] markers.

Whatever wrote the answer text (the extractive answerer or an LLM), a marker [n] is only kept when n names a
clause that was actually retrieved and shown; a sentence left without any valid marker is reported as
unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ingest.model import Clause
from rag.types import Citation
from domain.jurisdiction import CITY, jurisdiction_label, jurisdiction_of
from domain.validity import validity_of

# [3] [3,5] [3、5] [3][5] and the full-width 【3】 ［3］ an LLM sometimes writes.
_MARKER = re.compile(r"[\[【［]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】］]")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
# Short connective lines ("根据现有政策：", "具体如下：") and list headings are not claims.
_NOT_A_CLAIM = re.compile(r"^([#>*\-\s\d.、]*)$|[：:]\s*$")
MIN_CLAIM_CHARS = 8
# A government body named in a clause's text: 市燃气管理部门, 道路运输管理机构, 市人力资源和社会保障局.
_UNIT_IN_TEXT = re.compile(r"(?:市、县级市|市、区|市|区|县级市|县)?[\u4e00-\u9fff]{2,12}?(?:管理部门|主管部门|管理机构|委员会|局)(?![\u4e00-\u9fff]{0,1}长)")


def units_of(clauses: Iterable[Clause]) -> list[str]:
    """Responsible departments of clauses: lead units first, then the rest, then inherited ones; no repeats."""
    out: list[str] = []
    for attr in ("lead_units", "responsible_units", "inherited_units"):
        for clause in clauses:
            for unit in getattr(clause, attr):
                if unit not in out:
                    out.append(unit)
    return out


def make_citation(n: int, clause: Clause, today: date) -> Citation:
    validity, expired = validity_of(clause.doc, today)
    return Citation(
        n=n,
        id=clause.id,
        citation=clause.citation,
        label=clause.label,
        text=clause.text,
        doc=dict(clause.doc),
        validity=validity,
        expired=expired,
        responsible_units=units_of([clause]),
        page=clause.page,
        ocr_confidence=clause.ocr_confidence,
    )


@dataclass
class CheckedText:
    text: str  # invalid markers removed
    cited: list[int]  # valid marker numbers, in order of first use
    unsupported: list[str]  # sentences (claims) without a valid marker
    invalid: list[int]  # marker numbers that named no retrieved clause


def check_markers(text: str, available: int) -> CheckedText:
    """Keep markers [n] with 1 ≤ n ≤ available, drop the rest, and list claim sentences left uncited."""
    cited: list[int] = []
    invalid: list[int] = []

    def keep_valid(match: re.Match) -> str:
        numbers = [int(x) for x in re.split(r"\s*[,，、]\s*", match[1].strip())]
        good = [n for n in numbers if 1 <= n <= available]
        invalid.extend(n for n in numbers if not 1 <= n <= available)
        cited.extend(n for n in good if n not in cited)
        return "".join(f"[{n}]" for n in good)

    cleaned = _MARKER.sub(keep_valid, text)
    unsupported = [
        s.strip()
        for s in _SENTENCE_END.split(cleaned)
        if _is_claim(s) and not re.search(r"\[\d+\]", s)
    ]
    return CheckedText(cleaned, cited, unsupported, invalid)


def _is_claim(sentence: str) -> bool:
    s = sentence.strip()
    return len(s) >= MIN_CLAIM_CHARS and not _NOT_A_CLAIM.search(s) and not s.startswith("未在现有政策文件中找到")


def citation_list(citations: list[Citation]) -> str:
    """The reference list printed under an answer: [n] 《…》label（第3页）（validity）."""
    return "\n".join(f"[{c.n}] {c.citation}{page_note(c.page)}（{c.validity}）" for c in citations)


def page_note(page: int | None) -> str:
    """（第3页） for a clause of a paged source; nothing for text files."""
    return f"（第{page}页）" if page else ""


@dataclass
class Departments:
    """Who is responsible, and on what the answer says so: a clause's 责任单位 trailer, the body its text charges
    with the matter, or nothing stated (`units` empty)."""

    units: list[str]
    source: Citation | None = None
    from_trailer: bool = False


def departments_asked(asked: str, citations: list[Citation]) -> Departments | None:
    """The departments to name when the question asks who is responsible (找哪个部门, 谁负责); None otherwise."""
    from rag.answerability import asked_slots

    if "department" not in asked_slots(asked):
        return None
    for c in citations:
        if c.responsible_units:
            return Departments(c.responsible_units[:4], c, from_trailer=True)
    for c in citations:  # no 责任单位 trailer: the body that the clause itself charges with the matter
        found = list(dict.fromkeys(m.group(0) for m in _UNIT_IN_TEXT.finditer(c.text)))
        named = [u for u in found if not any(u != other and u in other for other in found)]
        if named:
            return Departments(named[:3], c)
    return Departments([])


def validity_notes(citations: list[Citation]) -> list[str]:
    """One note per cited document that is expired or not yet in force."""
    notes, seen = [], set()
    for c in citations:
        title = c.doc.get("doc_title") or c.citation
        if title in seen:
            continue
        seen.add(title)
        if c.expired:
            notes.append(f"《{title}》{c.validity}，相关条款仅供参考，请以现行有效政策为准。")
        elif c.validity.startswith("尚未施行"):
            notes.append(f"《{title}》{c.validity}。")
    return notes


def jurisdictions_of(citations: list[Citation]) -> list[str]:
    out: list[str] = []
    for c in citations:
        place = jurisdiction_of(c.doc)
        if place not in out:
            out.append(place)
    return out
