"""English question → Chinese pseudo-query, through the term map (domain/data/en_zh_terms.tsv: the corpus's own
vocabulary with its English glosses) and the gazetteer. No machine translation: the pseudo-query is a bag of the
corpus terms the question names, longest phrase first, plus the Chinese the question already contains (独角兽,
首台套) and the Chinese names of the places it names (Wujiang → 吴江区), so that BM25, a second dense query, the
place preference and title matching all work for English questions too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from domain.places import places_named
from domain.terms import load_absent_words, load_english_stopwords, load_term_map

MAX_PHRASE_WORDS = 5
TERMS_PER_PHRASE = 2  # a phrase's best corpus terms (subsidy → 补贴 补助)
# English words that carry no topic of their own; a phrase made only of these is not looked up: a standard stop
# list, and the words every question to an assistant uses.
FUNCTION_WORDS = load_english_stopwords() | frozenset(
    """a an the of to for in on at by with about from into and or but if is are was were be been can could would
    should will shall may might must do does did how what which who whom whose when where why there this that
    these those it its i we you he she they me us my our your their any some much many more most other each
    please tell get got give given have has had need needs want know let s him her his them hers ours yours theirs
    mine""".split()
)
_CJK_SPAN = re.compile(r"[\u4e00-\u9fff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# A word: letters, kept whole across "&" (R&D); hyphens and apostrophes split (silver-economy → silver economy,
# Suzhou's → suzhou s), so hyphenated compounds meet the map's space-separated keys.
_WORD = re.compile(r"[A-Za-z]+(?:&[A-Za-z]+)*")


@dataclass(frozen=True)
class Phrase:
    """A stretch of an English question: the words as asked and the corpus terms the map gives them (best first;
    empty when the map does not know the word)."""

    words: tuple[str, ...]
    terms: tuple[str, ...]
    capitalised: bool  # as typed: a capitalised word inside a sentence the map does not know is usually a name


def is_latin(question: str) -> bool:
    """An English question: Latin letters outnumber Chinese characters. Counting characters keeps an English
    question that names a Chinese term or district (Does 姑苏区 support 独角兽 firms?) English, and a Chinese one
    that says AI or AEC-Q100 Chinese."""
    return len(_LATIN.findall(question)) > len(_CJK.findall(question))


@lru_cache(maxsize=2048)
def to_chinese(question: str) -> str:
    """The Chinese pseudo-query of an English question ("" when nothing maps)."""
    return " ".join(dict.fromkeys(term for group in term_groups(question) for term in group))


@lru_cache(maxsize=2048)
def term_groups(question: str) -> tuple[tuple[str, ...], ...]:
    """What an English question asks about, one group of interchangeable Chinese terms per thing: each Chinese
    span it contains, each place it names, each English phrase the map knows (its best corpus terms: subsidy →
    补贴 补助). A clause covers a group when it uses any of its terms; the pseudo-query is all of them."""
    groups = [(span,) for span in _CJK_SPAN.findall(question)]
    groups += [(p.name,) for p in places_named(question)]
    groups += [phrase.terms[:TERMS_PER_PHRASE] for phrase in english_phrases(question) if phrase.terms]
    return tuple(groups)


def english_phrases(question: str) -> list[Phrase]:
    """The question's English words grouped into the longest phrases the term map knows (up to MAX_PHRASE_WORDS),
    left to right; a word the map does not know is a phrase of its own with no terms. Function words alone are
    never looked up and never returned."""
    return list(_phrases(question))


@lru_cache(maxsize=2048)
def _phrases(question: str) -> tuple[Phrase, ...]:
    """Remembered: retrieval, the answerer and answerability each read a question's phrases."""
    term_map = load_term_map()
    tokens = _WORD.findall(question)
    words = [t.lower() for t in tokens]
    out: list[Phrase] = []
    i = 0
    while i < len(words):
        for size in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
            chunk = words[i : i + size]
            if all(w in FUNCTION_WORDS for w in chunk):
                continue
            targets = _lookup(" ".join(chunk), term_map) or _composed(chunk, term_map)
            if targets or size == 1 or _is_absent_phrase(" ".join(chunk)):
                out.append(Phrase(tuple(chunk), tuple(targets), tokens[i][:1].isupper() and i > 0))
                i += size
                break
        else:
            i += 1
    return tuple(out)


