"""Scoring rules of the eval harness on hand-made cases; expected values are computed by hand here."""

from __future__ import annotations

import math

import pytest

from eval.golden import GoldenItem, detect_language, parse_item
from eval.metrics import (
    breakdown,
    citation_precision,
    citation_recall,
    department_in_answer,
    evidence_ranks,
    figure_first,
    figures_from_cited,
    full_hit_at,
    hit_at,
    hits,
    key_fact_coverage,
    ndcg_at,
    percentile,
    reciprocal_rank,
    score_item,
    summarise,
)

# --- evidence matching ----------------------------------------------------------------------------------


def test_evidence_hits_across_pdf_line_breaks_and_spaces():
    chunk = "对首次通过车规级认证的企业，按照实际认证\n\n费用的 50% 给予补贴"
    assert hits(chunk, "按照实际认证费用的50%给予补贴")


def test_markdown_emphasis_and_heading_marks_are_ignored_on_both_sides():
    assert hits("## 一、**支持企业**做大做强", "支持企业做大做强")
    assert hits("支持企业做大做强", "**支持企业**做大做强")


def test_low_double_quotes_match_tortoise_shell_brackets():
    assert hits("根据苏府办„2023‟12号文件", "苏府办〔2023〕12号")


def test_different_text_does_not_hit():
    assert not hits("按照实际认证费用的30%给予补贴", "按照实际认证费用的50%给予补贴")


def test_evidence_ranks_give_first_hitting_rank_per_evidence():
    texts = ["无关条款", "甲条款内容", "乙条款内容", "甲条款内容（重复）"]
    assert evidence_ranks(texts, ["甲条款", "乙条款", "丙条款"]) == [2, 3, None]


# --- ranking metrics ------------------------------------------------------------------------------------


def test_relevant_at_rank_two_gives_mrr_half_and_ndcg_one_over_log2_3():
    ranks = evidence_ranks(["无关", "证据在此", "无关"], ["证据在此"])
    assert reciprocal_rank(ranks) == 0.5
    assert ndcg_at(ranks, 10) == pytest.approx(1 / math.log2(3))
    assert not hit_at(ranks, 1)
    assert hit_at(ranks, 3)


def test_nothing_retrieved_scores_zero():
    ranks = evidence_ranks([], ["证据"])
    assert reciprocal_rank(ranks) == 0.0
    assert ndcg_at(ranks) == 0.0
    assert not hit_at(ranks, 10)


def test_relevant_beyond_k_does_not_count_for_ndcg_at_k():
    assert ndcg_at([11], 10) == 0.0


def test_multi_clause_ndcg_treats_each_evidence_as_a_relevant_item():
    # Evidence found at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5; ideal (ranks 1, 2) = 1 + 1/log2(3).
    expected = 1.5 / (1 + 1 / math.log2(3))
    assert ndcg_at([1, 3], 10) == pytest.approx(expected)
    assert reciprocal_rank([3, 1]) == 1.0


def test_one_chunk_holding_both_evidence_strings_is_ideal_not_above_one():
    assert ndcg_at([1, 1], 10) == 1.0


def test_full_hit_needs_every_evidence_within_k():
    assert full_hit_at([1, 4], 5)
    assert not full_hit_at([1, 6], 5)
    assert not full_hit_at([1, None], 10)
    assert hit_at([1, None], 1)


# --- answer metrics -------------------------------------------------------------------------------------


def test_citation_precision_and_recall_by_evidence():
    evidence = ["甲条款", "乙条款"]
    cited = ["甲条款全文", "无关条款"]
    assert citation_precision(cited, evidence) == 0.5
    assert citation_recall(cited, evidence) == 0.5
    assert citation_recall(["甲条款与乙条款合在一起"], evidence) == 1.0


def test_citation_precision_is_undefined_without_citations():
    assert citation_precision([], ["甲条款"]) is None
    assert citation_recall([], ["甲条款"]) == 0.0


