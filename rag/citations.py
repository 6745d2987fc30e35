"""Citations: the clauses an answer rests on, their validity and jurisdiction, and checking [n] markers.

Whatever wrote the answer text (the extractive answerer or an LLM), a marker [n] is only kept when n names a
clause that was actually retrieved and shown; a sentence left without any valid marker is reported as
unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from ingest.model import Clause
from rag.types import Citation
from domain.jurisdiction import CITY, jurisdiction_label, jurisdiction_of
from domain.validity import validity_of

# [3] [3,5] [3、5] [3][5] and the full-width 【3】 ［3］ an LLM sometimes writes.
_MARKER = re.compile(r"[\[【［]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】］]")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
# Short connective lines ("根据现有政策：", "具体如下：") and list headings are not claims.
_NOT_A_CLAIM = re.compile(r"^([#>*\-\s\d.、]*)$|[：:]\s*$")
MIN_CLAIM_CHARS = 8
# A government body named in a clause's text: 市燃气管理部门, 道路运输管理机构, 市人力资源和社会保障局.
_UNIT_IN_TEXT = re.compile(r"(?:市、县级市|市、区|市|区|县级市|县)?[\u4e00-\u9fff]{2,12}?(?:管理部门|主管部门|管理机构|委员会|局)(?![\u4e00-\u9fff]{0,1}长)")
# … and a body of another kind where the text charges it (市生产力促进中心负责…发放, 人社和公安部门在各自职责范围内负责…):
# 中心, 办公室, 部门 and 机构 name places, projects and generic "departments" as often as bodies, so only as the one
# that 负责 or 牵头, and not when it is any body concerned (相关部门, 各部门).
_CHARGED_BODY = re.compile(r"(?!(?:市|区|县级市|县)?各)(?:市|区|县级市|县)?(?:(?!相关|有关)[\u4e00-\u9fff]){2,12}?(?:中心|办公室|部门|机构)"
                           r"(?=(?:在[^，。；]{0,10}内)?(?:具体)?(?:负责|牵头))")


def units_of(clauses: Iterable[Clause]) -> list[str]:
    """Responsible departments of clauses: lead units first, then the rest, then inherited ones; no repeats."""
    out: list[str] = []
    for attr in ("lead_units", "responsible_units", "inherited_units"):
        for clause in clauses:
            for unit in getattr(clause, attr):
                if unit not in out:
                    out.append(unit)
    return out


def make_citation(n: int, clause: Clause, today: date, units: list[str] | None = None) -> Citation:
    """`units`: the responsible units of what is quoted from the clause, when narrower than the whole clause's."""
    validity, expired = validity_of(clause.doc, today)
    return Citation(
        n=n,
        id=clause.id,
        citation=clause.citation,
        label=clause.label,
        text=clause.text,
        doc=dict(clause.doc),
        validity=validity,
        expired=expired,
        responsible_units=units or units_of([clause]),
        page=clause.page,
        ocr_confidence=clause.ocr_confidence,
    )


@dataclass
class CheckedText:
    text: str  # invalid markers removed
    cited: list[int]  # valid marker numbers, in order of first use
    unsupported: list[str]  # sentences (claims) without a valid marker
    invalid: list[int]  # marker numbers that named no retrieved clause


def check_markers(text: str, available: int) -> CheckedText:
    """Keep markers [n] with 1 ≤ n ≤ available, drop the rest, and list claim sentences left uncited."""
    cited: list[int] = []
    invalid: list[int] = []

    def keep_valid(match: re.Match) -> str:
        numbers = [int(x) for x in re.split(r"\s*[,，、]\s*", match[1].strip())]
        good = [n for n in numbers if 1 <= n <= available]
        invalid.extend(n for n in numbers if not 1 <= n <= available)
        cited.extend(n for n in good if n not in cited)
        return "".join(f"[{n}]" for n in good)

    cleaned = _MARKER.sub(keep_valid, text)
    unsupported = [
        s.strip()
        for s in _SENTENCE_END.split(cleaned)
        if _is_claim(s) and not re.search(r"\[\d+\]", s)
    ]
    return CheckedText(cleaned, cited, unsupported, invalid)