def _is_absent_phrase(phrase: str) -> bool:
    """A phrase of several words that names what the corpus never mentions (maternity leave): kept whole, so it
    is not read word by word as things the corpus does mention (leave → 离开)."""
    absent = load_absent_words()
    return " " in phrase and any(form in absent for form in (phrase, *base_forms(phrase)))


def _composed(words: list[str], term_map: dict[str, list[str]]) -> list[str]:
    """A phrase the map lacks whose words' own terms, put together in order, are a term of the corpus: residence
    permit → 居留 + 许可 → 居留许可, where word by word it would read 住所, 许可 (two other things)."""
    if len(words) < 2:
        return []
    parts = [_lookup(w, term_map) for w in words]
    if not all(parts):
        return []
    known = _corpus_terms()
    return [term for term in ("".join(p) for p in product(*parts)) if term in known][:1]


@lru_cache(maxsize=1)
def _corpus_terms() -> frozenset[str]:
    """Every Chinese term the map gives (each occurs in the corpus)."""
    return frozenset(t for targets in load_term_map().values() for t in targets)


def _lookup(phrase: str, term_map: dict[str, list[str]]) -> list[str]:
    """A phrase's corpus terms; an inflected last word falls back to its base form (subsidies → subsidy,
    improving → improve)."""
    for form in (phrase, *base_forms(phrase)):
        if form in term_map:
            return term_map[form]
    return []


# Regular English endings and what the base form ends in instead, most specific first.
_ENDINGS = (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""),
            ("ion", ""), ("ion", "e"), ("ment", ""))  # protection → protect, regulation → regulate, investment → invest


# British spellings and their American forms, which the term map (CC-CEDICT) mostly knows: recognised → recognized,
# analyse → analyze, labour → labor, programme → program, licence → license, advisor → adviser. Only tried after
# the word as written; -re → -er is not among them (a metre is no taxi meter).
_AMERICAN = tuple((re.compile(pattern), replacement) for pattern, replacement in (
    (r"(?<=\w{3})is(e|es|ed|ing|er|ers|ation|ations)\b", r"iz\1"),
    (r"(?<=\w{2})ys(e|es|ed|ing)\b", r"yz\1"),
    (r"(?<=\w{3})our(s|ed|ing|able)?\b", r"or\1"),  # not hour, four, your
    (r"(?<=\w{4})mme(s?)\b", r"m\1"),
    (r"\b(lic|def|off|pret)ence(s?)\b", r"\1ense\2"),
    (r"visor(s?)\b", r"viser\1"),
))


def _american(phrase: str) -> str:
    """The phrase in American spelling (see _AMERICAN); the phrase itself when it has no British spelling."""
    for pattern, replacement in _AMERICAN:
        phrase = pattern.sub(replacement, phrase)
    return phrase


def base_forms(phrase: str) -> list[str]:
    """Candidate base forms of a phrase's last word by the regular English endings (subsidies → subsidy;
    classes → class; prices → price; improving → improve; planned → plan; protection → protect), then the same
    for its American spelling (recognised → recognized, recognize)."""
    forms = _endings(phrase)
    spelled = _american(phrase)
    return forms + [spelled, *_endings(spelled)] if spelled != phrase else forms


def _endings(phrase: str) -> list[str]:
    """The phrase with its last word's regular ending taken off (see base_forms)."""
    forms = []
    for suffix, replacement in _ENDINGS:
        if phrase.endswith(suffix) and len(phrase) > len(suffix) + 2:
            stem = phrase[: -len(suffix)]
            forms.append(stem + replacement)
            if not replacement and len(stem) > 2 and stem[-1] == stem[-2]:  # planned → plan, running → run
                forms.append(stem[:-1])
    return forms
