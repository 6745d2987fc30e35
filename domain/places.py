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

# An English name written in capitals (SIP, SND, USA, UK) is an abbreviation: matched only in capitals, so that
# "us" (the pronoun) or "sip" never names a place.
_ABBREVIATION = re.compile(r"^[A-Z.]{2,5}$")


@dataclass(frozen=True)
class Place:
    """One jurisdiction. `level` is one of city, district, county_city, zone, town, street (Suzhou) or country,
    province, region, municipality, sar, city, prefecture, county_city, county, district (elsewhere); `parent` the name of
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
    ("Wujiang District", "in Kunshan"), case-insensitively except abbreviations (SIP). A name that begins an
    institution's or a street's (南京大学, the Beijing Stock Exchange) is not a mention of the place."""
    matcher = _matcher()
    found = [(start, matcher.chinese[form]) for start, form in _chinese_mentions(text, matcher)
             if not _NAMES_AN_INSTITUTION.match(text, start + len(form))]
    found += [(m.start(), matcher.english[_english_key(m.group(0))]) for m in matcher.english_pattern.finditer(text)
              if not _NAMES_AN_INSTITUTION.match(text, m.end())]
    places: list[Place] = []
    for _, place in sorted(found, key=lambda item: item[0]):
        if place not in places:
            places.append(place)
    return places


# A place's name followed by one of these names an institution or a street, not the place: 北京证券交易所, 南京大学,
# 苏州北站, 南京路, the Beijing Stock Exchange, Nanjing University.
_NAMES_AN_INSTITUTION = re.compile(
    r"(?:市|省)?(?:证券交易所|交易所|大学|学院|银行|机场|火车站|北站|南站|东站|西站|路|街|大道|医院|研究院|研究所)"
    r"|\s+(?:stock exchange|securities exchange|university|college|bank|airport|railway station|road|street|avenue|"
    r"hospital|institute)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Matcher:
    chinese: dict[str, Place]
    lengths: tuple[int, ...]  # distinct lengths of the Chinese forms, longest first
    first_chars: frozenset[str]
    english: dict[str, Place]
    english_pattern: re.Pattern[str]


def _chinese_mentions(text: str, matcher: _Matcher) -> list[tuple[int, str]]:
    """Leftmost-longest scan: at each position the longest Chinese form that starts there, then past it.
    A dictionary scan, not a regex of two thousand alternatives: a whole document takes milliseconds."""
    mentions, i = [], 0
    while i < len(text):
        if text[i] in matcher.first_chars:
            form = next((text[i : i + n] for n in matcher.lengths if text[i : i + n] in matcher.chinese), None)
            if form is not None:
                mentions.append((i, form))
                i += len(form)
                continue
        i += 1
    return mentions


@lru_cache(maxsize=1)
def _matcher() -> _Matcher:
    """Lookup tables over every surface form. A surface form naming two places is a gazetteer error, not
    something to guess about."""
    chinese: dict[str, Place] = {}
    english: dict[str, Place] = {}
    for place in (*suzhou_places(), *other_places()):
        for form in place.surface_forms:
            table, key = (english, _english_key(form)) if form.isascii() else (chinese, form)
            other = table.get(key)
            if other is not None and other != place:
                raise ValueError(f"gazetteer: {form!r} names both {other.name} and {place.name}")
            table[key] = place
    english_forms = {form for place in english.values() for form in place.english}
    alternatives = "|".join(_english_pattern(f) for f in sorted(english_forms, key=lambda f: (-len(f), f)))
    # Whole words only: "Wujiang" must not match inside "Wujiangxi", nor "SIP" inside "SIPO".
    pattern = re.compile(rf"(?=[A-Za-z])(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")
    lengths = tuple(sorted({len(form) for form in chinese}, reverse=True))
    return _Matcher(chinese, lengths, frozenset(form[0] for form in chinese), english, pattern)


def _english_pattern(form: str) -> str:
    body = re.escape(form).replace(r"\ ", r"\s+")
    return body if _ABBREVIATION.match(form) else f"(?i:{body})"


def _english_key(form: str) -> str:
    """Lookup key of an English form: abbreviations keep their case (they only match in capitals anyway),
    names fold case and inner whitespace."""
    return form if _ABBREVIATION.match(form) else " ".join(form.lower().split())
