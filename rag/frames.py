"""The language an answer is framed in. The clause text is always quoted verbatim in Chinese (no machine
translation is claimed); what surrounds it — the lead-in, the department line, whose policy it is, the refusal —
follows the question's language.
"""

from __future__ import annotations

from datetime import date

from domain.jurisdiction import CITY, jurisdiction_label
from domain.numerals import cn_to_int
from domain.terms import department_english
from rag.citations import Departments, jurisdictions_of
from rag.translate import is_latin
from rag.types import Citation


class ChineseFrame:
    def lead(self, citation: Citation) -> str:
        return f"根据{citation.citation}："

    def departments(self, found: Departments | None) -> str:
        if found is None:
            return ""
        if not found.units:
            return "所引条款未写明负责部门，可向文件的发文机关咨询。"
        how = "所列责任单位" if found.from_trailer else "的规定"
        return f"负责部门：{'、'.join(found.units)}（据{found.source.citation}{how}）[{found.source.n}]。"

    def jurisdiction(self, citations: list[Citation], asked: list[str]) -> str:
        """Whose policy the answer quotes, so a caller is not told another district's rule as theirs."""
        places = jurisdictions_of(citations)
        if not places:
            return ""
        text = "以上依据为" + "、".join(jurisdiction_label(p) for p in places) + "政策。"
        # A city-wide policy applies in every district; another district's or county-level city's does not.
        foreign = [p for p in places if asked and p not in asked and p != CITY]
        if foreign:
            text += f"您询问的是{'、'.join(asked)}，其中" + "、".join(foreign) + "的规定不一定适用于" + "、".join(asked) + "。"
        return text


class EnglishFrame(ChineseFrame):
    """For an English question: English words around the verbatim Chinese quote."""

    def lead(self, citation: Citation) -> str:
        return f"Under {english_label(citation)} of 《{citation.doc.get('doc_title') or ''}》 ({english_validity(citation)}): "

    def departments(self, found: Departments | None) -> str:
        if found is None:
            return ""
        if not found.units:
            return "Department: the cited clauses name none; ask the issuing authority."
        names = ", ".join(_glossed(u) for u in found.units)
        how = "the responsible units listed under" if found.from_trailer else "the text of"
        return f"Department: {names} (from {how} {english_label(found.source)}) [{found.source.n}]."

    def jurisdiction(self, citations: list[Citation], asked: list[str]) -> str:
        places = jurisdictions_of(citations)
        if not places:
            return ""
        named = ", ".join("Suzhou (city-wide)" if p == CITY else f"{p} (not city-wide)" for p in places)
        return f"These are the policies of {named}."


def english_label(citation: Citation) -> str:
    """第三十五条 → Article 35; an outline label stays as printed: item 一、（三）."""
    label = citation.label
    if label.startswith("第") and label.endswith("条"):
        number = cn_to_int(label[1:-1])
        if number:
            return f"Article {number}"
    return f"item {label}"


def english_validity(citation: Citation) -> str:
    until = citation.doc.get("valid_until")
    if citation.expired and until:
        return f"expired on {_english_date(until)}"
    if citation.validity.startswith("尚未施行"):
        return "not yet in force"
    if until:
        return f"in force until {_english_date(until)}"
    return "in force; no end date stated"


def _english_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _glossed(unit: str) -> str:
    english = department_english(unit)
    return f"{unit} ({english})" if english else unit


CHINESE, ENGLISH = ChineseFrame(), EnglishFrame()


def frame_for(question: str) -> ChineseFrame:
    """The English frame for an English question, the Chinese one otherwise."""
    return ENGLISH if is_latin(question) else CHINESE
