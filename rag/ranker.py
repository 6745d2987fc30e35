"""The learned order of a ranking's head: a linear model over what the pipeline's parts measured, fitted on the dev set.

Fusion and the preferences each weigh one kind of evidence by a hand-set rule (RRF's k, a factor of 1.5). How much
a cosine gap is worth against a BM25 ratio, or against a clause stating the kind of fact asked for (a sum for 补多少,
a span for 多久), is a question of data: `LearnedRanker` reorders the first DEPTH clauses by a weighted sum of the
features below, with weights fitted on the dev set's answerable questions (`python -m eval.fit_ranker`, a listwise
softmax: the evidence clause's probability among the head). The model file records the features, their
standardisation, the weights and the cross-validated figures.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.model import Clause
from rag import slots
from rag.retrieval import Candidates, Scored
from rag.retrievers import Preferences

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).with_name("ranker.json")
DEPTH = 30  # clauses reordered; the evidence clause is within them for 914 of 919 dev questions
SOURCES = ("dense", "bm25", "dense_zh", "bm25_zh")  # the hybrid's retrievers (rag/retrieval.py)
RRF_K = 10  # a retriever's rank enters as 1 / (RRF_K + rank), as in the fusion


def feature_names(stages: list[str]) -> list[str]:
    """Each retriever's score and rank; each stage after fusion as the factor it applied; the final score against
    the first clause's; the clause's length and kind; whether it states what is asked for."""
    per_source = [f"{source}_{part}" for source in SOURCES for part in ("score", "rank")]
    return per_source + stages[1:] + ["final", "length", "secondary", "states_asked"]


def features(scored: Scored, clauses: dict[str, Clause], depth: int = DEPTH) -> np.ndarray:
    """One row per clause of the head (`scored.order[:depth]`), columns as `feature_names`."""
    head = scored.order[:depth]
    by_source = {c.source: c for c in scored.found}
    columns: list[list[float]] = []
    for source in SOURCES:
        columns += _retriever_columns(by_source.get(source), head)
    for (_, before), (_, after) in zip(scored.stages, scored.stages[1:]):
        columns.append([math.log(after[cid] / before[cid]) if before.get(cid) else 0.0 for cid in head])
    final = scored.stages[-1][1]
    top = final[head[0]]
    columns.append([math.log(final[cid] / top) for cid in head])
    columns.append([math.log(len(clauses[cid].text) + 1) for cid in head])
    columns.append([float(clauses[cid].kind in Preferences.SECONDARY_KINDS) for cid in head])
    columns.append(_states_asked(scored.query.text, [clauses[cid].text for cid in head]))
    return np.array(columns, dtype=float).T


def _retriever_columns(found: Candidates | None, head: list[str]) -> list[list[float]]:
    """A retriever's score as a gap to its best (a cosine) or a share of its best (BM25), and its rank as RRF
    weighs it; a clause it did not find scores as its last one and has no rank."""
    if found is None or not found.ranked:
        return [[0.0] * len(head), [0.0] * len(head)]
    at = {cid: (rank, score) for rank, (cid, score) in enumerate(found.ranked, start=1)}
    best, last = found.ranked[0][1], found.ranked[-1][1]
    cosine = found.source.startswith("dense")
    scores = [(at[cid][1] if cid in at else last) for cid in head]
    scores = [s - best for s in scores] if cosine else [s / best if best else 0.0 for s in scores]
    ranks = [1.0 / (RRF_K + at[cid][0]) if cid in at else 0.0 for cid in head]
    return [scores, ranks]


def _states_asked(question: str, texts: list[str]) -> list[float]:
    """Whether each text states a kind of fact the question asks for (rag/slots.py); the same for every text when
    it asks for none, so it then weighs nothing in the order."""
    asked = slots.asked_slots(question)
    if not asked:
        return [0.0] * len(texts)
    lowered = question.lower()
    patterns = [slots.stating_pattern(slot, slots.asked_unit_figure(question, slot),
                                      span=bool(slots.ASKS_SPAN.search(lowered)), cutoff=slots.asks_cutoff(question),
                                      ratio=slots.asks_ratio(question)) for slot in asked]
    return [float(any(p.search(text) for p in patterns)) for text in texts]


@dataclass(frozen=True)
class LearnedRanker:
    """Reorders the head of a ranking by the fitted model; the tail keeps the pipeline's order."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    depth: int = DEPTH

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "LearnedRanker":
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(raw["features"]), np.array(raw["mean"]), np.array(raw["scale"]), np.array(raw["weights"]),
                   int(raw["depth"]))

    def reorder(self, scored: Scored, clauses: dict[str, Clause]) -> list[str]:
        names = feature_names([name for name, _ in scored.stages])
        if tuple(names) != self.names:
            raise ValueError(f"the ranker was fitted on {self.names}, the pipeline measures {names}: refit it")
        head = scored.order[: self.depth]
        if len(head) < 2:
            return scored.order
        score = ((features(scored, clauses, self.depth) - self.mean) / self.scale) @ self.weights
        ranked = [head[i] for i in np.argsort(-score, kind="stable")]
        return ranked + scored.order[self.depth :]


def load_ranker(path: Path = MODEL_FILE) -> LearnedRanker | None:
    """The fitted model; None, with a warning, before one has been fitted (the pipeline's own order then stands)."""
    if not path.exists():
        log.warning("no learned order (%s): fit one with `python -m eval.fit_ranker`", path)
        return None
    return LearnedRanker.load(path)
