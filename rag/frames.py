"""The language an answer is framed in. The clause text is always quoted verbatim in Chinese (no machine
translation is claimed); what surrounds it — the lead-in, the department line, whose policy it is, the refusal —
follows the question's language.
"""

from __future__ import annotations

from datetime import date

from domain.jurisdiction import CITY, jurisdiction_label
from domain.numerals import cn_to_int
from domain.places import places_named
from domain.terms import department_english
from domain.validity import validity_of
from rag.answerability import Decision
from rag.citations import Departments, flat_validity, jurisdictions_of
from rag.slots import SLOT_ENGLISH, SLOT_NAMES
from rag.translate import is_latin
from rag.types import Citation, Retrieved

REFUSAL_PREFIX = "未在现有政策文件中找到"  # how every Chinese refusal begins (an LLM is asked to say it too)


class ChineseFrame:
    def lead(self, citation: Citation) -> str:
        return f"根据{citation.citation}："

    def uncovered(self, asked: str) -> str:
        """The line naming the questions of a message the documents do not cover (`asked`: them, quoted)."""
        return f"另外，关于“{asked}”，{REFUSAL_PREFIX}相关规定。"

    def tentative(self, decision: Decision) -> str:
        """The notice on an answer given on weak evidence (`Decision.tentative`): its clauses may not answer what
        was asked, and what they lack, when the question names it."""
        if decision.unknown_terms:
            why = f"（现有文件均未提及“{'”“'.join(decision.unknown_terms[:3])}”）"
        elif decision.missing_terms:
            why = f"（所引条款未涉及“{'”“'.join(decision.missing_terms[:3])}”）"
        else:
            why = ""
        return f"以下条款与所问内容的对应不够明确{why}，可能并不直接回答该问题，请对照条款原文核实。"

    def departments(self, found: Departments | None) -> str:
        if found is None:
            return ""
        if not found.units:
            return "所引条款未写明负责部门，可向文件的发文机关咨询。"
        how = "所列责任单位" if found.from_trailer else "的规定"
        return f"负责部门：{'、'.join(found.units)}（据{found.source.citation}{how}）[{found.source.n}]。"

    def jurisdiction(self, citations: list[Citation], asked: list[str], unheld: list[str] = ()) -> str:
        """Whose policy the answer quotes, so a caller is not told another district's rule as theirs; and, for a
        district the question names whose own documents the library lacks, that it lacks them."""
        places = jurisdictions_of(citations)
        if not places:
            return ""
        text = "以上依据为" + "、".join(jurisdiction_label(p) for p in places) + "政策。"
        asked = [*asked, *unheld]
        # A city-wide policy applies in every district; another district's or county-level city's does not.
        foreign = [p for p in places if asked and p not in asked and p != CITY]
        if foreign:
            text += f"您询问的是{'、'.join(asked)}，其中" + "、".join(foreign) + "的规定不一定适用于" + "、".join(asked) + "。"
        if unheld:
            names = "、".join(unheld)
            text += f"本库未收录{names}自己的政策文件：{CITY}的市级政策在{names}同样适用，{names}另有规定的，请向当地主管部门核实。"
        return text

    def refusal(self, decision: Decision, nearby: list[Retrieved], today: date) -> str:
        """What the documents do not cover and why, then the nearest clauses — as related, not as the answer; a
        question about another place is told whose documents the library holds."""
        if decision.covered:
            slots = "、".join(SLOT_NAMES[s] for s in decision.unstated_slots)
            text = f"{REFUSAL_PREFIX}所问的{slots}：相关条款涉及该事项，但没有写明{slots}。"
        else:
            text = f"{REFUSAL_PREFIX}与该问题直接相关的规定"
            text += "（" + "；".join(decision.reasons) + "）。" if decision.reasons else "。"
        places = "、".join(decision.foreign_places)
        covering, others = _split(nearby, decision.covering)
        for heading, hits in (("涉及该事项的条款", covering),
                              (f"{CITY}的相关规定（仅供参考，并非{places}的政策）" if places
                               else "其他可能相关的条款" if covering else "可能相关的条款（不直接回答该问题）", others)):
            if hits:
                text += f"\n{heading}：\n" + "\n".join(
                    f"- {h.citation}（{flat_validity(validity_of(h.doc, today)[0])}）" for h in hits)
        return text


