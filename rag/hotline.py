"""Hotline mode: a citizen's pasted message → the question(s) it contains and a reply script (答复口径) that a
staff member can read out, naming the governing clauses, the responsible department and the policy period.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from domain.jurisdiction import jurisdiction_label, jurisdiction_of
from domain.terms import load_synonyms
from ingest.model import Clause
from rag.citations import Departments, departments_of, flat_validity
from rag.slots import SLOT_NAMES
from rag.types import Citation

if TYPE_CHECKING:  # rag.answerability (and rag.extractive, through it) reads find_questions here
    from rag.answerability import Decision
    from rag.extractive import Extract

MAX_MESSAGE_CHARS = 5000
NOTICE_TRUNCATED = f"来电内容超过{MAX_MESSAGE_CHARS}字，仅分析了前{MAX_MESSAGE_CHARS}字"
MAX_QUESTIONS = 5
# Words that make a sentence a question in colloquial Chinese (and English).
QUESTION_CUES = (
    "吗", "呢", "？", "?", "怎么", "怎样", "如何", "能不能", "能否", "可不可以", "可以不", "多少", "哪里", "哪儿",
    "哪些", "哪个", "什么", "是否", "有没有", "几", "谁", "请问", "咨询", "想了解", "想知道",
    "how", "what", "which", "who", "when", "where", "can ", "is there",
)
_SENTENCE = re.compile(r"[^。！？?!；;\n]+[。！？?!；;]?")
# An English sentence also ends at a full stop before a space and a capital letter (…near Jinji Lake. Is there…),
# but not one after a title or an abbreviation (Mr. Brooks, No. 5 Road, e.g. SIP). A decimal (6.5) has no space.
_ENGLISH_BREAK = re.compile(r"(?<=\.)\s+(?=[A-Z\"'“‘(])")
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|No|Tel|tel|Co|Ltd|Inc|Jr|Sr|vs|etc|e\.g|i\.e|approx|Rd|Ave)\.$")


# A cue inside a noun asks nothing: a caller's 咨询公司 or 咨询服务 (consultancy) is no 想咨询 (I'd like to ask).
_CUE_IN_NOUN = re.compile(r"咨询(?=公司|服务|机构|行业|业务|费|师|顾问)")


# A call's opening (喂，是12345吗？ 你好，请问是市长热线吧？) asks whether the line is right, nothing of the policy.
_OPENING_WORDS = re.compile(r"喂|你好|您好|请问|是不是|是|12345|市长|政府|便民|服务|热线|电话|吗|呢|吧|嘛|啊|hello|hi|[\W\d_]")


def _asks(sentence: str) -> bool:
    """Whether a sentence asks something. 几 alone does not make a statement a question: it is mostly the
    indefinite "several" (跑了几趟。拖了几天。) unless the sentence ends in a question mark. A call's opening asks
    nothing."""
    if not _OPENING_WORDS.sub("", sentence.lower()):
        return False
    text = _CUE_IN_NOUN.sub("", sentence.lower())
    cues = {cue for cue in QUESTION_CUES if cue in text}
    return bool(cues - {"几"}) or bool(cues) and sentence.endswith(("？", "?"))


def asking_sentences(message: str) -> list[str]:
    """The sentences of a message that ask, English ones split at full stops too: where a place named in the
    asking sentence itself (…for our R&D centre. What does Hangzhou give?) says whose policy is asked about.
    `find_questions` keeps an English message's sentences together: its translated terms are weighed as one
    question (split, the dev set's English questions were refused less often under cross-validation)."""
    found: list[str] = []
    for piece in (p.strip() for p in _SENTENCE.findall(message)):
        for part in _ENGLISH_BREAK.split(piece):
            if found and _ABBREVIATION.search(found[-1]):
                found[-1] += " " + part
            elif part:
                found.append(part)
    return [sentence for sentence in found if _asks(sentence)]


def truncate_message(message: str) -> tuple[str, str | None]:
    """At most MAX_MESSAGE_CHARS characters, and the notice to show when something was cut."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message, None
    return message[:MAX_MESSAGE_CHARS], NOTICE_TRUNCATED


def find_questions(message: str) -> list[str]:
    """The sentences of a message that ask something; the whole message when none looks like a question."""
    found: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE.findall(message)):
        if sentence and _asks(sentence) and sentence not in found:
            found.append(sentence)
    return found[:MAX_QUESTIONS] or [message.strip()]


def reply_script(questions: list[str], extracts: list[Extract], citations: dict[str, Citation],
                 units: list[str], departments: Callable[[list[Citation], str], Departments] | None = None,
                 unheld: Sequence[str] = ()) -> str:
    """A reply a staff member can read out (no LLM): one paragraph per question, in the caller's order, each
    naming its topic in the policy's words (never the caller's own sentence, whose 我/我们 would be read
    back wrongly), quoting the governing clauses without [n] markers, with where the policy applies, its
    validity and the department of that paragraph's clauses — `departments` (their 责任单位, else the body
    they or their document charge with what the question asks), else their own 责任单位 trailers, else `units`
    when no paragraph has its own, else said to be unstated. A district the caller names whose own documents the
    library lacks (`unheld`) is said to be one, so the caller is not told its own rules are these."""
    paragraphs = []
    for question, own in _by_question(questions, extracts):
        cited = [citations[ex.clause.id] for ex in own]
        sources = []
        for ex, c in zip(own, cited, strict=True):
            place = jurisdiction_label(jurisdiction_of(c.doc))
            said = "".join(ex.sentences).rstrip("；;，,")
            said = said if said.endswith(("。", "！", "？")) else said + "。"
            sources.append(f"根据{c.citation}（{place}政策，{flat_validity(c.validity)}）：{said}")
        found = departments(cited, question) if departments else departments_of(cited, question=question)
        names = found.units or (units if departments is None else [])
        who = (f"该事项由{'、'.join(names[:4])}负责，具体办理可向上述部门咨询。" if names
               else "所依据的条款未写明负责部门，具体可向文件的发文机关咨询。")
        expired = ("需要说明的是，上述政策已过有效期，仅供参考，目前是否有延续政策请以主管部门最新发布为准。"
                   if any(c.expired for c in cited) else "")
        paragraphs.append(f"关于{_topic(question, [ex.clause for ex in own])}：" + "".join(sources) + who + expired)
    if not paragraphs:
        return "您好！感谢您的来电！"
    if unheld:
        names = "、".join(unheld)
        paragraphs.append(f"另外，以上不含{names}自己出台的政策，{names}是否另有规定，请以当地主管部门的答复为准。")
    return "您好！" + "\n".join(paragraphs) + "感谢您的来电！"


_GREETING, _THANKS = "您好！", "感谢您的来电！"
_HEDGE = "您反映的问题，现有政策文件中没有找到直接对应的规定，以下相关规定仅供参考。"
_REFERRED = "我们会将您的诉求转交相关主管部门进一步核实答复，"


def tentative_script(script: str) -> str:
    """The reply script of an answer on weak evidence (`Decision.tentative`): the caller is told that the rules
    read out are related, not a rule found for the question, and that the request goes on to the competent
    department — not a clause that may be about something else, read out as the answer."""
    if not script.startswith(_GREETING) or not script.endswith(_THANKS):
        return script
    return _GREETING + _HEDGE + script[len(_GREETING):-len(_THANKS)] + _REFERRED + _THANKS


def _by_question(questions: list[str], extracts: list[Extract]) -> list[tuple[str, list[Extract]]]:
    """Each extract goes to the question whose words its clause shares most (ties: the earlier question);
    questions keep the caller's order. A question without a topic of its own ("找哪个部门？") gets no paragraph:
    it asks about the topic before it. A clause sharing no word with any question is left out of the script
    when others answer."""
    from ingest.tokenize import tokenize
    from rag.extractive import token_set
    from rag.answerability import salient_terms

    asked = [(q, set(tokenize(q))) for q in questions if salient_terms(q)]
    asked = asked or [(questions[0] if questions else "", set())]
    groups: dict[int, list[Extract]] = {}
    unrelated: list[Extract] = []
    for ex in extracts:
        words = token_set(ex.clause.text + "".join(ex.clause.section_path) + (ex.clause.doc.get("doc_title") or ""))
        best = max(range(len(asked)), key=lambda i: (len(asked[i][1] & words), -i))
        if asked[best][1] & words or len(asked) == 1 and not asked[0][1]:
            groups.setdefault(best, []).append(ex)
        else:
            unrelated.append(ex)
    if not groups and unrelated:
        groups[0] = unrelated
    return [(asked[i][0], groups[i]) for i in sorted(groups)]


def _topic(question: str, clauses: Sequence[Clause] = ()) -> str:
    """What a question is about, in its topic words (燃气管道、保护范围), not in the caller's sentence: those the
    answering `clauses` use, in the policy's own word where the caller used another (液化气 → 瓶装燃气); the
    caller's worries and story (担心, 压力) are not read back. Without clauses, its first topic words."""
    from rag.answerability import salient_terms

    terms = salient_terms(question)
    if clauses:
        context = "".join(c.text + "".join(c.section_path) + (c.doc.get("doc_title") or "") for c in clauses)
        terms = _joined(terms, question, context)
        synonyms = load_synonyms()
        used = [next((form for form in (t, *synonyms.get(t, ())) if form in context), None) for t in terms]
        forms = list(dict.fromkeys(form for form in used if form))
        terms = [f for f in forms if not any(f != other and f in other for other in forms)] or terms
    terms = terms[:4]
    return f"您咨询的{'、'.join(terms)}问题" if terms else "您咨询的问题"


