"""Direct lookups: a question that names a 文号, or a document plus a clause, is answered by that clause first.

Pure functions over clause records. Titles are matched by fuzzy containment (the longest stretch of the title
that the question repeats), because people shorten titles: 燃气管理办法 for 《苏州市燃气管理办法》.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from domain.jurisdiction import CITY_SHORT
from domain.docnumber import doc_number_key, doc_numbers_in, same_doc_number
from domain.numerals import CN_NUMERAL, cn_to_int, int_to_cn
from ingest.model import Clause

_ARTICLE_REF = re.compile(rf"第\s*({CN_NUMERAL}{{1,4}}|\d{{1,3}})\s*条")
# An outline path such as 一、（三）, 三、（八）24., （三）.
_OUTLINE_REF = re.compile(
    rf"(?:({CN_NUMERAL}{{1,3}})、)?\s*(?:[（(]({CN_NUMERAL}{{1,3}})[）)])?\s*(?:(\d{{1,2}})\s*[.．、])?"
)

# Title parts that many documents share; a match made only of these names no document in particular.
_GENERIC = re.compile(
    rf"^({CITY_SHORT}市?|关于|进一步|若干|政策|措施|意见|实施|方案|计划|行动|办法|管理|发展|高质量|推动|促进|加快|的|和|、|"
    r"工作|创新|产业|建设|年|\d|（|）|～|-)+$"
)
MIN_TITLE_MATCH = 4  # characters of title a question must repeat to name a document


@dataclass(frozen=True)
class ClauseRef:
    """A clause named in a question: an article number, an outline path, or both."""

    article: int | None = None  # 第N条
    path: str | None = None  # canonical outline path: 一、（三） / （三） / 三、（八）24.


# --- 文号 ---------------------------------------------------------------------------------------------------


def documents_by_number(question: str, doc_numbers: dict[str, str | None]) -> list[str]:
    """Ids of the documents whose own 文号 the question names (`doc_numbers`: doc_id → its 文号)."""
    asked = doc_numbers_in(question)
    if not asked:
        return []
    own = {doc_id: doc_number_key(number) for doc_id, number in doc_numbers.items() if number}
    return [doc_id for doc_id, key in own.items() if key and any(same_doc_number(a, key) for a in asked)]


# --- document by title ---------------------------------------------------------------------------------------


def _longest_common_substring(a: str, b: str) -> str:
    """The longest stretch both share (the earliest in `a` among equals). From each start in `a`, only a stretch
    longer than the best so far is tried, and extended while `b` holds it (a stretch `b` holds, `b` holds every
    start of): a few dozen of C's substring searches per title, where difflib's matcher indexed each title's
    characters on every call — most of a question's title matching against the 800 titles of a 20× corpus."""
    start, size = 0, 0
    for i in range(len(a)):
        if i + size >= len(a):  # no stretch longer than the best starts here
            break
        if a[i : i + size + 1] not in b:
            continue
        longer = size + 1
        while i + longer < len(a) and a[i : i + longer + 1] in b:
            longer += 1
        start, size = i, longer
    return a[start : start + size]


@lru_cache(maxsize=4096)
def _grams(text: str) -> frozenset[str]:
    """Every MIN_TITLE_MATCH-character stretch of `text` (cached: titles repeat on every question)."""
    return frozenset(text[i : i + MIN_TITLE_MATCH] for i in range(len(text) - MIN_TITLE_MATCH + 1))