def test_key_fact_coverage_ignores_whitespace_in_the_answer():
    assert key_fact_coverage("最高 100 万元，补贴50%", ["50%", "100万元", "市工信局"]) == pytest.approx(2 / 3)
    assert key_fact_coverage("任何回答", []) is None


def test_percentile_interpolates_like_numpy():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(30 + 0.85 * 10)
    assert percentile([], 50) is None


# --- per-item scoring and aggregation -------------------------------------------------------------------

ANSWERABLE = GoldenItem(id="a", question="补贴多少？", type="numeric", persona="enterprise", doc_title="文件甲",
                        evidence=["补贴标准为50%"], key_facts=["50%"])
UNANSWERABLE = GoldenItem(id="u", question="火星补贴？", type="unanswerable", persona="hotline")


def test_refusing_an_answerable_question_is_a_false_refusal():
    scores = score_item(ANSWERABLE, ["补贴标准为50%"], [], "未在现有政策文件中找到", refused=True)
    assert scores["false_refusal_rate"] == 1.0
    assert scores["refusal_accuracy"] is None
    assert scores["hit@1"] == 1.0  # retrieval is scored independently of the refusal
    assert scores["key_fact_coverage"] == 0.0


def test_unanswerable_item_is_scored_only_on_refusal():
    scores = score_item(UNANSWERABLE, ["某条款"], [], "未在现有政策文件中找到", refused=True)
    assert scores["refusal_accuracy"] == 1.0
    assert scores["false_refusal_rate"] is None
    assert scores["hit@5"] is None and scores["mrr"] is None and scores["citation_precision"] is None


def test_an_uncovered_question_answered_with_a_warning_is_warned_but_not_refused():
    warned = score_item(UNANSWERABLE, ["某条款"], ["某条款"], "某条款", refused=False, tentative=True)
    assert warned["refusal_accuracy"] == 0.0 and warned["refused_or_warned"] == 1.0
    confident = score_item(UNANSWERABLE, ["某条款"], ["某条款"], "某条款", refused=False)
    assert confident["refused_or_warned"] == 0.0 and confident["tentative_rate"] is None


def test_the_warning_s_price_counts_answerable_questions_answered_as_tentative():
    tentative = score_item(ANSWERABLE, ["补贴标准为50%"], ["补贴标准为50%"], "补贴50%", refused=False, tentative=True)
    assert tentative["tentative_rate"] == 1.0 and tentative["refused_or_warned"] is None
    refused = score_item(ANSWERABLE, ["补贴标准为50%"], [], "未在现有政策文件中找到", refused=True)
    assert refused["tentative_rate"] is None  # a refusal is counted as a false refusal, not as a warning


def test_summary_means_each_metric_over_the_items_it_applies_to():
    records = [
        {**score_item(ANSWERABLE, ["无关", "补贴标准为50%"], ["补贴标准为50%"], "补贴50%", False), "latency_ms": 10.0},
        {**score_item(UNANSWERABLE, [], [], "答非所问", False), "latency_ms": 30.0},
        {**score_item(UNANSWERABLE, [], [], "未找到", True), "latency_ms": 20.0},
    ]
    summary = summarise(records)
    assert summary["n"] == 3
    assert summary["mrr"] == 0.5
    assert summary["hit@1"] == 0.0 and summary["hit@3"] == 1.0
    assert summary["refusal_accuracy"] == 0.5
    assert summary["false_refusal_rate"] == 0.0
    assert summary["citation_precision"] == 1.0
    assert summary["latency_p50_ms"] == 20.0
    assert summary["errors"] == 0