def _joined(terms: list[str], question: str, context: str) -> list[str]:
    """Topic words the question writes side by side and the policy uses as one term, joined (中介 超市 →
    中介超市): read out one by one, they would be no words of the policy."""
    out: list[str] = []
    for term in terms:
        if out and out[-1] + term in question and out[-1] + term in context:
            out[-1] += term
        else:
            out.append(term)
    return out


def refusal_script(questions: list[str], decision: Decision, units: list[str] = ()) -> str:
    """What staff read out when the library does not answer the question: about what (in its topic words, not the
    caller's sentence), why — the policy exists but does not state the asked fact, or no rule was found — and
    where the caller may ask (the departments the clauses on the topic name, when the policy exists)."""
    if decision.covered:
        found = f"现有政策文件对此有相关规定，但没有写明{'、'.join(SLOT_NAMES[s] for s in decision.unstated_slots)}。"
    else:
        why = f"（{'；'.join(decision.reasons)}）" if decision.reasons else ""
        found = f"现有政策文件中未找到相关规定{why}。"
    # Only clauses about the topic say who handles it: the nearest clauses to 契税 are no guide to its office.
    where = f"该类事项通常由{'、'.join(units[:3])}负责，您也可以直接向其咨询。" if units and decision.covered else ""
    return (f"您好！关于{_topic(questions[0])}，{found}{where}"
            "我们会将您的诉求转交相关主管部门进一步核实答复，感谢您的来电！")
