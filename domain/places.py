"""Places: Suzhou's own jurisdictions (the city, its districts, county-level cities, towns and streets) and the
places outside it (China's provinces and cities, a few countries), each with its short forms and English names.

A question names a place to say whose policy it wants: 吴江区 prefers the 吴江 documents, 杭州 or Hangzhou asks
about a city whose documents the library does not hold. `places_named` finds them in Chinese or English text.
The two gazetteers are reviewed data files in `domain/data/`: `places.tsv` (Suzhou) and `other_places.tsv`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")
SUZHOU_FILE = DATA_DIR / "places.tsv"
OTHER_FILE = DATA_DIR / "other_places.tsv"
CITY = "苏州市"

# An English name written in capitals (SIP, SND, USA, UK) is an abbreviation: matched only in capitals, so that
# "us" (the pronoun) or "sip" never names a place.
_ABBREVIATION = re.compile(r"^[A-Z.]{2,5}$")


@dataclass(frozen=True)
class Place:
    """One jurisdiction. `level` is one of city, district, county_city, zone, town, street (Suzhou) or country,
    province, region, municipality, sar, city, county_city, county, district (elsewhere); `parent` the name of
    the enclosing place ("" for a country); `aliases` the other Chinese forms (短称 and full names);
    `english` the English and pinyin names, the usual one first."""

    name: str
    level: str
    parent: str
    aliases: tuple[str, ...] = ()
    english: tuple[str, ...] = ()

    @property
    def surface_forms(self) -> tuple[str, ...]:
        """Every form a text may use for this place: the name, its aliases, its English names."""
        return (self.name, *self.aliases, *self.english)


def parse_places(text: str) -> list[Place]:
    """Places from gazetteer TSV text: `name, level, parent, aliases, english`, lists |-separated, # comments."""
    places = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, level, parent, aliases, english = (line.split("\t") + [""] * 5)[:5]
        places.append(Place(name, level, parent, _split_list(aliases), _split_list(english)))
    return places


def _split_list(field: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in field.split("|") if item.strip())


@lru_cache(maxsize=1)
def suzhou_places() -> tuple[Place, ...]:
    """Suzhou itself and every jurisdiction inside it (`places.tsv`)."""
    return tuple(parse_places(SUZHOU_FILE.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def other_places() -> tuple[Place, ...]:
    """Places outside Suzhou (`other_places.tsv`), including the province and country that contain it."""
    return tuple(parse_places(OTHER_FILE.read_text(encoding="utf-8")))


def in_suzhou(place: Place) -> bool:
    """Whether `place` is Suzhou or lies inside it (a district, a county-level city, a town …)."""
    return place.name in {p.name for p in suzhou_places()}


def ancestors(place: Place) -> list[Place]:
    """The places enclosing `place`, nearest first: 木渎镇 → 吴中区, 苏州市, 江苏省, 中国."""
    by_name = {p.name: p for p in (*suzhou_places(), *other_places())}
    chain, seen = [], {place.name}
    parent = by_name.get(place.parent)
    while parent is not None and parent.name not in seen:
        chain.append(parent)
        seen.add(parent.name)
        parent = by_name.get(parent.parent)
    return chain


def places_named(text: str) -> list[Place]:
    """The places a Chinese or English text names, in order of first mention, each once.

    Matching is leftmost-longest over every surface form, so 苏州工业园区 is one mention (not 苏州 plus a park)
    and 苏州市 is one mention of Suzhou (not 苏州 and 苏州市). English names match whole words only
    ("Wujiang District", "in Kunshan"), case-insensitively except abbreviations (SIP)."""
    places: list[Place] = []
    for match in _matcher().pattern.finditer(text):
        place = _matcher().by_surface[_surface_key(match.group(0))]
        if place not in places:
            places.append(place)
    return places


@dataclass(frozen=True)
class _Matcher:
    pattern: re.Pattern[str]
    by_surface: dict[str, Place]


@lru_cache(maxsize=1)
def _matcher() -> _Matcher:
    """One regex over every surface form, longest first so that an alternation prefers the longest form at a
    position. A surface form naming two places is a gazetteer error, not something to guess about."""
    by_surface: dict[str, Place] = {}
    for place in (*suzhou_places(), *other_places()):
        for form in place.surface_forms:
            key = _surface_key(form)
            other = by_surface.get(key)
            if other is not None and other != place:
                raise ValueError(f"gazetteer: {form!r} names both {other.name} and {place.name}")
            by_surface[key] = place
    forms = {form for place in by_surface.values() for form in place.surface_forms}
    pattern = "|".join(_form_pattern(form) for form in sorted(forms, key=lambda f: (-len(f), f)))
    return _Matcher(re.compile(pattern), by_surface)


def _form_pattern(form: str) -> str:
    if not form.isascii():
        return re.escape(form)
    # Whole words only: "Wujiang" must not match inside "Wujiangxi", nor "SIP" inside "SIPO".
    body = re.escape(form).replace(r"\ ", r"\s+")
    body = body if _ABBREVIATION.match(form) else f"(?i:{body})"
    return rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])"


def _surface_key(form: str) -> str:
    """Lookup key of a matched form: abbreviations keep their case (they only match in capitals anyway),
    English names fold case and inner whitespace."""
    if not form.isascii():
        return form
    return form if _ABBREVIATION.match(form) else " ".join(form.lower().split())
