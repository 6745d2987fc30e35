"""Fit the learned order of a ranking's head (rag/ranker.json) on a golden set — the dev set only, never the holdout.

    python -m eval.fit_ranker [--golden eval/golden/dev.jsonl]

Each answerable golden question is prepared as a user would ask it (chat or hotline) and its whole input ranked
by the hybrid pipeline without the learned order; the first DEPTH clauses, with their features, become one list
whose targets are the clauses holding the item's evidence. A linear scorer is fitted by Newton's method on the
listwise softmax cross-entropy (L2). The file records the features, their standardisation, the weights, and the
5-fold cross-validated hit@1 and MRR of the learned order against the pipeline's own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from eval.golden import load_golden
from eval.metrics import hits
from rag.ranker import DEPTH, MODEL_FILE, feature_names, features
from settings import ROOT, Settings

L2 = 0.01  # on the dev set 0.001 and 0.01 cross-validate alike; 0.1 gives back half the gain
FOLDS = 5
SEED = 7

List = tuple[np.ndarray, np.ndarray]  # one question's head: feature rows, and 1 for each clause holding evidence


def fit_listwise(lists: list[List], l2: float = L2, steps: int = 30) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, scale, weights) minimising the softmax cross-entropy between each list's scores and the uniform
    distribution over its evidence clauses; the features standardised on all rows first."""
    rows = np.vstack([x for x, _ in lists])
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale == 0] = 1.0
    lists = [((x - mean) / scale, y / y.sum()) for x, y in lists]
    w = np.zeros(rows.shape[1])
    for _ in range(steps):
        gradient, hessian = 2 * l2 * len(lists) * w, 2 * l2 * len(lists) * np.eye(len(w))
        for x, target in lists:
            p = _softmax(x @ w)
            gradient += x.T @ (p - target)
            hessian += x.T @ (x * p[:, None]) - np.outer(x.T @ p, x.T @ p)
        step = np.linalg.solve(hessian, gradient)
        # Newton's full step can overshoot far from the optimum: halve it until the loss falls.
        before = _loss(lists, w, l2)
        while _loss(lists, w - step, l2) > before and np.abs(step).max() > 1e-10:
            step /= 2
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, w


def _softmax(scores: np.ndarray) -> np.ndarray:
    p = np.exp(scores - scores.max())
    return p / p.sum()


def _loss(lists: list[List], w: np.ndarray, l2: float) -> float:
    """The summed cross-entropy of the lists (targets already distributions) plus the L2 penalty."""
    return float(sum(-(target @ np.log(_softmax(x @ w) + 1e-300)) for x, target in lists) + l2 * len(lists) * w @ w)


def first_evidence(order: np.ndarray, y: np.ndarray) -> int | None:
    """The 1-based rank of the first evidence clause in an order of a list's rows."""
    ranks = [rank for rank, row in enumerate(order, start=1) if y[row]]
    return ranks[0] if ranks else None


def summary(firsts: list[int | None]) -> dict:
    """hit@1, hit@5 and MRR from each question's first evidence rank."""
    return {"hit@1": round(float(np.mean([f == 1 for f in firsts])), 4),
            "hit@5": round(float(np.mean([f is not None and f <= 5 for f in firsts])), 4),
            "mrr": round(float(np.mean([1 / f if f else 0.0 for f in firsts])), 4)}


def cross_validated(lists: list[List], folds: int = FOLDS, seed: int = SEED) -> dict:
    """The learned order's figures with each question scored by a model fitted without its fold."""
    fold_of = np.random.default_rng(seed).permutation(len(lists)) % folds
    firsts: list[int | None] = []
    for fold in range(folds):
        train = [lst for lst, f in zip(lists, fold_of) if f != fold and lst[1].any()]
        mean, scale, w = fit_listwise(train)
        firsts += [first_evidence(np.argsort(-(((x - mean) / scale) @ w), kind="stable"), y)
                   for (x, y), f in zip(lists, fold_of) if f == fold]
    return summary(firsts)


def head_lists(golden: Path) -> tuple[list[List], list[str]]:
    """One list per answerable golden question whose head a direct lookup does not decide; and the feature names."""
    from rag.modes import MODES
    from rag.retrieval import hybrid
    from rag.runtime import build_runtime
    from rag.types import Answer

    settings = Settings.from_env(llm_base_url=None)
    assistant = build_runtime(settings, update_index=True).assistant
    pipeline = hybrid(assistant.index, assistant.embeddings, settings.with_(learned_order=False))
    lists, names = [], []
    for item in load_golden(golden):
        if not item.answerable:
            continue
        turn = assistant._prepare(item.question, None, MODES[item.mode])
        if isinstance(turn, Answer):
            continue
        scored = pipeline.score(turn.mode.queries(turn)[0])
        if pipeline.direct.first(scored.query, scored.stages[-1][1]):
            continue
        head = scored.order[:DEPTH]
        texts = [pipeline.store.clauses[cid].text for cid in head]
        y = np.array([float(any(hits(text, e) for e in item.evidence)) for text in texts])
        lists.append((features(scored, pipeline.store.clauses), y))
        names = feature_names([name for name, _ in scored.stages])
    return lists, names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_ranker", description=__doc__.splitlines()[0])
    parser.add_argument("--golden", type=Path, default=ROOT / "eval" / "golden" / "dev.jsonl")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args(argv)
    if "holdout" in args.golden.name:
        print("error: the holdout set is for measuring, never for fitting", file=sys.stderr)
        return 2
    lists, names = head_lists(args.golden)
    mean, scale, weights = fit_listwise([lst for lst in lists if lst[1].any()])
    model = {
        "features": names,
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [round(float(v), 6) for v in weights],
        "depth": DEPTH,
        "fitted_on": {"golden": args.golden.name, "sha256": hashlib.sha256(args.golden.read_bytes()).hexdigest()[:16],
                      "lists": len(lists), "with_evidence": sum(bool(y.any()) for _, y in lists), "l2": L2,
                      "folds": FOLDS},
        "pipeline_order": summary([first_evidence(np.arange(len(y)), y) for _, y in lists]),
        "cross_validated": cross_validated(lists),
    }
    args.out.write_text(json.dumps(model, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(model, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
