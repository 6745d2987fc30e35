"""Fit the answerability model (rag/answerability.json) on a golden set — the dev set only, never the holdout.

    python -m eval.fit_answerability [--golden eval/golden/dev.jsonl] [--max-false-refusal 0.02]

Every golden question is assessed by the real assistant exactly as a user would ask it (chat or hotline); its
features and whether it is answerable become one training row. A logistic regression (L2, numpy) is fitted;
each language's cutoff is chosen on out-of-fold probabilities of a stratified 5-fold cross-validation: the
highest refusal rate of that language's questions whose false-refusal rate stays within --max-false-refusal —
chosen over 11 differently shuffled cross-validations, so that the budget holds on their average. Each language's
caution line is chosen the same way with a budget of CAUTION_SHARE: answers below it are given as tentative.
The file records the features, the weights, the cutoffs, the caution lines and the cross-validated figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from eval.golden import load_golden
from rag.answerability import LANGUAGES, MODEL_FILE, Features, language_of, ruled_out
from rag.modes import MODES
from settings import ROOT, Settings

L2 = 0.1
MAX_FALSE_REFUSAL = 0.02
# Answers below the caution line say that their clauses may not answer the question. A tenth of the dev set's
# answerable questions lie below it (a fifth of those refused outright); on the dev set the line marks about 40 % of
# the Chinese and 30 % of the English unanswerable questions that the cutoff lets through.
CAUTION_SHARE = 0.10
FOLDS = 5
SEED = 7
SPLITS = 11


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Newton's method on the L2-penalised log loss (bias unpenalised); x rows are feature vectors."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.eye(xb.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-xb @ w))
        gradient = xb.T @ (p - y) + penalty @ w
        hessian = xb.T @ (xb * (p * (1 - p))[:, None]) + penalty + np.eye(len(w)) * 1e-9
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def predict(x: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ weights + bias)))


def out_of_fold(x: np.ndarray, y: np.ndarray, folds: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """Each row's probability from a model fitted without its fold (folds stratified by class)."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(y), dtype=int)
    for label in (0, 1):
        rows = rng.permutation(np.flatnonzero(y == label))
        fold_of[rows] = np.arange(len(rows)) % folds
    probabilities = np.empty(len(y))
    for fold in range(folds):
        held = fold_of == fold
        weights, bias = fit_logistic(x[~held], y[~held])
        probabilities[held] = predict(x[held], weights, bias)
    return probabilities


def choose_cutoff(probabilities: np.ndarray, y: np.ndarray, max_false_refusal: float) -> float:
    """The cutoff refusing the most unanswerable questions while the false-refusal rate stays within the budget;
    of the cutoffs that refuse as many, the one refusing fewest answerable questions, placed midway between the
    last probability it refuses and the first it answers (a margin either side)."""
    answerable, unanswerable = probabilities[y == 1], probabilities[y == 0]
    best: tuple[float, float, float] | None = None  # (refusal, -false refusal, -cutoff)
    for cutoff in np.unique(probabilities):
        false_refusal = float(np.mean(answerable < cutoff)) if len(answerable) else 0.0
        if false_refusal <= max_false_refusal:
            key = (float(np.mean(unanswerable < cutoff)) if len(unanswerable) else 0.0, -false_refusal, -float(cutoff))
            best = key if best is None or key > best else best
    if best is None:
        return 0.0
    cutoff = -best[2]
    below = probabilities[probabilities < cutoff]
    return float((below.max() + cutoff) / 2) if len(below) else cutoff


def stable_cutoff(splits: list[np.ndarray], y: np.ndarray, max_false_refusal: float) -> float:
    """Of the cutoffs each shuffle's cross-validation chooses (`choose_cutoff`), the highest whose false-refusal
    rate, averaged over all the shuffles, stays within the budget (the lowest of them when none does)."""
    chosen = sorted(choose_cutoff(probabilities, y, max_false_refusal) for probabilities in splits)
    within = [c for c in chosen if np.mean([np.mean(p[y == 1] < c) for p in splits]) <= max_false_refusal]
    return max(within) if within else chosen[0]


