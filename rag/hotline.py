"""Hotline mode: a citizen's pasted message → the question(s) it contains and a reply script (答复口径) that a
staff member can read out, naming the governing clauses, the responsible department and the policy period.
"""

from __future__ import annotations

import re

from domain.jurisdiction import jurisdiction_label, jurisdiction_of
from rag.extractive import Extract, with_marker
from rag.types import Citation

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


def truncate_message(message: str) -> tuple[str, str | None]:
    """At most MAX_MESSAGE_CHARS characters, and the notice to show when something was cut."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message, None
    return message[:MAX_MESSAGE_CHARS], NOTICE_TRUNCATED


def find_questions(message: str) -> list[str]:
    """The sentences of a message that ask something; the whole message when none looks like a question."""
    found: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE.findall(message)):
        if sentence and any(cue in sentence.lower() for cue in QUESTION_CUES) and sentence not in found:
            found.append(sentence)
    return found[:MAX_QUESTIONS] or [message.strip()]


def reply_script(questions: list[str], extracts: list[Extract], citations: dict[str, Citation],
                 units: list[str]) -> str:
    """A polite, citable reply built from the extracted sentences (no LLM)."""
    topic = questions[0] if len(questions[0]) <= 60 else questions[0][:60] + "…"
    parts = [f"您好！关于您反映的“{topic.rstrip('。；;')}”问题，"]
    for i, ex in enumerate(extracts):
        c = citations[ex.clause.id]
        place = jurisdiction_label(jurisdiction_of(c.doc))
        lead = "根据" if i == 0 else "另外，根据"
        body = "".join(with_marker(s, c.n) for s in ex.sentences)
        parts.append(f"{lead}{c.citation}（{place}政策，{c.validity}）：{body}")
    if units:
        parts.append(f"该事项由{'、'.join(units[:4])}负责，具体办理可向上述部门咨询。")
    expired = [c for c in citations.values() if c.expired and any(ex.clause.id == c.id for ex in extracts)]
    if expired:
        parts.append("需要说明的是，上述部分政策已过有效期，仅供参考，目前是否有延续政策请以主管部门最新发布为准。")
    parts.append("感谢您的来电！")
    return "".join(parts)


def refusal_script(questions: list[str], reasons: list[str] = (), units: list[str] = ()) -> str:
    """What staff read out when the library does not cover the question: why, and where the caller may ask
    (the departments the nearest clauses name for the topic, when they name any)."""
    topic = questions[0] if len(questions[0]) <= 60 else questions[0][:60] + "…"
    why = f"（{'；'.join(reasons)}）" if reasons else ""
    where = f"该类事项通常由{'、'.join(units[:3])}负责，您也可以直接向其咨询。" if units else ""
    return (
        f"您好！关于您反映的“{topic.rstrip('。；;？?')}”问题，现有政策文件中未找到相关规定{why}。{where}"
        "我们会将您的诉求转交相关主管部门进一步核实答复，感谢您的来电！"
    )
