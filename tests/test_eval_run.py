"""End to end: `python -m eval run` (its `main`) against a fake assistant on a tiny golden file it has never
seen, the gate's exit codes, the baselines and the LLM-judge path with a fake chat model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from eval.__main__ import main
from eval.baselines import CHUNK_OVERLAP, CHUNK_SIZE, split_raw_files
from eval.golden import load_golden
from eval.judge import SKIPPED, Judge, parse_verdict
from eval.runner import run
from rag.types import Answer, Citation, Retrieved
from settings import Settings

CLAUSES = {
    "chip": "对首次通过车规级认证的汽车芯片企业，按照实际认证费用的50%给予补贴，单个企业最高100万元。",
    "talent": "对新引进的顶尖人才团队，给予最高5000万元项目资助。",
    "house": "对符合条件的人才，给予购房补贴，最高200万元。",
    "noise": "本措施自印发之日起施行，由市工信局负责解释。",
}
GOLDEN = [
    {"id": "t1", "question": "汽车芯片过了车规级认证，补贴能拿多少？", "answer": "认证费用的50%，最高100万元。",
     "type": "numeric", "persona": "enterprise", "file": "a.txt", "doc_title": "文件甲", "clause": "一、（四）",
     "line": 3, "evidence": "按照实际认证费用的50%给予补贴", "key_facts": ["50%", "100万元"], "note": "extra field"},
    {"id": "t2", "question": "市民来电：人才引进有哪些资助和购房补贴？", "answer": "团队最高5000万元，购房最高200万元。",
     "type": "multi_clause", "persona": "hotline", "file": "a.txt", "doc_title": "文件甲", "clause": ["二、", "三、"],
     "line": [5, 7], "evidence": ["给予最高5000万元项目资助", "给予购房补贴，最高200万元"], "key_facts": ["5000万元"]},
    {"id": "t3", "question": "Is there a subsidy for opening a restaurant on Mars?", "answer": "Not covered.",
     "type": "unanswerable", "persona": "hotline", "file": None, "doc_title": None, "clause": None, "line": None,
     "evidence": None, "key_facts": []},
]


class FakeAssistant:
    """Answers like rag.Assistant from a fixed ranking per question; for `misses` questions it retrieves only
    an irrelevant clause, `refuses` questions are refused, `fails` questions raise. Records every call."""

    def __init__(self, misses: frozenset[str] = frozenset(), refuses: frozenset[str] = frozenset(), fails=frozenset()):
        self.misses, self.refuses, self.fails = misses, refuses, fails
        self.calls: list[dict] = []

    def ask(self, question, history=None, mode="chat", filters=None, retrieval="hybrid", k=5) -> Answer:
        self.calls.append({"question": question, "mode": mode, "retrieval": retrieval, "k": k})
        item = next(g for g in GOLDEN if g["question"] == question)
        if item["id"] in self.fails:
            raise RuntimeError("index exploded")
        wanted = {"t1": ["chip"], "t2": ["talent", "house"], "t3": []}[item["id"]]
        order = ["noise"] if item["id"] in self.misses else [*wanted, "noise"]
        retrieved = [
            Retrieved(rank=r, id=key, citation=f"《文件甲》{key}", doc_title="文件甲", label=key, text=CLAUSES[key], score=0.9)
            for r, key in enumerate(order[:k], start=1)
        ]
        refused = item["id"] in self.refuses or item["type"] == "unanswerable"
        cited = [] if refused else [
            Citation(n=n, id=key, citation=f"《文件甲》{key}", label=key, text=CLAUSES[key], doc={}, validity="有效", expired=False)
            for n, key in enumerate(wanted, start=1)
        ]
        text = "未在现有政策文件中找到相关规定。" if refused else "".join(c.text + f"[{c.n}]" for c in cited)
        return Answer(question=question, text=text, citations=cited, refused=refused, retrieved=retrieved)


@pytest.fixture()
def golden_file(tmp_path) -> Path:
    path = tmp_path / "unseen.jsonl"
    path.write_text("\n".join(json.dumps(g, ensure_ascii=False) for g in GOLDEN) + "\n\n", encoding="utf-8")
    return path


@pytest.fixture()
def settings(tmp_path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("\n\n".join(CLAUSES.values()) * 3, encoding="utf-8")
    return Settings(data_dir=data, cache_dir=tmp_path / "cache", index_dir=tmp_path / "index", llm_base_url=None)


def _eval(argv: list[str], settings: Settings, assistant: FakeAssistant) -> int:
    return main(["run", *argv, "--quiet"], settings=settings, assistant=assistant,
                embeddings=DeterministicFakeEmbedding(size=16))


def test_run_on_unseen_golden_file_writes_all_reports_and_passes_the_gate(tmp_path, golden_file, settings, capsys):
    assistant = FakeAssistant()
    out, history = tmp_path / "out", tmp_path / "history"
    code = _eval(["--golden", str(golden_file), "--out", str(out), "--history", str(history), "--baselines",
                  "--k", "4"], settings, assistant)

    assert code == 0, capsys.readouterr().out
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report) == {"summary", "items"}
    assert [i["id"] for i in report["items"]] == ["t1", "t2", "t3"]
    first = report["items"][0]
    for key in ("id", "question", "type", "persona", "language", "retrieved", "answer", "cited", "refused",
                "latency_ms", "evidence_ranks", "first_hit_rank", "hit@1", "hit@5", "mrr", "ndcg@10"):
        assert key in first
    assert set(first["retrieved"][0]) == {"rank", "id", "citation", "doc_title", "label", "text", "score"}
    assert first["cited"] == [{"citation": "《文件甲》chip", "text": CLAUSES["chip"]}]
    assert [i["language"] for i in report["items"]] == ["zh", "zh", "en"]
    summary = report["summary"]
    assert summary["metrics"]["hit@1"] == 1.0 and summary["metrics"]["refusal_accuracy"] == 1.0
    assert summary["metrics"]["full_hit@5"] == 1.0
    assert summary["judge"] == SKIPPED
    assert list(summary["systems"]) == ["full", "bm25", "dense", "langchain"]
    assert set(summary["by"]["persona"]) == {"enterprise", "hotline"}
    assert "| metric | full system (hybrid) | BM25 only | dense only | plain LangChain" in (out / "report.md").read_text(
        encoding="utf-8")
    assert len(list(history.glob("*.json"))) == 1


def test_hotline_items_are_asked_in_hotline_mode_and_baselines_switch_the_retriever(tmp_path, golden_file, settings):
    assistant = FakeAssistant()
    _eval(["--golden", str(golden_file), "--out", str(tmp_path / "out"), "--baselines", "--k", "7"], settings, assistant)

    full = [c for c in assistant.calls if c["retrieval"] == "hybrid"]
    assert [c["mode"] for c in full] == ["chat", "hotline", "hotline"]
    assert {c["k"] for c in assistant.calls} == {7}
    assert sorted({c["retrieval"] for c in assistant.calls}) == ["bm25", "dense", "hybrid"]


def test_gate_exits_1_and_lists_the_broken_floor(tmp_path, golden_file, settings, capsys):
    code = _eval(["--golden", str(golden_file), "--out", str(tmp_path / "out")], settings,
                 FakeAssistant(misses=frozenset({"t1", "t2"})))

    printed = capsys.readouterr().out
    assert code == 1
    assert "GATE FAILED" in printed
    assert "hit@1" not in printed.split("GATE FAILED")[1]  # hit@1 has no floor, only a max_drop
    assert "hit@5 = 0 is below its floor 0.9" in printed


def test_drop_since_previous_run_beyond_its_margin_fails_the_gate(tmp_path, golden_file, settings, capsys):
    thresholds = tmp_path / "thresholds.toml"
    thresholds.write_text('["hit@1"]\nmin = 0.0\nmax_drop = 0.02\n', encoding="utf-8")
    args = ["--golden", str(golden_file), "--out", str(tmp_path / "out"), "--history", str(tmp_path / "h"),
            "--thresholds", str(thresholds)]

    assert _eval(args, settings, FakeAssistant()) == 0
    assert _eval(args, settings, FakeAssistant()) == 0  # unchanged: no regression
    capsys.readouterr()
    assert _eval(args, settings, FakeAssistant(misses=frozenset({"t1"}))) == 1

    assert "hit@1 dropped by 0.5 (1 → 0.5) since the previous run; allowed 0.02" in capsys.readouterr().out
    assert "⚠" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert len(list((tmp_path / "h").glob("*.json"))) == 3


def test_an_exception_from_the_system_is_recorded_and_fails_the_gate(tmp_path, golden_file, settings, capsys):
    code = _eval(["--golden", str(golden_file), "--out", str(tmp_path / "out")], settings,
                 FakeAssistant(fails=frozenset({"t2"})))

    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert code == 1
    assert report["items"][1]["error"] == "RuntimeError: index exploded"
    assert "errors = 1 is above its ceiling 0" in capsys.readouterr().out


def test_missing_golden_file_is_a_usage_error(tmp_path, settings):
    assert _eval(["--golden", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "out")], settings,
                 FakeAssistant()) == 2


def test_plain_baseline_splits_raw_files_into_overlapping_500_character_chunks(tmp_path):
    text = "".join(f"第{i}句话说明一项政策内容。" for i in range(200))
    (tmp_path / "p.txt").write_text(text, encoding="utf-8")
    chunks = split_raw_files([tmp_path])

    assert len(chunks) > 1
    assert all(len(c.page_content) <= CHUNK_SIZE for c in chunks)
    assert chunks[0].page_content[-CHUNK_OVERLAP:] in chunks[1].page_content
    assert chunks[0].metadata == {"source": "p.txt", "chunk": 1}


def test_judge_scores_answers_with_the_chat_model(golden_file):
    chat = FakeListChatModel(responses=["SCORE: 1\nREASON: all supported", "SCORE: 0.5\nREASON: one fact missing"])
    report = run(load_golden(golden_file), FakeAssistant(refuses=frozenset({"t2"})), k=5, judge=Judge(chat),
                 progress=False)

    t1, t2, t3 = report["items"]
    assert (t1["faithfulness"], t1["answer_correctness"]) == (1.0, 0.5)
    assert t1["judge_reasons"]["answer_correctness"] == "one fact missing"
    assert (t2["faithfulness"], t2["answer_correctness"]) == (None, 0.0)  # refused an answerable question
    assert "faithfulness" not in t3  # unanswerable: the refusal metrics judge it
    assert report["summary"]["metrics"]["answer_correctness"] == 0.25
    assert report["summary"]["judge"] == "on"


@pytest.mark.parametrize(
    ("reply", "score"),
    [("SCORE: 0.75\nREASON: x", 0.75), ("score：1\nreason: fine", 1.0), ("I think it is good", None), ("SCORE: 7", None), ("SCORE: 10", None)],
)
def test_judge_reply_parsing(reply, score):
    assert parse_verdict(reply)[0] == score


def test_key_facts_are_scored_on_the_answer_body_not_its_reference_list():
    from eval.golden import GoldenItem
    from eval.runner import item_record
    from rag.types import Answer

    item = GoldenItem(id="k1", question="有效期到什么时候？", type="factoid", persona="enterprise", evidence=["x"],
                      key_facts=["2027年12月31日"])
    body = "根据《某措施》施行与解释：本措施自2025年7月1日起施行[1]。"
    answer = Answer(question=item.question, text=body + "\n\n引用：\n[1] 《某措施》（有效（有效期至2027年12月31日））",
                    citations=[], refused=False, retrieved=[], body=body)
    assert item_record(item, answer, 1.0)["key_fact_coverage"] == 0.0