def rates(probabilities: np.ndarray, y: np.ndarray, cutoffs: np.ndarray | float) -> dict:
    """Refusal and false-refusal rates; `cutoffs` is one cutoff or each question's own (by its language)."""
    refused = probabilities < cutoffs
    return {"refusal_accuracy": round(float(refused[y == 0].mean()), 4),
            "false_refusal_rate": round(float(refused[y == 1].mean()), 4)}


def by_language(probabilities: np.ndarray, y: np.ndarray, languages: np.ndarray, cutoffs: dict[str, float]) -> dict:
    """The rates overall and for each language, each question judged at its language's cutoff."""
    own = np.array([cutoffs[language] for language in languages])
    out = rates(probabilities, y, own)
    for language in cutoffs:
        mine = languages == language
        out[language] = rates(probabilities[mine], y[mine], cutoffs[language])
    return out


def mean_rates(results: list[dict]) -> dict:
    """The mean of several `by_language` results, figure by figure."""
    first = results[0]
    return {key: mean_rates([r[key] for r in results]) if isinstance(value, dict)
            else round(float(np.mean([r[key] for r in results])), 4) for key, value in first.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_answerability", description=__doc__.splitlines()[0])
    parser.add_argument("--golden", type=Path, default=ROOT / "eval" / "golden" / "dev.jsonl")
    # At most 2 % of the dev set's answerable questions refused, to stay within 3 % on questions never seen: unseen
    # questions are refused wrongly two to three times as often as the cross-validated dev figure says.
    parser.add_argument("--max-false-refusal", type=float, default=MAX_FALSE_REFUSAL)
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args(argv)
    if "holdout" in args.golden.name:
        print("error: the holdout set is for measuring, never for fitting", file=sys.stderr)
        return 2

    from rag.runtime import build_runtime

    assistant = build_runtime(Settings.from_env(llm_base_url=None), update_index=True).assistant
    items = load_golden(args.golden)
    evidence = [assistant.evidence(item.question, item.mode) for item in items]
    x, y = np.array([f.vector() for f in evidence]), np.array([float(item.answerable) for item in items])
    # The rules refuse some questions before the model is asked (rag/answerability.py: ruled_out): the rates count them.
    ruled = np.array([ruled_out(f, MODES[item.mode].nouns_are_topics) for f, item in zip(evidence, items)])

    languages = np.array([language_of(f) for f in evidence])
    # One cross-validation's cutoff hangs on how its folds fell (one answerable question more or less in a fold
    # moves it): each language's cutoff is chosen over SPLITS shuffles, and the figures are their mean at it.
    splits = [np.where(ruled, 0.0, out_of_fold(x, y, seed=SEED + n)) for n in range(SPLITS)]
    def per_language(budget: float) -> dict[str, float]:
        return {language: stable_cutoff([oof[languages == language] for oof in splits], y[languages == language],
                                        budget) for language in LANGUAGES}

    cutoffs = per_language(args.max_false_refusal)
    cautions = {language: max(cutoffs[language], caution) for language, caution in per_language(CAUTION_SHARE).items()}
    weights, bias = fit_logistic(x, y)
    model = {
        "features": list(Features.NAMES),
        "weights": [round(float(w), 6) for w in weights],
        "bias": round(bias, 6),
        "cutoffs": {language: round(cutoff, 6) for language, cutoff in cutoffs.items()},
        "cautions": {language: round(caution, 6) for language, caution in cautions.items()},
        "fitted_on": {"golden": args.golden.name, "sha256": hashlib.sha256(args.golden.read_bytes()).hexdigest()[:16],
                      "items": len(items), "answerable": int(y.sum()), "l2": L2, "folds": FOLDS, "splits": SPLITS,
                      "max_false_refusal": args.max_false_refusal},
        "refused_by_rule": {"items": int(ruled.sum()), "answerable": int(y[ruled].sum())},
        "cross_validated": mean_rates([by_language(oof, y, languages, cutoffs) for oof in splits]),
        # The same rates at the caution lines: "refused" there means refused or answered as tentative.
        "cross_validated_cautions": mean_rates([by_language(oof, y, languages, cautions) for oof in splits]),
        "in_sample": by_language(np.where(ruled, 0.0, predict(x, weights, bias)), y, languages, cutoffs),
    }
    args.out.write_text(json.dumps(model, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(model, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