class EnglishFrame(ChineseFrame):
    """For an English question: English words around the verbatim Chinese quote."""

    def uncovered(self, asked: str) -> str:
        return f"As for “{asked}”, the policy documents here do not cover it."

    def tentative(self, decision: Decision) -> str:
        # The missing terms of an English question are the term map's Chinese words: only its own words are named.
        unknown = [t for t in decision.unknown_terms if t.isascii()][:3]
        why = " (no document mentions " + ", ".join(f"“{t}”" for t in unknown) + ")" if unknown else ""
        return (f"The clauses below match the question only weakly{why}; they may not answer it directly. "
                "Check the clause text.")

    def lead(self, citation: Citation) -> str:
        validity = english_validity(citation.doc, citation.validity, citation.expired)
        return f"Under {english_label(citation.label)} of 《{citation.doc.get('doc_title') or ''}》 ({validity}): "

    def departments(self, found: Departments | None) -> str:
        if found is None:
            return ""
        if not found.units:
            return "Department: the cited clauses name none; ask the issuing authority."
        names = ", ".join(_glossed(u) for u in found.units)
        how = "the responsible units listed under" if found.from_trailer else "the text of"
        return f"Department: {names} (from {how} {english_label(found.source.label)}) [{found.source.n}]."

    def jurisdiction(self, citations: list[Citation], asked: list[str], unheld: list[str] = ()) -> str:
        places = jurisdictions_of(citations)
        if not places:
            return ""
        named = ", ".join("Suzhou (city-wide)" if p == CITY else f"{p} (not city-wide)" for p in places)
        text = f"These are the policies of {named}."
        if unheld:
            names = ", ".join(_place_english(p) for p in unheld)
            text += (f" The library holds no documents of {names} itself: Suzhou's city-wide policies apply there too;"
                     " for its own rules, check with the local authorities.")
        return text

    def refusal(self, decision: Decision, nearby: list[Retrieved], today: date) -> str:
        places = ", ".join(_place_english(p) for p in decision.foreign_places)
        why = []
        if places:
            why.append(f"it concerns {places}; this library holds the policy documents of Suzhou and its districts only")
        if decision.unheld_documents:
            them = "them" if len(decision.unheld_documents) > 1 else "it"
            why.append("this library does not hold " + ", ".join(f"《{t}》" for t in decision.unheld_documents)
                       + f", and no document here mentions {them}")
        if decision.unknown_terms:
            why.append("no document mentions " + ", ".join(f"“{t}”" for t in decision.unknown_terms))
        elif decision.missing_terms:
            why.append("the clauses found do not mention " + ", ".join(f"“{t}”" for t in decision.missing_terms))
        if decision.missing_slot:
            why.append(f"the related clauses do not state {SLOT_ENGLISH[decision.missing_slot]}")
        if decision.covered:
            unstated = " or ".join(SLOT_ENGLISH[s] for s in decision.unstated_slots)
            text = f"The policy documents here do not answer this question directly: the clauses on this topic do " \
                   f"not state {unstated}."
        else:
            text = "The policy documents here do not answer this question directly"
            text += f" ({'; '.join(why)})." if why else "."
        covering, others = _split(nearby, decision.covering)
        for heading, hits in (("Clauses on this topic", covering),
                              (f"Suzhou's related rules (for reference only, not the policy of {places})" if places
                               else "Other related clauses" if covering
                               else "Related clauses (they do not answer the question)", others)):
            if hits:
                text += f"\n{heading}:\n" + "\n".join(f"- {_english_nearby(h, today)}" for h in hits)
        return text


def _split(nearby: list[Retrieved], covering: list[str]) -> tuple[list[Retrieved], list[Retrieved]]:
    """The nearest clauses that are about the question (`Decision.covering`), and the others."""
    return [h for h in nearby if h.id in covering], [h for h in nearby if h.id not in covering]


def _english_nearby(hit: Retrieved, today: date) -> str:
    validity, expired = validity_of(hit.doc, today)
    return f"《{hit.doc_title}》{english_label(hit.label)} ({english_validity(hit.doc, validity, expired)})"


LEVELS_ENGLISH = {"国家层面": "China's national government (国家层面)"}  # the province is a gazetteer place


def _place_english(name: str) -> str:
    """Hangzhou (杭州市): the gazetteer's usual English name beside the Chinese one."""
    if name in LEVELS_ENGLISH:
        return LEVELS_ENGLISH[name]
    place = next((p for p in places_named(name) if p.name == name), None)
    return f"{place.english[0]} ({name})" if place and place.english else name


def english_label(label: str) -> str:
    """第三十五条 → Article 35; an outline label stays as printed: item 一、（三）."""
    if label.startswith("第") and label.endswith("条"):
        number = cn_to_int(label[1:-1])
        if number:
            return f"Article {number}"
    return f"item {label}"


def english_validity(doc: dict, validity: str, expired: bool) -> str:
    """A document's validity in English, from its metadata and its Chinese validity wording."""
    until = doc.get("valid_until")
    if expired and until:
        return f"expired on {_english_date(until)}"
    if validity.startswith("尚未施行"):
        return "not yet in force"
    if until:
        return f"in force until {_english_date(until)}"
    return "no end date stated"


def _english_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _glossed(unit: str) -> str:
    english = department_english(unit)
    return f"{unit} ({english})" if english else unit


CHINESE, ENGLISH = ChineseFrame(), EnglishFrame()


def frame_for(question: str) -> ChineseFrame:
    """The English frame for an English question, the Chinese one otherwise."""
    return ENGLISH if is_latin(question) else CHINESE