@lru_cache(maxsize=8192)
def _match_form(text: str) -> str:
    """Remembered: every question compares against every title's form."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s《》〈〉“”\"'‘’]", "", text)


def documents_by_title(question: str, titles: dict[str, str]) -> list[str]:
    """Ids of documents the question names by (part of) their title, best match first.

    A document is named when the question repeats at least MIN_TITLE_MATCH characters of its title and that
    stretch is not made only of words every policy title uses (若干措施, 实施方案 …). Among several, only
    those sharing the longest match are returned (two documents may share a distinctive name).
    """
    q = _match_form(question)
    asked = _grams(q)
    scored = []
    for doc_id, title in titles.items():
        form = _match_form(title)
        if asked.isdisjoint(_grams(form)):  # cheap test first: no shared stretch of MIN_TITLE_MATCH characters
            continue
        common = _longest_common_substring(q, form)
        if len(common) >= MIN_TITLE_MATCH and not _GENERIC.match(common):
            scored.append((len(common), doc_id))
    if not scored:
        return []
    best = max(length for length, _ in scored)
    return [doc_id for length, doc_id in scored if length == best]


# A title in 《》 as people name a policy document: it ends in a kind of document.
_NAMED_TITLE = re.compile(r"《([^《》]{1,60}?(?:法典|法|条例|规定|办法|措施|意见|方案|计划|通知|细则|决定|规则|纲要|规划|目录|清单|"
                          r"指南|政策|标准|解读))》")


def named_titles(question: str) -> list[str]:
    """The policy documents a question names in 《》, each once."""
    return list(dict.fromkeys(_NAMED_TITLE.findall(question)))


def titles_meant(named: str, titles: Iterable[str]) -> list[str]:
    """The titles a (maybe shortened) named title may stand for: those holding all its characters in order, two
    of them together at least (《燃气办法》 is 《苏州市燃气管理办法》)."""
    form = _match_form(named)
    return [title for title in titles
            if _in_order(form, _match_form(title)) and len(_longest_common_substring(form, _match_form(title))) >= 2]


# A national law's title starts with the state's name, which a local title (苏州市…) does not share.
_NATIONAL = re.compile(r"^中华人民共和国")


def unheld_titles(question: str, titles: Iterable[str]) -> list[str]:
    """The documents a question names in 《》 that none of `titles` is. People shorten titles (《燃气办法》 is
    《苏州市燃气管理办法》: all its characters in order) and misname them (《苏州市燃气管理条例》, 《人才落户实施细则》:
    a distinctive stretch shared, as `documents_by_title` matches a title)."""
    titles = list(titles)
    return [named for named in named_titles(question) if not stands_for(named, titles)]


def stands_for(named: str, titles: Iterable[str]) -> bool:
    """Whether a title as a question names it is one of `titles` (see `unheld_titles`)."""
    titles = list(titles)
    return bool(titles_meant(named, titles)) or bool(documents_by_title(_NATIONAL.sub("", named), {t: t for t in titles}))


def _in_order(short: str, long: str) -> bool:
    """Whether every character of `short` occurs in `long`, in the same order."""
    rest = iter(long)
    return all(char in rest for char in short)


# --- clause reference ---------------------------------------------------------------------------------------


def clause_ref_in(question: str) -> ClauseRef | None:
    """The clause a question names: 第三十五条 → article 35; 一、（三） → path; 第三条 + nothing else → article 3."""
    text = unicodedata.normalize("NFKC", question).replace("(", "（").replace(")", "）")
    article = _ARTICLE_REF.search(text)
    path = None
    for m in _OUTLINE_REF.finditer(text):
        top, item, sub = m[1], m[2], m[3]
        if item or (top and sub):  # a bare 三、 is too often an enumeration (第一、二、三批)
            path = (f"{top}、" if top else "") + (f"（{item}）" if item else "") + (f"{sub}." if sub else "")
            break
    number = cn_to_int(article[1]) if article else None
    if number is None and path is None:
        return None
    return ClauseRef(article=number, path=path)


def _outline_components(label: str) -> list[str]:
    return re.findall(rf"{CN_NUMERAL}+、|（{CN_NUMERAL}+）|\d+\.|（\d+）", label)


def clauses_for_ref(ref: ClauseRef, clauses: Iterable[Clause]) -> list[Clause]:
    """The clauses of ONE document (given in reading order) that `ref` names, best first.

    An article document answers 第N条 with its article N. An outline document has no articles, so 第N条 means
    its item （N） (or N. where items are numbered through, or N、 at the top level). An outline path matches
    the clause with that label, the clause it ends with, or the rolled-up parent that absorbed it.
    """
    clauses = [c for c in clauses if c.kind not in ("notice",)]
    body = [c for c in clauses if not c.label.startswith("政策解读")]
    if ref.article is not None and any(c.kind == "article" for c in body):
        label = f"第{int_to_cn(ref.article)}条"
        return [c for c in body if c.label == label]
    if ref.path:
        wanted = ref.path
        exact = [c for c in body if c.label == wanted]
        ending = [c for c in body if c.label.endswith(wanted) and c not in exact]
        rolled = [c for c in body if any(child.endswith(wanted) for child in c.rolled_up_children) and c not in exact + ending]
        found = exact + ending + rolled
        if found:
            return found
    if ref.article is not None:
        n = ref.article
        forms = (f"（{int_to_cn(n)}）", f"{n}.", f"{int_to_cn(n)}、")
        hits = []
        for form in forms:  # items （N） first: the usual meaning of 第N条 in an outline document
            hits += [c for c in body if c not in hits and _outline_components(c.label)[-1:] == [form]]
        return hits
    return []


def title_coverage(question: str, title: str) -> float:
    """How much of a document's title the question repeats (0..1). A question naming 《X》 in full names X,
    not a decision 《关于修改《X》等3件规章的决定》 that merely contains X's title."""
    form = _match_form(title)
    if not form:
        return 0.0
    return len(_longest_common_substring(_match_form(question), form)) / len(form)