def test_breakdown_groups_items_without_a_document_under_a_dash():
    records = [
        {"doc_title": "文件甲", "mrr": 1.0, "latency_ms": 1.0},
        {"doc_title": "文件甲", "mrr": 0.0, "latency_ms": 1.0},
        {"doc_title": None, "refusal_accuracy": 1.0, "latency_ms": 1.0},
    ]
    groups = breakdown(records, "doc_title")
    assert groups["文件甲"]["mrr"] == 0.5 and groups["文件甲"]["n"] == 2
    assert groups["—"]["refusal_accuracy"] == 1.0


# --- golden items ---------------------------------------------------------------------------------------


def test_golden_item_takes_lists_for_multi_clause_and_ignores_unknown_fields():
    item = parse_item({"id": 7, "question": "q", "type": "multi_clause", "persona": "hotline",
                       "clause": ["一、（一）", "二、"], "evidence": ["甲", "乙"], "key_facts": [], "reviewer": "x"})
    assert item.id == "7" and item.evidence == ["甲", "乙"] and item.mode == "hotline"


def test_unanswerable_golden_item_has_no_evidence():
    item = parse_item({"id": "u", "question": "q", "type": "unanswerable", "persona": "enterprise",
                       "evidence": None, "clause": None, "key_facts": []})
    assert item.evidence == [] and not item.answerable and item.mode == "chat"


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("汽车芯片过了车规级认证，补贴能拿多少？", "zh"),
        ("What subsidy does 姑苏区 give for 专精特新 firms?", "en"),
        ("AI大模型企业有什么算力补贴吗", "zh"),
        ("How much is the innovation voucher?", "en"),
    ],
)
def test_language_is_whichever_script_dominates_the_question(question, language):
    assert detect_language(question) == language


# --- per-slot metrics ------------------------------------------------------------------------------------


def test_figures_from_cited_counts_figures_the_clauses_or_the_question_contain():
    cited = ["对通过认证的，按照实际认证费用的50%给予补贴，单个企业最高补贴100万元。"]
    assert figures_from_cited("结论：按50%补贴，最高100万元[1]。\n\n参考条款：\n[1] …有效期至2027年", cited, "能补多少？") == 1.0
    assert figures_from_cited("结论：最高200万元，补贴50%[1]。", cited, "能补多少？") == 0.5
    assert figures_from_cited("按您所述：6000万，超过5000万元的门槛", ["设备投入5000万元以上"], "投入6000万") == 1.0
    assert figures_from_cited("详见条款[1]。", cited, "能补多少？") is None


def test_department_in_answer_applies_to_department_questions_and_checks_every_named_body():
    item = GoldenItem(id="d", question="找哪个部门？", type="department", persona="enterprise", doc_title="甲",
                      clause="一、", evidence=["x"], key_facts=["市工信局", "市财政局", "50%"])
    assert department_in_answer(item, "负责部门为市工信局、市财政局") == 1.0
    assert department_in_answer(item, "负责部门为市工信局") == 0.0
    assert department_in_answer(ANSWERABLE, "市工信局") is None


def test_figure_first_asks_every_figure_of_the_key_facts_in_the_answers_first_line():
    item = GoldenItem(id="f", question="能补多少？", type="numeric", persona="enterprise", doc_title="甲",
                      clause="一、", evidence=["x"], key_facts=["50%", "100万元", "市工信局"])
    assert figure_first(item, "结论：按50%补贴，最高100万元[1]。\n根据…") == 1.0
    assert figure_first(item, "结论：按50%补贴[1]。\n根据…单个企业最高100万元") == 0.0  # the cap only in the quote
    assert figure_first(GoldenItem(id="g", question="找谁？", type="department", persona="enterprise",
                                   doc_title="甲", clause="一、", evidence=["x"], key_facts=["市工信局"]), "x") is None


def test_figures_in_a_cited_title_are_not_stated_figures():
    answer = "《办法》第九条经《关于修改《办法》等3件规章的决定》三、修改[1]。"
    assert figures_from_cited(answer, ["第九条 驾驶员应当具备下列条件"], "第九条改成了什么？") is None
