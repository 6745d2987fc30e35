"""The extractive answerer (no LLM, deterministic): the sentences of the best clauses that answer the question,
verbatim, each cited with [n].

Sentences are scored by how much of the question's information (IDF-weighted tokens) they contain, plus cue
words for what the question asks: an amount (万元, %, 最高 …), a department (负责, 责任单位 …), a condition
(条件, 符合 …), a deadline or period (有效期, 年, 日 …).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.model import Clause
from ingest.tokenize import tokenize

_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
_LEADING_MARKER = re.compile(r"^\s*(第[一二三四五六七八九十百零〇两]+条|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+[.．、])\s*")

# (what the question asks for, words that say so in the question, words that answer it in a clause)
CUES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("amount", ("多少", "金额", "补贴", "奖励", "资助", "最高", "上限", "标准", "how much", "amount", "subsid"),
     ("万元", "元", "%", "补贴", "奖励", "资助", "不超过", "最高", "给予", "按照")),
    ("department", ("谁", "哪个部门", "哪些部门", "部门", "负责", "管", "找谁", "哪里", "单位", "who", "department"),
     ("负责", "责任单位", "牵头", "主管部门", "部门", "局", "委")),
    ("condition", ("条件", "要求", "资格", "能不能", "能否", "可以", "符合", "申请", "怎么", "如何", "材料", "eligib", "condition"),
     ("条件", "符合", "应当", "具有", "申请", "可以", "须", "需", "不得", "之一")),
    ("period", ("什么时候", "何时", "期限", "多久", "有效期", "到期", "截止", "时间", "几年", "when", "until"),
     ("有效期", "施行", "年", "月", "日", "期限", "之日", "以内", "内")),
]
GENERIC_CUES = ("万元", "%", "补贴", "奖励", "不超过", "最高", "负责", "申请", "条件")
CUE_WEIGHT = 0.12
MAX_SENTENCES_FIRST = 3
MAX_SENTENCES_OTHER = 2
MAX_CLAUSES = 3


@dataclass
class Extract:
    clause: Clause
    sentences: list[str]  # in clause order
    best: float


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def asked_cues(question: str) -> list[tuple[str, ...]]:
    q = question.lower()
    return [answers for _, asks, answers in CUES if any(a in q for a in asks)]


def score_sentence(sentence: str, query_weights: dict[str, float], cues: list[tuple[str, ...]]) -> float:
    """Share of the question's IDF mass the sentence contains, plus cue words for what is asked."""
    total = sum(query_weights.values())
    present = set(tokenize(sentence))
    overlap = sum(w for t, w in query_weights.items() if t in present) / total if total else 0.0
    wanted = {w for group in cues for w in group} or set(GENERIC_CUES)
    cue_hits = sum(1 for w in wanted if w in sentence)
    return overlap + CUE_WEIGHT * min(cue_hits, 3)


def extract(
    question: str,
    clauses: list[Clause],
    idf: Callable[[str], float],
    whole_first: bool = False,
) -> list[Extract]:
    """The answering sentences of up to MAX_CLAUSES clauses (best clause first). `whole_first` keeps every
    sentence of the first clause: the question named that clause, so it wants the clause itself."""
    query_weights = {t: idf(t) for t in set(tokenize(question))}
    cues = asked_cues(question)
    extracts: list[Extract] = []
    for position, clause in enumerate(clauses[:MAX_CLAUSES]):
        sentences = split_sentences(clause.text)
        if not sentences:
            continue
        if position == 0 and whole_first:
            extracts.append(Extract(clause, sentences, 1.0))
            continue
        scored = [(score_sentence(s, query_weights, cues), i, s) for i, s in enumerate(sentences)]
        best = max(score for score, _, _ in scored)
        if extracts and best < 0.8 * extracts[0].best:
            continue  # a weaker clause adds noise, not an answer
        limit = MAX_SENTENCES_FIRST if not extracts else MAX_SENTENCES_OTHER
        chosen = sorted(sorted(scored, key=lambda x: (-x[0], x[1]))[:limit], key=lambda x: x[1])
        chosen = [(score, i, s) for score, i, s in chosen if score >= 0.5 * best and _substantive(s)] or [
            max(scored, key=lambda x: (x[0], -x[1]))
        ]
        extracts.append(Extract(clause, [s for _, _, s in chosen], best))
    return extracts


def _substantive(sentence: str) -> bool:
    """A heading sentence ("（四）推动汽车电子高质量发展。") carries no answer on its own."""
    rest = _LEADING_MARKER.sub("", sentence)
    return len(rest) > 20 or bool(re.search(r"\d", rest))


def compose(extracts: list[Extract], leads: dict[str, str], numbers: dict[str, int]) -> str:
    """Answer text: per clause, its lead-in (根据《…》label：) and its sentences, each ending in [n]."""
    parts = []
    for ex in extracts:
        n = numbers[ex.clause.id]
        body = "".join(with_marker(s, n) for s in ex.sentences)
        parts.append(f"{leads[ex.clause.id]}{body}")
    return "\n".join(parts)


def with_marker(sentence: str, n: int) -> str:
    """Put [n] before the sentence's final punctuation, or after it when there is none."""
    if sentence and sentence[-1] in "。；！？":
        return f"{sentence[:-1]}[{n}]{sentence[-1]}"
    return f"{sentence}[{n}]"
