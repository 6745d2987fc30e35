"""The learned order of a ranking's head (rag/ranker.py), its fit (eval/fit_ranker.py) and, on the real corpus, that
the answerability evidence is still read in the rules' order."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from eval.fit_ranker import cross_validated, fit_listwise, first_evidence, main, summary
from rag.assistant import _interleave
from rag.ranker import MODEL_FILE, LearnedRanker, feature_names, features
from rag.retrieval import Candidates, Filters, Query, Ranking, Scored, hybrid
from rag.types import Retrieved
from settings import Settings
from stubs.fake_index import TALENT, clause

STAGES = ["fused", "preference", "coverage"]
NAMES = feature_names(STAGES)


def scored(question: str, texts: list[str]) -> tuple[Scored, dict]:
    """Clauses in the given order, every retriever and stage scoring them alike except for their order."""
    clauses = {c.id: c for c in (clause(TALENT, f"（{i}）", text) for i, text in enumerate(texts, start=1))}
    ids = list(clauses)
    found = [Candidates(source, [(cid, 1.0 - 0.01 * i) for i, cid in enumerate(ids)]) for source in
             ("dense", "bm25")]
    scores = {cid: 1.0 - 0.01 * i for i, cid in enumerate(ids)}
    query = Query(question, Filters(), date(2026, 6, 1), None)
    return Scored(query, found, [(stage, scores) for stage in STAGES], ids), clauses


def only(name: str, depth: int = 30) -> LearnedRanker:
    """A model weighing one feature alone."""
    weights = np.array([1.0 if n == name else 0.0 for n in NAMES])
    return LearnedRanker(tuple(NAMES), np.zeros(len(NAMES)), np.ones(len(NAMES)), weights, depth)


def test_the_clause_stating_the_asked_kind_of_fact_is_marked_as_such():
    ranked, clauses = scored("人才补贴能拿多少钱？", ["对领军人才给予支持。", "给予一次性补贴50万元。"])
    column = features(ranked, clauses)[:, NAMES.index("states_asked")]
    assert column.tolist() == [0.0, 1.0]


def test_a_question_asking_for_no_kind_of_fact_marks_no_clause():
    ranked, clauses = scored("人才政策有哪些", ["对领军人才给予支持。", "给予一次性补贴50万元。"])
    assert features(ranked, clauses)[:, NAMES.index("states_asked")].tolist() == [0.0, 0.0]


def test_head_is_reordered_by_the_weights_and_the_tail_keeps_its_order():
    ranked, clauses = scored("补贴多少钱", ["对领军人才给予支持。", "给予补贴50万元。", "另行规定。", "奖励10万元。"])
    order = only("states_asked", depth=3).reorder(ranked, clauses)
    assert order == [ranked.order[1], ranked.order[0], ranked.order[2], ranked.order[3]]


def test_a_longer_clause_goes_down_under_a_negative_length_weight():
    ranked, clauses = scored("人才", ["短。", "这是一段长得多的条款文字，写了很多与问题无关的话。"])
    ranker = only("length")
    flipped = LearnedRanker(ranker.names, ranker.mean, ranker.scale, -ranker.weights, ranker.depth)
    assert flipped.reorder(ranked, clauses) == ranked.order
    assert ranker.reorder(ranked, clauses) == ranked.order[::-1]


def test_a_model_fitted_on_other_features_is_refused():
    ranked, clauses = scored("补贴多少钱", ["甲。", "乙。"])
    stale = LearnedRanker(tuple(NAMES[:-1]), np.zeros(len(NAMES) - 1), np.ones(len(NAMES) - 1),
                          np.zeros(len(NAMES) - 1))
    with pytest.raises(ValueError, match="refit"):
        stale.reorder(ranked, clauses)


def test_the_listwise_fit_learns_the_feature_that_marks_the_evidence():
    rng = np.random.default_rng(0)
    lists = []
    for _ in range(200):
        gold = rng.integers(10)
        x = rng.normal(size=(10, 3))
        x[gold, 1] += 2.0  # feature 1 points at the evidence; 0 and 2 are noise
        y = np.zeros(10)
        y[gold] = 1.0
        lists.append((x, y))
    _, _, weights = fit_listwise(lists)
    assert weights[1] > 5 * max(abs(weights[0]), abs(weights[2]))
    learned = cross_validated(lists)
    assert learned["hit@1"] > 0.6 > summary([first_evidence(np.arange(10), y) for _, y in lists])["hit@1"]


def test_the_fit_command_refuses_the_holdout_set():
    assert main(["--golden", "eval/golden/holdout.jsonl"]) == 2


def test_the_shipped_ranker_was_fitted_on_the_dev_set_with_the_pipelines_features_and_beats_the_rules():
    raw = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert raw["fitted_on"]["golden"] == "dev.jsonl"
    assert raw["features"] == NAMES
    assert raw["cross_validated"]["hit@1"] > raw["pipeline_order"]["hit@1"]
    assert raw["cross_validated"]["mrr"] > raw["pipeline_order"]["mrr"]


def test_interleaved_rankings_keep_the_rules_order_of_each_query_round_robin():
    def hit(cid: str) -> Retrieved:
        return Retrieved(rank=0, id=cid, citation=cid, doc_title="", label=cid, text=cid, score=0.0, kind="item",
                         doc={})

    first = Ranking(hits=[hit("a"), hit("b")], support=["b", "a"])
    second = Ranking(hits=[hit("c"), hit("a")], support=["c", "d"])
    merged = _interleave([first, second], k=4)
    assert [h.id for h in merged.hits] == ["a", "c", "b"]
    assert merged.support == ["b", "c", "a", "d"]


# --- on the real corpus ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pipelines(corpus_index, embeddings):
    settings = Settings.from_env(llm_base_url=None)
    return hybrid(corpus_index, embeddings, settings), hybrid(corpus_index, embeddings,
                                                             settings.with_(learned_order=False))


@pytest.mark.parametrize("question", [
    "车规级芯片认证的补助比例",
    "中压燃气管道保护距离",
    "What support is there for building public overseas warehouses?",
])
def test_real_corpus_answerability_evidence_is_read_in_the_rules_order(pipelines, question):
    learned, rules = pipelines
    assert learned.ranker is not None and rules.ranker is None
    assert learned.rank(question).support == [h.id for h in rules.rank(question).hits]


def test_real_corpus_learned_order_changes_only_the_order_of_the_same_head(pipelines):
    learned, rules = pipelines
    question = "人才落户的申请条件有哪些"
    assert set(h.id for h in learned.rank(question, k=30).hits) == set(h.id for h in rules.rank(question, k=30).hits)