# What a sentence asserts that its clause must contain verbatim: figures with their unit, dates, and bodies.
_CHECKED_FIGURE = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月|"
    r"(?<![\d.])\d+(?:\.\d+)?\s*(?:亿元|万元|元|%|％|‰|米|公里|个工作日|工作日|日|天|个月|周岁|岁|人|家|件|倍)"
)


@dataclass
class Supported:
    text: str  # the sentences whose every figure, date and body name their cited clauses contain
    dropped: list[str]  # the others


def supported_sentences(text: str, clause_texts: dict[int, str]) -> Supported:
    """Drop each marked sentence that states a figure, date or responsible body none of the clauses it cites
    contains (an LLM's 100万元 where the clause says 50万元, or a bureau it made up)."""
    kept: list[str] = []
    dropped: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        cited = [int(n) for group in _MARKER.findall(sentence) for n in re.split(r"\s*[,，、]\s*", group)]
        sources = _compact("".join(clause_texts.get(n, "") for n in cited))
        claim = _compact(_MARKER.sub("", sentence))
        facts = [_compact(m[0]) for m in _CHECKED_FIGURE.finditer(claim)] + units_in_text(claim)
        if cited and any(f not in sources for f in facts):
            dropped.append(sentence.strip())
        else:
            kept.append(sentence)
    return Supported("".join(kept).strip(), dropped)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def without_markers(text: str) -> str:
    """Text to be read out: its [n] markers removed (they were checked before)."""
    return _MARKER.sub("", text)


def _is_claim(sentence: str) -> bool:
    s = sentence.strip()
    return len(s) >= MIN_CLAIM_CHARS and not _NOT_A_CLAIM.search(s) and not s.startswith("未在现有政策文件中找到")


def citation_list(citations: list[Citation]) -> str:
    """The reference list printed under an answer: [n] 《…》label（第3页）（validity）."""
    return "\n".join(f"[{c.n}] {c.citation}{page_note(c.page)}（{flat_validity(c.validity)}）" for c in citations)


def flat_validity(validity: str) -> str:
    """有效（有效期至2027年12月31日） → 有效，有效期至2027年12月31日: no brackets inside the list's brackets."""
    return re.sub(r"^([^（]+)（(.+)）$", r"\1，\2", validity)


def page_note(page: int | None) -> str:
    """（第3页） for a clause of a paged source; nothing for text files."""
    return f"（第{page}页）" if page else ""


@dataclass
class Departments:
    """Who is responsible, and on what the answer says so: a clause's 责任单位 trailer, the body its text charges
    with the matter, or nothing stated (`units` empty)."""

    units: list[str]
    source: Citation | None = None
    from_trailer: bool = False
    where: str | None = None  # the document's 主管部门 article, when that is where the units come from


Competent = Callable[[Citation], tuple[str, list[str]] | None]  # citation → (its document's 主管 article, units)
Roles = Callable[[Citation], dict[str, str]]  # citation → its document's roles and the bodies named to them


def departments_asked(asked: str, citations: list[Citation], competent: Competent | None = None,
                      roles: Roles | None = None) -> Departments | None:
    """The departments to name when the question asks who is responsible (找哪个部门, 谁负责); None otherwise."""
    from rag.extractive import answer_slots  # the answerer's slots read this module's departments
    from rag.retrievers import ASKS_DEPARTMENT

    # Who runs it, which office: asked in words the answer's passage choice does not weigh (as a slot they would
    # pull in passages that only name some body), but the department line answers them.
    if "department" not in answer_slots(asked) and not ASKS_DEPARTMENT.search(asked):
        return None
    from rag.answerability import salient_terms
    from rag.hotline import find_questions

    asking = "".join(q for q in find_questions(asked) if "department" in answer_slots(q)) or asked
    if not salient_terms(asking):  # a bare 由谁负责？ after the question it asks that of
        asking = asked
    return departments_of(_most_about(citations, asking), competent, roles, asking)


