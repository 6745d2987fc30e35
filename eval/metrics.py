"""Scoring: pure functions from (golden item, what the system returned) to numbers.

Hits are decided by evidence text, never by labels (docs/golden-format.md): a chunk hits an evidence string
when it contains it after both are normalised. Per-item scores are stored with each item; aggregates are
means over the items a metric applies to (None = not applicable), so every breakdown uses the same code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from eval.golden import GoldenItem

HIT_KS = (1, 3, 5, 10)
FULL_HIT_KS = (5, 10)
NDCG_K = 10

_STRIP = re.compile(r"[\s*#]+")
_QUOTES = str.maketrans({"„": "〔", "‟": "〕"})


def normalise(text: str) -> str:
    """Remove whitespace, `*` and `#` (PDF line breaks, markdown emphasis/headings); `„‟` → `〔〕` (文号 brackets
    mangled in one source)."""
    return _STRIP.sub("", text).translate(_QUOTES)


def hits(chunk_text: str, evidence: str) -> bool:
    return normalise(evidence) in normalise(chunk_text)


def evidence_ranks(retrieved_texts: Sequence[str], evidence: Sequence[str]) -> list[int | None]:
    """For each evidence string, the 1-based rank of the first retrieved chunk that hits it (None: never)."""
    chunks = [normalise(t) for t in retrieved_texts]
    ranks: list[int | None] = []
    for ev in evidence:
        needle = normalise(ev)
        ranks.append(next((r for r, chunk in enumerate(chunks, start=1) if needle in chunk), None))
    return ranks


def first_hit_rank(ranks: Sequence[int | None]) -> int | None:
    found = [r for r in ranks if r is not None]
    return min(found) if found else None


def hit_at(ranks: Sequence[int | None], k: int) -> bool:
    """Some evidence string is hit within the top k."""
    first = first_hit_rank(ranks)
    return first is not None and first <= k


def full_hit_at(ranks: Sequence[int | None], k: int) -> bool:
    """Every evidence string is hit within the top k (multi-clause items)."""
    return bool(ranks) and all(r is not None and r <= k for r in ranks)


def reciprocal_rank(ranks: Sequence[int | None]) -> float:
    first = first_hit_rank(ranks)
    return 0.0 if first is None else 1.0 / first


def ndcg_at(ranks: Sequence[int | None], k: int = NDCG_K) -> float:
    """Binary-relevance nDCG where each evidence string is one relevant item, credited at its first hit.

    Crediting each evidence once means a duplicate copy of a clause earns nothing; one chunk holding two
    evidence strings can push DCG past the ideal, which is capped at 1 (that chunk is an ideal answer).
    """
    if not ranks:
        return 0.0
    dcg = sum(1.0 / math.log2(r + 1) for r in ranks if r is not None and r <= k)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(ranks), k) + 1))
    return min(1.0, dcg / ideal)


def citation_precision(cited_texts: Sequence[str], evidence: Sequence[str]) -> float | None:
    """Share of cited clauses that hit some evidence string; None when nothing was cited."""
    if not cited_texts:
        return None
    correct = sum(1 for text in cited_texts if any(hits(text, ev) for ev in evidence))
    return correct / len(cited_texts)


def citation_recall(cited_texts: Sequence[str], evidence: Sequence[str]) -> float | None:
    """Share of evidence strings hit by some cited clause; None when there is no evidence to find."""
    if not evidence:
        return None
    return sum(1 for ev in evidence if any(hits(text, ev) for text in cited_texts)) / len(evidence)


def key_fact_coverage(answer_text: str, key_facts: Sequence[str]) -> float | None:
    """Share of key facts the answer contains (whitespace-insensitive); None when the item lists none."""
    if not key_facts:
        return None
    answer = normalise(answer_text)
    return sum(1 for fact in key_facts if normalise(fact) in answer) / len(key_facts)


# A figure with its unit as answers state them: 50万元, 5%, 2米, 3个工作日, 35周岁.
_FIGURE = re.compile(r"(?<![月\d.])\d+(?:\.\d+)?\s*(?:亿元|万元|元|%|％|‰|米|公里|个工作日|工作日|日|天|个月|周岁|岁|人|家|件|个|倍)")
# A key fact that names a government body (市工信局, 区司法局, 市燃气管理部门 …).
_BODY = re.compile(r"(?:局|委|办|部门|政府|中心|机构|法院|办公室)(?:[)）])?$")


def figures_from_cited(answer_text: str, cited_texts: Sequence[str], question: str) -> float | None:
    """Share of the figures the answer states that a cited clause (or the question itself, a caller's own
    figure compared with a threshold) contains; None when the answer states no figure."""
    stated = answer_text.split("参考条款")[0]
    while re.search(r"《[^《》]*》", stated):  # a title names a document, it states no figure (…等3件规章的决定)
        stated = re.sub(r"《[^《》]*》", "", stated)
    figures = {normalise(m[0]) for m in _FIGURE.finditer(stated)}
    if not figures:
        return None
    sources = normalise(question + "".join(cited_texts))
    return sum(1 for f in figures if f in sources) / len(figures)


def department_in_answer(item: GoldenItem, answer_text: str) -> float | None:
    """For a department question: 1 when every key fact that names a body is in the answer; None otherwise."""
    bodies = [f for f in item.key_facts if _BODY.search(f)]
    if item.type != "department" or not item.answerable or not bodies:
        return None
    answer = normalise(answer_text)
    return float(all(normalise(f) in answer for f in bodies))


def figure_first(item: GoldenItem, answer_text: str) -> float | None:
    """For an answerable item whose key facts hold a figure (50万元, 2米, 20个工作日): 1 when every such figure is
    in the answer's first line (its 结论), else 0; None otherwise. The asked fact is to come first, not only
    somewhere in the quotes below."""
    figures = [f for f in item.key_facts if _FIGURE.search(f)]
    if not item.answerable or not figures:
        return None
    first = normalise((answer_text.strip().splitlines() or [""])[0])
    return float(all(normalise(f) in first for f in figures))


def score_item(
    item: GoldenItem, retrieved_texts: Sequence[str], cited_texts: Sequence[str], answer_text: str, refused: bool,
    tentative: bool = False,
) -> dict:
    """Every per-item score; None where the metric does not apply to this item. `tentative`: answered with the
    notice that its clauses may not answer the question."""
    scores: dict = {"evidence_ranks": [], "first_hit_rank": None}
    answerable_with_evidence = item.answerable and bool(item.evidence)
    ranks = evidence_ranks(retrieved_texts, item.evidence) if answerable_with_evidence else []
    if answerable_with_evidence:
        scores["evidence_ranks"] = ranks
        scores["first_hit_rank"] = first_hit_rank(ranks)
    for k in HIT_KS:
        scores[f"hit@{k}"] = float(hit_at(ranks, k)) if answerable_with_evidence else None
    scores["mrr"] = reciprocal_rank(ranks) if answerable_with_evidence else None
    scores[f"ndcg@{NDCG_K}"] = ndcg_at(ranks) if answerable_with_evidence else None
    multi = answerable_with_evidence and len(item.evidence) > 1
    for k in FULL_HIT_KS:
        scores[f"full_hit@{k}"] = float(full_hit_at(ranks, k)) if multi else None
    scores["citation_precision"] = citation_precision(cited_texts, item.evidence) if item.answerable else None
    scores["citation_recall"] = citation_recall(cited_texts, item.evidence) if item.answerable else None
    scores["key_fact_coverage"] = key_fact_coverage(answer_text, item.key_facts) if item.answerable else None
    scores["figures_from_cited"] = None if refused else figures_from_cited(answer_text, cited_texts, item.question)
    scores["department_in_answer"] = department_in_answer(item, answer_text)
    scores["figure_first"] = None if refused else figure_first(item, answer_text)
    scores["refusal_accuracy"] = None if item.answerable else float(refused)
    scores["false_refusal_rate"] = float(refused) if item.answerable else None
    # A question the documents do not cover is either refused or answered with a warning: what is left is a
    # confident wrong answer. The warning's price: answerable questions answered as tentative.
    scores["refused_or_warned"] = None if item.answerable else float(refused or tentative)
    scores["tentative_rate"] = float(tentative) if item.answerable and not refused else None
    return scores


# Per-item scores that aggregate as a plain mean over the items they apply to.
MEAN_METRICS = (
    *(f"hit@{k}" for k in HIT_KS),
    "mrr",
    f"ndcg@{NDCG_K}",
    *(f"full_hit@{k}" for k in FULL_HIT_KS),
    "citation_precision",
    "citation_recall",
    "key_fact_coverage",
    "figures_from_cited",
    "department_in_answer",
    "figure_first",
    "refusal_accuracy",
    "false_refusal_rate",
    "refused_or_warned",
    "tentative_rate",
    "faithfulness",
    "answer_correctness",
)


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0–100), as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(records: Sequence[dict]) -> dict:
    """Aggregate metrics over item records (each holding its per-item scores, `latency_ms` and `error`)."""
    summary: dict = {"n": len(records)}
    for name in MEAN_METRICS:
        value = mean(r.get(name) for r in records)
        if value is not None or name not in ("faithfulness", "answer_correctness"):
            summary[name] = value
    latencies = [r["latency_ms"] for r in records if r.get("latency_ms") is not None]
    summary["latency_p50_ms"] = percentile(latencies, 50)
    summary["latency_p95_ms"] = percentile(latencies, 95)
    summary["errors"] = sum(1 for r in records if r.get("error"))
    return summary


BREAKDOWNS = ("type", "persona", "language", "doc_title")


def breakdown(records: Sequence[dict], key: str) -> dict[str, dict]:
    """`summarise` per value of `key` (items without a value, e.g. unanswerable ones by document, go to "—")."""
    groups: dict[str, list[dict]] = {}
    for record in records:
        groups.setdefault(record.get(key) or "—", []).append(record)
    return {name: summarise(group) for name, group in sorted(groups.items())}
