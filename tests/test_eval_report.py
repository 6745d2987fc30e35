"""Regression comparison, thresholds, history folder and the written reports."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from eval.gate import Finding, Rule, check, gated_metrics, load_history, load_thresholds, regressions, run_stamp, save_summary
from eval.golden import GoldenItem
from eval.report import write_reports
from eval.runner import run
from rag.types import Answer, Retrieved

RULES = {
    "hit@5": Rule("hit@5", min=0.90, max_drop=0.02),
    "false_refusal_rate": Rule("false_refusal_rate", max=0.05, max_rise=0.02),
}


# --- gate -----------------------------------------------------------------------------------------------


def test_drop_larger_than_margin_is_a_regression_and_smaller_is_not():
    assert regressions({"hit@5": 0.95}, {"hit@5": 0.96}, RULES) == []
    found = regressions({"hit@5": 0.93}, {"hit@5": 0.96}, RULES)
    assert [(f.metric, f.kind) for f in found] == [("hit@5", "drop")]
    assert found[0].previous == 0.96


def test_drop_of_exactly_the_margin_is_allowed_despite_float_rounding():
    assert regressions({"hit@5": 0.94}, {"hit@5": 0.96}, RULES) == []


def test_rise_of_a_lower_is_better_metric_is_a_regression():
    found = regressions({"false_refusal_rate": 0.04}, {"false_refusal_rate": 0.01}, RULES)
    assert [(f.metric, f.kind) for f in found] == [("false_refusal_rate", "rise")]


def test_improvement_and_first_run_are_not_regressions():
    assert regressions({"hit@5": 0.99, "false_refusal_rate": 0.0}, {"hit@5": 0.91, "false_refusal_rate": 0.03}, RULES) == []
    assert regressions({"hit@5": 0.5}, None, RULES) == []


def test_floor_and_ceiling_are_checked_and_unmeasured_metrics_skipped():
    found = check({"hit@5": 0.89, "false_refusal_rate": 0.06}, None, RULES)
    assert [(f.metric, f.kind) for f in found] == [("hit@5", "floor"), ("false_refusal_rate", "ceiling")]
    assert check({"hit@5": None, "false_refusal_rate": 0.0}, {"hit@5": 1.0}, RULES) == []


def test_finding_descriptions_name_metric_value_and_limit():
    assert Finding("hit@5", "floor", 0.85, 0.9).describe() == "hit@5 = 0.85 is below its floor 0.9"
    assert Finding("mrr", "drop", 0.7, 0.03, 0.8).describe() == (
        "mrr dropped by 0.1 (0.8 → 0.7) since the previous run; allowed 0.03"
    )


def test_shipped_thresholds_gate_the_retrieval_and_answerability_targets():
    rules = load_thresholds()
    assert rules["hit@5"] == Rule("hit@5", min=0.90, max_drop=0.02)
    # The floors are the targets themselves, never a measurement: refuse ≥ 90 %, wrongly refuse ≤ 3 %.
    assert rules["refusal_accuracy"].min == 0.90 and rules["refusal_accuracy"].max_drop <= 0.05
    assert rules["false_refusal_rate"].max == 0.03


def test_english_floor_breaks_the_gate_when_the_overall_figure_hides_it():
    summary = {"metrics": {"hit@1": 0.85},
               "by": {"language": {"zh": {"hit@1": 0.90}, "en": {"hit@1": 0.70}}}}
    rules = load_thresholds()
    assert rules["en/hit@1"].min == 0.80 and rules["en/hit@5"].min == 0.95
    found = check(gated_metrics(summary), None, {k: rules[k] for k in ("hit@1", "en/hit@1")})
    assert [(f.metric, f.kind) for f in found] == [("en/hit@1", "floor")]


def test_threshold_file_with_unknown_key_is_rejected(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[mrr]\nfloor = 0.5\n', encoding="utf-8")
    with pytest.raises(ValueError, match="floor"):
        load_thresholds(path)


def test_history_is_read_oldest_first_whatever_the_write_order(tmp_path):
    t0 = datetime(2025, 1, 9, 23, 0, tzinfo=timezone.utc)
    later, earlier = run_stamp(t0 + timedelta(days=1)), run_stamp(t0)
    save_summary(tmp_path, later, {"metrics": {"mrr": 0.8}})
    save_summary(tmp_path, earlier, {"metrics": {"mrr": 0.7}})
    assert [(stamp, s["metrics"]["mrr"]) for stamp, s in load_history(tmp_path)] == [(earlier, 0.7), (later, 0.8)]
    assert load_history(tmp_path / "missing") == []


# --- reports --------------------------------------------------------------------------------------------

ITEMS = [
    GoldenItem(id="g1", question="补贴多少？", type="numeric", persona="enterprise", doc_title="文件甲",
               evidence=["补贴标准为50%"], key_facts=["50%"]),
    GoldenItem(id="g2", question="谁负责？", type="department", persona="hotline", doc_title="文件乙",
               evidence=["由市商务局负责"], key_facts=["市商务局"]),
]


class MissesSecond:
    """Retrieves the right clause for g1 and six wrong ones for g2."""

    def ask(self, question, mode="chat", retrieval="hybrid", k=5, **_):
        texts = ["补贴标准为50%"] if question == "补贴多少？" else [f"无关条款{i}" for i in range(6)]
        retrieved = [Retrieved(rank=r, id=f"c{r}", citation=f"《文件》条{r}", doc_title="文件", label=f"条{r}",
                               text=t, score=0.5) for r, t in enumerate(texts, start=1)]
        return Answer(question=question, text=texts[0], citations=[], refused=False, retrieved=retrieved)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    report = run(ITEMS, MissesSecond(), k=10, progress=False)
    report["summary"]["meta"] = {"stamp": run_stamp(datetime.now(timezone.utc)), "golden": "g.jsonl", "n_items": 2,
                                 "answerer": "extractive", "previous": "earlier", "wall_seconds": 1.0}
    previous = {"metrics": {**report["summary"]["metrics"], "hit@5": 1.0}}
    history = [("2025-01-01T00-00-00.000000Z", previous)]
    drop = regressions(report["summary"]["metrics"], previous["metrics"], RULES)
    out = tmp_path_factory.mktemp("report")
    paths = write_reports(out, report, history, drop, drop)
    return out, paths


def test_reports_are_written_with_summary_and_items(written):
    out, paths = written
    assert {p.name for p in paths} >= {"report.json", "report.md", "report.html", "latency.png", "trend.png"}
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["metrics"]["hit@5"] == 0.5
    assert [i["id"] for i in report["items"]] == ["g1", "g2"]


def test_html_report_is_self_contained(written):
    page = (written[0] / "report.html").read_text(encoding="utf-8")
    assert "<style>" in page
    assert page.count('src="data:image/png;base64,') >= 3
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_regression_is_highlighted_in_both_reports(written):
    out, _ = written
    assert "⚠ **0.500**" in (out / "report.md").read_text(encoding="utf-8")
    assert '<td class="bad">0.500</td>' in (out / "report.html").read_text(encoding="utf-8")


def test_failed_item_shows_its_top_five_retrieved_citations(written):
    markdown = (written[0] / "report.md").read_text(encoding="utf-8")
    failed = markdown.split("## Failed items (1)")[1]
    assert "g2" in failed and "evidence not in the top 5" in failed
    assert "《文件》条5" in failed and "《文件》条6" not in failed
    assert "g1 (" not in failed


def test_an_uncovered_question_answered_with_a_warning_is_told_apart_from_a_confident_wrong_answer():
    from eval.report import failure_reasons

    wrong = {"refusal_accuracy": 0.0, "tentative": False}
    assert failure_reasons(wrong) == ["answered confidently a question the documents do not cover"]
    warned = failure_reasons({**wrong, "tentative": True})
    assert warned == ["answered with a warning a question the documents do not cover"]
    assert failure_reasons({"refusal_accuracy": 1.0, "tentative": False}) == []