def _most_about(citations: list[Citation], question: str) -> list[Citation]:
    """The cited clauses holding the question's terms (in their text or citation), those holding more first, else
    in cited order: a message asking several things wants the department of the thing it asks that of (…参展补多少？
    电工培训由谁负责？), not of the clause cited first for the whole message. A clause holding none of them is no
    source of the department when another holds some: its trailer names who does something else."""
    from rag.answerability import salient_terms

    terms = salient_terms(question)
    shared = {c.n: sum(t in c.text or t in c.citation for t in terms) for c in citations}
    about = [c for c in citations if shared[c.n]] or citations
    return sorted(about, key=lambda c: -shared[c.n])


def departments_of(citations: list[Citation], competent: Competent | None = None,
                   roles: Roles | None = None, question: str = "") -> Departments:
    """Who is responsible for what the cited clauses say, from the first clause (most relevant first) that says
    it: its 责任单位 trailer, else the body it charges with the matter (an unrelated clause's trailer does not
    outrank the body the relevant clause names); else the document's own 主管部门 article (`competent`: citation
    → (where, units)); else nobody stated. A role the document names a body to (`roles`: 中介超市运营机构 →
    苏州市公共资源交易中心) is a body the clause charges too, and is named with its body. Of several bodies a clause
    charges each with its own task, those charged with what the `question` asks of."""
    for c in citations:  # each clause's 责任单位 trailer, else the body that the clause itself charges
        if c.responsible_units:
            return Departments(c.responsible_units[:4], c, from_trailer=True)
        defined = roles(c) if roles else {}
        named = charged_with(c.text, question, list(defined))
        if named:
            return Departments([f"{u}（即{defined[u]}）" if u in defined else u for u in named[:3]], c)
    for c in citations if competent else []:
        found = competent(c)
        if found:
            return Departments(found[1][:3], c, where=found[0])
    return Departments([])


# The words before a body another body reports to (并将处理结果反馈乙): it is informed, not charged. A body a citizen
# submits or complains to (书面向乙提出) is what a question of where to turn asks for: it stays.
_RECEIVES = re.compile(r"(?:报送|反馈|抄送|上报|通报)(?:给)?$")


def charged_with(text: str, question: str, roles: Iterable[str] = ()) -> list[str]:
    """The bodies a text charges with what the question asks: those of its parts sharing most of the question's
    topic words. In 甲负责统筹实施…。乙做好经费保障。丙负责…发放、兑付申请受理及审核 a question of who reviews the
    claims is answered 丙, not 甲、乙. A part naming no body goes on with the body before it in its sentence
    (甲负责以下工作：…；处理投诉…); a body another reports to (并将结果反馈乙) is not charged. Every charged body, in
    order, when no part shares any of the question's words."""
    from rag.answerability import salient_terms  # the answerability module reads this one's departments

    roles = list(roles)
    terms = salient_terms(question) if question else []
    named: list[tuple[int, list[str]]] = []
    lead: list[str] = []
    for part in re.split(r"(?<=[。；：])", text):  # a part naming no body of its own goes on with the one before
        units = [u for u in units_in_text(part, roles) if not _RECEIVES.search(part.split(u)[0])] or lead
        lead = [] if part.endswith("。") else units
        if units:
            named.append((sum(t in part for t in terms), units))
    if not named:
        return units_in_text(text, roles)
    best = max(score for score, _ in named)
    return list(dict.fromkeys(u for score, units in named if score == best or best == 0 for u in units))


def units_in_text(text: str, roles: Iterable[str] = ()) -> list[str]:
    """Government bodies a text names (the longest form of each), in order; `roles` are more names of bodies (a
    document's own roles: 中介超市运营机构)."""
    text = re.sub(r"《[^》]*》", "", text)  # the issuers in a cited document's title are not charged here
    spans = [(m.start(), _unit_name(m.group(0))) for pattern in (_UNIT_IN_TEXT, _CHARGED_BODY)
             for m in pattern.finditer(text)]
    spans += [(text.index(role), role) for role in roles if role in text]
    found = list(dict.fromkeys(unit for _, unit in sorted(spans)))
    found = [u for u in found if len(u) >= 3]
    return [u for u in found if not any(u != other and u in other for other in found)]


