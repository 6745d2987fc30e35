"""Drive a system over a golden set exactly as a user would (question in, Answer out) and score every item.

`run(golden, assistant, ...)` is the seam: the CLI calls it with the real `rag.Assistant`; tests call it (or
`eval.__main__.main(..., assistant=...)`) with a fake that has the same `ask` signature.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from tqdm import tqdm

from eval.golden import GoldenItem
from eval.judge import SKIPPED, Judge
from eval.metrics import BREAKDOWNS, breakdown, score_item, summarise
from rag.types import Answer

# One system under evaluation: golden item in, Answer out.
AskFn = Callable[[GoldenItem], Answer]

FULL = "full"
SYSTEM_NAMES = {
    FULL: "full system (hybrid)",
    "bm25": "BM25 only",
    "dense": "dense only",
    "langchain": "plain LangChain (500-char chunks, Chroma)",
}


def assistant_system(assistant, k: int, retrieval: str = "hybrid") -> AskFn:
    """The assistant as a user drives it: hotline persona items go through hotline mode."""

    def ask(item: GoldenItem) -> Answer:
        return assistant.ask(item.question, mode=item.mode, retrieval=retrieval, k=k)

    return ask


def retrieval_baselines(assistant, k: int) -> dict[str, AskFn]:
    """The same assistant with only one retriever: BM25 alone and dense alone."""
    return {name: assistant_system(assistant, k, retrieval=name) for name in ("bm25", "dense")}


def run(
    golden: Sequence[GoldenItem],
    assistant,
    *,
    k: int = 10,
    baselines: Mapping[str, AskFn] | None = None,
    judge: Judge | None = None,
    progress: bool = True,
) -> dict:
    """Ask every golden question of the full system (and of each baseline); return `{"summary", "items"}`.

    `items` are the full system's item records; each also carries every baseline's first hit rank and
    refusal so a regression can be traced to one retriever. The judge grades the full system only.
    """
    items = run_system(golden, assistant_system(assistant, k), FULL, judge=judge, progress=progress)
    systems = {FULL: summarise(items)}
    for name, ask in (baselines or {}).items():
        records = run_system(golden, ask, name, progress=progress)
        systems[name] = summarise(records)
        for item, record in zip(items, records, strict=True):
            item.setdefault("baselines", {})[name] = {
                "first_hit_rank": record["first_hit_rank"],
                "refused": record["refused"],
            }
    summary = {
        "metrics": systems[FULL],
        "by": {key: breakdown(items, key) for key in BREAKDOWNS},
        "systems": systems,
        "judge": "on" if judge else SKIPPED,
        "k": k,
    }
    return {"summary": summary, "items": items}


def run_system(
    golden: Sequence[GoldenItem], ask: AskFn, name: str, judge: Judge | None = None, progress: bool = True
) -> list[dict]:
    """One scored record per golden item. An exception from the system is recorded on its item (and counted
    in `errors`, which the gate fails on) instead of ending a nightly run without any report."""
    records = []
    for item in tqdm(golden, desc=name, unit="q", disable=not progress):
        started = time.perf_counter()
        try:
            answer, error = ask(item), None
        except Exception as exc:  # noqa: BLE001 — any failure of the system under test is a result
            answer, error = Answer(question=item.question, text="", citations=[], refused=False, retrieved=[]), exc
        latency_ms = (time.perf_counter() - started) * 1000
        record = item_record(item, answer, latency_ms, error)
        if judge is not None and error is None:
            record |= judge.grade(item, answer.text, [c["text"] for c in record["cited"]], answer.refused)
        records.append(record)
    return records


def item_record(item: GoldenItem, answer: Answer, latency_ms: float, error: Exception | None = None) -> dict:
    """What the system returned for one item, with the golden fields and per-item scores."""
    retrieved = [
        {"rank": r.rank, "id": r.id, "citation": r.citation, "doc_title": r.doc_title, "label": r.label,
         "text": r.text, "score": r.score}
        for r in sorted(answer.retrieved, key=lambda r: r.rank)
    ]
    cited = [{"citation": c.citation, "text": c.text} for c in answer.citations]
    record = {
        "id": item.id,
        "question": item.question,
        "type": item.type,
        "persona": item.persona,
        "language": item.language,
        "doc_title": item.doc_title,
        "clause": item.clause,
        "evidence": item.evidence,
        "key_facts": item.key_facts,
        "reference_answer": item.answer,
        "retrieved": retrieved,
        "answer": answer.text,
        "cited": cited,
        "refused": answer.refused,
        "tentative": answer.tentative,
        "latency_ms": round(latency_ms, 1),
        "error": f"{type(error).__name__}: {error}" if error else None,
    }
    # Key facts count in the answer body only: the reference list under it carries validity dates ("有效期至…")
    # that would be credited whether or not the answer states them.
    body = answer.body or answer.text
    record |= score_item(item, [r["text"] for r in retrieved], [c["text"] for c in cited], body, answer.refused,
                         answer.tentative)
    return record
