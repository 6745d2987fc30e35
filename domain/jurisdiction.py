"""Whose policy a document is: the city itself, or one of its districts and county-level cities.

The library serves one city (CITY). A document of a district or county-level city is that body's own rule and
must not be read out as the city-wide one.
"""

from __future__ import annotations

import re

from domain.places import places_named, suzhou_places

CITY = "苏州市"
CITY_SHORT = "苏州"
# County-level cities and districts: a document whose title starts with one of these is that body's policy.
COUNTY_CITIES = ("常熟", "张家港", "昆山", "太仓")
DISTRICTS = ("姑苏", "吴中", "相城", "吴江", "虎丘")


def jurisdiction_of(doc: dict) -> str:
    """A document metadata's jurisdiction; documents that state none are the city's."""
    return doc.get("jurisdiction") or CITY


def jurisdiction_label(jurisdiction: str) -> str:
    """How an answer names whose policy a clause is."""
    if not jurisdiction or jurisdiction == CITY:
        return f"{CITY}（市级）"
    return f"{jurisdiction}（非{CITY}本级）"


def short_jurisdiction_names(jurisdiction: str) -> list[str]:
    """Ways a question names a jurisdiction: 姑苏区 → [姑苏区, 姑苏]; 常熟市 → [常熟市, 常熟]."""
    names = [jurisdiction]
    if len(jurisdiction) >= 3 and jurisdiction[-1] in "市区县镇":
        names.append(jurisdiction[:-1])
    return names


def jurisdictions_named(question: str, known: list[str]) -> list[str]:
    """The known jurisdictions a question names, most specific first. The city's short name alone names the
    city; inside a district's name (苏州市相城区) it does not."""
    named = [j for j in known if j != CITY and any(n in question for n in short_jurisdiction_names(j))]
    if not named and CITY in known and CITY_SHORT in question:
        named.append(CITY)
    return named


def unheld_jurisdictions(question: str, known: list[str]) -> list[str]:
    """The districts, county-level cities and city-level development zones of the city that a question names (a
    town or street by the one it lies in) whose own documents the library does not hold (`known`: the
    jurisdictions it holds documents of): the city's policy applies there, but their own is not at hand."""
    by_name = {p.name: p for p in suzhou_places()}
    out: list[str] = []
    for place in places_named(question):
        while place is not None and not _issues_policy(place):
            place = by_name.get(place.parent)
        if place is not None and place.name not in known and place.name not in out:
            out.append(place.name)
    return out


def _issues_policy(place) -> bool:
    """A district, a county-level city or a development zone administered directly under the city."""
    return place.level in ("district", "county_city") or place.level == "zone" and place.parent == CITY


# A question about the policy of a higher level of government — the state's (国家这轮补贴, 国家层面, national tax
# rate) or the province's (省里按…补, Jiangsu's own subsidy) — asks about documents this library does not hold. A level
# used as a grade (国家级开发区, 省级工业设计中心), a recognition (经国家认定, 入选江苏省目录), or a name (China
# Development Bank, the national AI pilot zone in Suzhou) is not such a policy-maker.
HIGHER_LEVELS: dict[str, re.Pattern] = {
    "国家层面": re.compile(
        r"(?<![经由被获])(?:国家|中央|国务院)层面"
        r"|(?<![经由被获在])(?:国家|中央|国务院)(?:现在|目前|今年|这次|这轮|本轮|最近)?"
        r"(?:(?:能|会|有没有|是否|怎么|如何)?(?:对|这轮|本轮|出台|规定|发布|给予?|按|的政策|奖励|减免)|(?:能|会)补贴)"
        r"|\b(?:national|central[- ]government|state council)\s+(?:[a-z]+\s+){0,3}?(?:tax(?:es)?|laws?|rates?|"
        r"regulations?|rules?|polic(?:y|ies)|subsid(?:y|ies)|schemes?)\b", re.I),
    "江苏省": re.compile(
        r"(?<![经由被获])(?:江苏省|江苏|省级|省)层面"
        r"|(?<![经由被获在])(?:江苏省|江苏|省里|省政府)(?:现在|目前|今年|这次|这轮|本轮|最近)?"
        r"(?:(?:能|会|有没有|是否|怎么|如何)?(?:对|这轮|出台|规定|发布|给予?|按|的政策|奖励|减免)|(?:能|会)补贴?)"
        r"|\b(?:Jiangsu(?: province)?|provincial)(?:'s)?\s+(?:government|authorities|polic(?:y|ies)|subsid(?:y|ies)|rules?)\b",
        re.I),
}


def higher_levels_asked(question: str) -> list[str]:
    """The higher levels of government whose own policy the question asks about (国家层面, 江苏省)."""
    return [level for level, pattern in HIGHER_LEVELS.items() if pattern.search(question)]