# A document naming a body to a role it then uses: 苏州市公共资源交易中心为中介超市运营机构，主要职责为：…
_NAMES_TO_ROLE = re.compile(r"([^，。；：:\s]{3,30}?(?:局|委员会|委|办公室|中心|部门|机构|政府|公司))为(?:本市|全市)?"
                            r"([\u4e00-\u9fff]{2,16}?(?:部门|机构|单位|中心))(?=[，。；：:,])")


def defined_roles(clauses: Iterable[Clause]) -> dict[str, str]:
    """The roles a document's clauses name a body to (中介超市运营机构 → 苏州市公共资源交易中心)."""
    roles: dict[str, str] = {}
    for clause in clauses:
        for body, role in _NAMES_TO_ROLE.findall(clause.text):
            body = _unit_name(body)
            if role not in body:
                roles.setdefault(role, body)
    return roles


# What a match may start with before the body's own name: 本政策由市商务局 → 市商务局, 驾驶员应当积极配合道路运输
# 管理机构 → 道路运输管理机构, 并报上一级燃气管理部门 → 上一级燃气管理部门 (a body's name holds no verb of duty: 应当,
# 配合, 协助 …).
_LEADING_WORDS = re.compile(r"^.*(?:以及|报送|报告|提交|告知|通知|反馈|抄送|移送|上报|赋予|报(?=(?:[\u4e00-\u9fff]{2})?所在地|当地|本级|同级|上一?级)|"
                            r"由|对|向|经|会同|商(?=市)|应当|必须|可以|积极|配合|协助|接受|督促|委托|提请)"
                            r"(?=[\u4e00-\u9fff]{3})")
def _unit_name(match: str) -> str:
    """A body's name from a match that may begin with the words before it: 本政策由市商务局 → 市商务局,
    …名单报送燃气管理部门 → 燃气管理部门."""
    return _LEADING_WORDS.sub("", match)


_CHARGES = re.compile(r"负责|主管|监督管理|管理工作")


def competent_article(clauses: Iterable[Clause]) -> tuple[str, list[str]] | None:
    """A document's own article on who administers it ("市燃气管理部门负责本市燃气管理工作"): its citation and
    the units it charges, from the first clause (in reading order) that charges a body with the matter."""
    for clause in clauses:
        if clause.kind != "article":  # a plan's items charge bodies with their own tasks, not with the whole
            continue
        for sentence in re.split(r"(?<=[。；])", clause.text):
            units = units_in_text(sentence)
            if units and _CHARGES.search(sentence):
                return clause.citation, units
    return None


def department_phrase(found: Departments) -> str:
    """The department part of the 结论: who, and on what the answer says so."""
    if not found.units:
        return "所引条款未写明负责部门，可向文件的发文机关咨询"
    names = "、".join(found.units)
    if found.from_trailer:
        return f"负责部门为{names}（{found.source.citation}所列责任单位）[{found.source.n}]"
    if found.where:
        return f"负责部门为{names}（据{found.where}的规定）"
    return f"负责部门为{names}（据{found.source.citation}的规定）[{found.source.n}]"


def validity_notes(citations: list[Citation]) -> list[str]:
    """One note per cited document that is expired or not yet in force."""
    notes, seen = [], set()
    for c in citations:
        title = c.doc.get("doc_title") or c.citation
        if title in seen:
            continue
        seen.add(title)
        if c.expired:
            notes.append(f"《{title}》{c.validity}，相关条款仅供参考，请以现行有效政策为准。")
        elif c.validity.startswith("尚未施行"):
            notes.append(f"《{title}》{c.validity}。")
    return notes


def jurisdictions_of(citations: list[Citation]) -> list[str]:
    out: list[str] = []
    for c in citations:
        place = jurisdiction_of(c.doc)
        if place not in out:
            out.append(place)
    return out