# --- amendment decisions -----------------------------------------------------------------------------------

# The drafting conventions of a 修改决定: 将第N条修改为 / 将第N条第一款修改为 / 第N条增加一项 keep the article's number;
# 将第N条改为第M条，修改为 renumbers it to M; 增加一条，作为第M条 adds article M; 删去第N条 leaves no article.
_AMENDED_ARTICLE = re.compile(
    rf"第({CN_NUMERAL}{{1,4}})条(?:第{CN_NUMERAL}{{1,3}}[款项])*(?:改为第({CN_NUMERAL}{{1,4}})条)?[，,]?(?:修改为|增加)"
)
_ADDED_ARTICLE = re.compile(rf"作为第({CN_NUMERAL}{{1,4}})条")
_AMENDED_TITLE = re.compile(r"对《([^》]+)》作出修改")


def amended_articles(clause: Clause) -> tuple[str | None, list[int]]:
    """The title of the regulation an amendment item changes and the numbers its changed or added articles
    carry in the amended text (the library's regulations are the amended, republished texts). The quoted new
    wording is not read: it may cite other articles."""
    heading = "".join(clause.section_path) + clause.text
    title = _AMENDED_TITLE.search(heading)
    articles: list[int] = []
    for line in clause.text.splitlines():
        own = line.split("“", 1)[0]  # the instruction, before the quoted new wording
        for m in _AMENDED_ARTICLE.finditer(own):
            articles.append(cn_to_int(m[2] or m[1]))
        articles += [cn_to_int(m[1]) for m in _ADDED_ARTICLE.finditer(own)]
    return (title[1] if title else None), [a for a in dict.fromkeys(articles) if a]


def amendment_links(clauses: Iterable[Clause]) -> dict[tuple[str, int], list[str]]:
    """(regulation doc_id, article number) → ids of the amendment items that changed or added that article."""
    clauses = list(clauses)
    by_title = {c.doc.get("doc_title"): c.doc_id for c in clauses if c.doc.get("scheme") == "article"}
    links: dict[tuple[str, int], list[str]] = {}
    for clause in clauses:
        if clause.kind != "amendment":
            continue
        title, articles = amended_articles(clause)
        doc_id = by_title.get(title)
        for article in articles if doc_id else []:
            links.setdefault((doc_id, article), []).append(clause.id)
    return links


def article_number(label: str) -> int | None:
    """第十二条 → 12; None for an outline label."""
    m = re.fullmatch(rf"第({CN_NUMERAL}{{1,4}})条", label)
    return cn_to_int(m[1]) if m else None


# --- penalty articles ----------------------------------------------------------------------------------------

_PENALTY = re.compile(r"罚款|处罚|吊销|没收|警告|责令")
_ARTICLE_MENTION = re.compile(rf"第({CN_NUMERAL}{{1,4}})条")


def penalty_links(clauses: Iterable[Clause]) -> dict[tuple[str, int], list[str]]:
    """(doc_id, article number) → the articles of the same regulation that set the penalty for breaking it: a
    regulation's penalty articles name the articles they enforce (违反本办法第十九条、第二十六条规定的，…处…罚款)."""
    links: dict[tuple[str, int], list[str]] = {}
    for clause in clauses:
        if clause.kind != "article" or not _PENALTY.search(clause.text):
            continue
        own = article_number(clause.label)
        body = clause.text.removeprefix(clause.label)
        for number in dict.fromkeys(cn_to_int(m[1]) for m in _ARTICLE_MENTION.finditer(body)):
            if number and number != own:
                links.setdefault((clause.doc_id, number), []).append(clause.id)
    return links
