"""English question → Chinese pseudo-query, through the term map (domain/data/en_zh_terms.tsv: the corpus's own
vocabulary with its English glosses) and the gazetteer. No machine translation: the pseudo-query is a bag of the
corpus terms the question names, longest phrase first, plus the Chinese the question already contains (独角兽,
首台套) and the Chinese names of the places it names (Wujiang → 吴江区), so that BM25, a second dense query, the
place preference and title matching all work for English questions too.
"""

from __future__ import annotations

import re
from functools import lru_cache

from domain.places import places_named
from domain.terms import load_term_map

MAX_PHRASE_WORDS = 5
TERMS_PER_PHRASE = 2  # a phrase's best corpus terms (subsidy → 补贴 补助)
# English words that carry no topic of their own; a phrase made only of these is not looked up.
FUNCTION_WORDS = frozenset(
    """a an the of to for in on at by with about from into and or but if is are was were be been can could would
    should will shall may might must do does did how what which who whom whose when where why there this that
    these those it its i we you he she they me us my our your their any some much many more most other each
    please tell get got give given have has had need needs want know let""".split()
)
_CJK_SPAN = re.compile(r"[\u4e00-\u9fff]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]*")


def is_latin(question: str) -> bool:
    """Mostly non-Chinese text (an English question)."""
    return len(_CJK.findall(question)) < max(2, len(question) // 10)


@lru_cache(maxsize=2048)
def to_chinese(question: str) -> str:
    """The Chinese pseudo-query of an English question ("" when nothing maps)."""
    parts = _CJK_SPAN.findall(question)
    parts += [p.name for p in places_named(question)]
    parts += mapped_terms(question)
    seen: list[str] = []
    for part in parts:
        if part not in seen:
            seen.append(part)
    return " ".join(seen)


def mapped_terms(question: str) -> list[str]:
    """Corpus terms for the English phrases of a question, longest phrase first, each word used once."""
    term_map = load_term_map()
    words = [w.lower() for w in _WORD.findall(question)]
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
            chunk = words[i : i + size]
            if all(w in FUNCTION_WORDS for w in chunk):
                continue
            targets = _lookup(" ".join(chunk), term_map)
            if targets:
                out += targets[:TERMS_PER_PHRASE]
                i += size
                break
        else:
            i += 1
    return out


def _lookup(phrase: str, term_map: dict[str, list[str]]) -> list[str]:
    """A phrase's corpus terms; plural forms fall back to the singular (subsidies → subsidy)."""
    if phrase in term_map:
        return term_map[phrase]
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", "")):
        if phrase.endswith(suffix) and len(phrase) > len(suffix) + 2:
            singular = phrase[: -len(suffix)] + replacement
            if singular in term_map:
                return term_map[singular]
    return []
