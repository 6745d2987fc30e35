"""Whether a clause's document is in force on a given day, and whose policy it is.

Validity depends on the day of the question, so it is judged here at answer time from the document's
`valid_until` / `effective_date`, never stored as a flag in the index.
"""

from __future__ import annotations

from datetime import date

IN_FORCE = "有效"
UNSTATED = "未注明有效期"


def _cn_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def validity_of(doc: dict, today: date) -> tuple[str, bool]:
    """(human-readable validity, expired) of a document's metadata on `today`:
    有效（有效期至2027年12月31日） / 已过期（有效期至2020年12月31日） / 尚未施行（自…起施行） / 有效 / 未注明有效期."""
    until, start = doc.get("valid_until"), doc.get("effective_date")
    if until and date.fromisoformat(until) < today:
        return f"已过期（有效期至{_cn_date(until)}）", True
    if start and date.fromisoformat(start) > today:
        return f"尚未施行（自{_cn_date(start)}起施行）", False
    if until:
        return f"{IN_FORCE}（有效期至{_cn_date(until)}）", False
    return UNSTATED, False


def is_expired(doc: dict, today: date) -> bool:
    return validity_of(doc, today)[1]


def jurisdiction_label(jurisdiction: str) -> str:
    """How an answer names whose policy a clause is: the city itself, or a district / county-level city that
    a caller must not mistake for the city-wide rule."""
    if not jurisdiction or jurisdiction == "苏州市":
        return "苏州市（市级）"
    return f"{jurisdiction}（非苏州市本级）"


def short_jurisdiction_names(jurisdiction: str) -> list[str]:
    """Ways a question names a jurisdiction: 姑苏区 → [姑苏区, 姑苏]; 常熟市 → [常熟市, 常熟]."""
    names = [jurisdiction]
    if len(jurisdiction) >= 3 and jurisdiction[-1] in "市区县镇":
        names.append(jurisdiction[:-1])
    return names


def jurisdictions_named(question: str, known: list[str]) -> list[str]:
    """The known jurisdictions a question names, most specific first. 苏州 alone names the city; 苏州 inside a
    district's name (苏州市相城区) does not."""
    named = [j for j in known if j != "苏州市" and any(n in question for n in short_jurisdiction_names(j))]
    if not named and "苏州市" in known and "苏州" in question:
        named.append("苏州市")
    return named

