"""Whose policy a document is: the city itself, or one of its districts and county-level cities.

The library serves one city (CITY). A document of a district or county-level city is that body's own rule and
must not be read out as the city-wide one.
"""

from __future__ import annotations

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
