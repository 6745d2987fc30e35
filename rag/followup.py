"""Follow-up questions: "那大专呢？" after a question about 本科 落户 becomes a standalone query.

With an LLM configured the rewrite prompt does it; otherwise (or when the LLM fails) the topic is carried
over: an elliptical question gets the previous user question's key terms prepended.
"""

from __future__ import annotations

import re

from ingest.tokenize import tokenize

CONNECTIVES = ("那么", "那如果", "那要是", "那", "还有", "另外", "如果是", "要是", "假如", "what about", "and ")
# Words that say *what about* a topic but are no topic themselves: a question made only of these is elliptical.
NON_TOPIC = frozenset(
    "补贴 奖励 资助 条件 要求 标准 材料 流程 手续 时间 期限 部门 多久 多少 金额 政策 规定 办理 申请 怎么办 上限 最高 "
    "呢 吗 情况 的话 这个 那个 这种 哪个 还 能 有 没有".split()
)
SHORT_QUESTION_CHARS = 8
MAX_CARRIED_TERMS = 6


def is_elliptical(question: str) -> bool:
    q = question.strip().lower()
    if q.startswith(CONNECTIVES):
        return True
    core = re.sub(r"[\s\W]", "", q)
    topic_tokens = [t for t in tokenize(q) if t not in NON_TOPIC]
    return len(core) <= SHORT_QUESTION_CHARS and len(topic_tokens) <= 1 or not topic_tokens


def carry_topic(question: str, history: list[dict] | None) -> str | None:
    """The standalone form of `question` given the conversation so far, or None when it already stands alone
    (or there is nothing to carry over). Earlier follow-ups are resolved first, so a chain of "那…呢" keeps
    the original topic."""
    previous: str | None = None
    for turn in history or []:
        if turn.get("role") == "user" and (turn.get("content") or "").strip():
            content = turn["content"].strip()
            previous = _joined(previous, content) if previous and is_elliptical(content) else content
    if previous is None or not is_elliptical(question):
        return None
    return _joined(previous, question.strip())


def _joined(previous: str, question: str) -> str:
    asked = set(tokenize(question))
    tokens = [t for t in tokenize(previous) if t not in asked and t not in NON_TOPIC]
    # cut_for_search also emits the words inside a long word (本科学历 → 本科, 科学, 学历): keep the long one.
    terms: list[str] = []
    for token in tokens:
        if token not in terms and not any(token != other and token in other for other in tokens):
            terms.append(token)
    stripped = question
    for word in CONNECTIVES:
        if stripped.lower().startswith(word):
            stripped = stripped[len(word):].lstrip("，, ")
            break
    return " ".join(terms[:MAX_CARRIED_TERMS] + [stripped])
