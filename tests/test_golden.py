"""The hand-written golden sets (eval/golden/dev.jsonl, the calibration set, and holdout.jsonl, kept apart for
unbiased measurement) are well-formed and every reference points at real text.

The checks mirror the harness's matching rules (docs/golden-format.md): an evidence string or key fact counts as
present when it occurs after removing whitespace, `*` and `#` and mapping „‟ to 〔〕. If an item fails here, the
harness could never score a hit on it, so the item (not the system) is wrong.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from eval.golden import load_golden
from eval.metrics import hits, normalise as harness_normalise

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "eval" / "golden" / "dev.jsonl"
GOLDEN_FILES = [DEV, ROOT / "eval" / "golden" / "holdout.jsonl"]
DATA = ROOT / "data"

TYPES = {"factoid", "numeric", "eligibility", "procedure", "department", "multi_clause", "unanswerable"}
PERSONAS = {"enterprise", "hotline"}
REQUIRED = {
    "id": str, "question": str, "answer": str, "type": str, "persona": str, "key_facts": list,
}
SOURCE_FIELDS = ("file", "doc_title", "clause", "line", "evidence")

# Key facts must sit this close (in normalised characters) to one of the item's evidence strings, so that a fact
# found elsewhere in a long file does not pass for belonging to the cited clause.
KEY_FACT_WINDOW = 400
# `line` must point at the clause start; the evidence has to follow within this many raw lines (hard-wrapped
# PDF text in 000/003 puts about 20 characters on a line, with a blank line after each).
LINE_WINDOW = 60

# Ground truth from corpus-notes §2: the 42 distinct documents (F003 is the same text as D29, so 41 titles here
# plus D29's, which F003 shares).
DISTINCT_TITLES = {
    "苏州市推动智能车联网和新能源汽车产业发展的若干措施",
    "苏州市大力培育工业设计产业发展三年行动计划（2025～2027年）",
    "苏州市支持具身智能机器人产业创新发展的若干措施",
    "苏州市高水平建设“人工智能+”创新发展试验区的若干措施",
    "苏州市关于推动跨境电子商务高质量发展的若干政策措施",
    "苏州市网上中介服务超市管理办法（试行）",
    "关于苏州市加快培育生产性服务业领军企业的若干意见",
    "苏州市2025年度行政执法监督工作计划",
    "关于促进数据产业高质量发展的实施意见",
    "关于促进苏州市银发经济高质量发展的若干措施",
    "苏州市加快推动软件产业高质量发展的若干政策措施",
    "中国（苏州）跨境电子商务综合试验区高质量发展三年行动计划（2024～2026年）",
    "关于公布《国家级开发区赋权清单（2024年版）》的通知",
    "苏州市人才落户管理办法",
    "关于进一步支持国家新一代人工智能创新发展试验区、国家生物药技术创新中心、国家第三代半导体技术创新中心（苏州）的若干政策",
    "苏州市推进数字贸易加快发展若干措施",
    "苏州市加快推进政务服务标准化规范化便利化的实施方案",
    "苏州市促进企业利用资本市场实现高质量发展的实施意见（2023-2025年）",
    "苏州市创建省知识产权保护示范区实施方案",
    "苏州市生物医药产业创新集群建设实施方案",
    "关于进一步帮助市场主体纾困解难着力稳定经济增长的若干政策措施",
    "苏州市制造业智能化改造数字化转型2023年实施方案",
    "关于进一步促进科技创新券发展实施意见",
    "关于强化机制推进产业创新集群和新兴服务业细分领域发展的工作意见",
    "苏州市推动新兴服务业高质量发展2025行动计划",
    "苏州市制造业智能化改造和数字化转型2022年行动计划",
    "苏州市企业知识产权登峰行动计划（2021～2023年）",
    "市政府关于进一步提高上市公司质量的实施意见",
    "关于进一步深化“放管服”改革着力服务“六稳”“六保”的实施方案",
    "2021年苏州市深化“放管服”改革优化营商环境工作要点",
    "关于修改《苏州市建筑施工安全监督管理办法》等3件规章的决定",
    "苏州市建筑施工安全监督管理办法",
    "苏州市燃气管理办法",
    "苏州市客运出租汽车管理办法",
    "关于支持外贸企业稳定发展的若干政策意见（苏“惠外”新八条）",
    "苏州市进一步做好金融支持稳企业保就业工作指导意见",
    "关于进一步做好当前金融支持小微企业稳定发展的若干政策意见",
    "关于开放型经济高质量发展的实施意见",
    "苏州市行政审批告知承诺制管理暂行办法",
    "姑苏区贯彻落实省、市关于推动经济运行率先好转的若干措施的实施方案",
    "苏州市优化营商环境创新行动2020",
    "相城区优化营商环境创新行动2022",
}

_DROP = re.compile(r"[\s*#]")


def normalise(text: str) -> str:
    """The harness's matching normalisation: no whitespace, `*` or `#`; „‟ read as 〔〕."""
    return _DROP.sub("", text).replace("„", "〔").replace("‟", "〕")


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def load_items(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


DEV_ITEMS = load_items(DEV)  # the set the size and coverage requirements apply to
ITEMS = [item for path in GOLDEN_FILES for item in load_items(path)]  # every item must be well-formed and true
ANSWERABLE = [item for item in ITEMS if item.get("type") != "unanswerable"]


@cache
def raw_lines(file_name: str) -> tuple[str, ...]:
    return tuple((DATA / file_name).read_text(encoding="utf-8").splitlines())


@cache
def normalised_file(file_name: str) -> str:
    return normalise("\n".join(raw_lines(file_name)))


def item_id(item: dict) -> str:
    return item.get("id", "?")


def is_english(question: str) -> bool:
    return len(re.findall(r"[A-Za-z]", question)) > len(re.findall(r"[\u3400-\u9fff]", question))


def sources(item: dict) -> list[tuple[str, int, str]]:
    """(file, line, evidence) per cited clause; multi-clause items give parallel lists."""
    return list(zip([item["file"]] * len(as_list(item["evidence"])), as_list(item["line"]), as_list(item["evidence"])))


# ---------------------------------------------------------------- shape


def test_every_line_is_a_json_object_with_required_fields_of_the_right_type():
    lines = [line for path in GOLDEN_FILES for line in path.read_text(encoding="utf-8").splitlines()]
    for number, line in enumerate(lines, start=1):
        item = json.loads(line)
        assert isinstance(item, dict), number
        for name, kind in REQUIRED.items():
            assert isinstance(item.get(name), kind), f"line {number}: {name}"
        assert item["question"].strip() and item["answer"].strip(), number
        for name in SOURCE_FIELDS:
            assert name in item, f"line {number}: missing {name}"


def test_ids_are_unique():
    ids = Counter(item["id"] for item in ITEMS)
    assert not [i for i, n in ids.items() if n > 1]


def test_type_and_persona_values_are_valid():
    assert {item["type"] for item in ITEMS} <= TYPES
    assert {item["persona"] for item in ITEMS} <= PERSONAS


def test_file_is_written_as_utf8_without_ascii_escapes():
    for path in GOLDEN_FILES:
        assert "\\u" not in path.read_text(encoding="utf-8"), path.name


# ---------------------------------------------------------------- counts


def test_set_is_large_enough_and_mixes_every_type_and_both_personas():
    counts = Counter(item["type"] for item in DEV_ITEMS)
    assert len(DEV_ITEMS) >= 150
    assert set(counts) == TYPES
    assert counts["unanswerable"] >= 15
    assert counts["multi_clause"] >= 12
    assert {item["persona"] for item in DEV_ITEMS} == PERSONAS
    assert sum(item["persona"] == "hotline" for item in DEV_ITEMS) >= 40


def test_at_least_fifteen_questions_are_in_english():
    assert sum(is_english(item["question"]) for item in DEV_ITEMS) >= 15


def test_every_distinct_document_is_covered_at_least_twice():
    covered = Counter()
    for item in DEV_ITEMS:
        if item["type"] == "unanswerable":
            continue
        for title in set(as_list(item.get("doc_titles") or item["doc_title"])):
            covered[title] += 1
    assert len(DISTINCT_TITLES) == 42
    assert {t: covered[t] for t in DISTINCT_TITLES if covered[t] < 2} == {}


def test_doc_titles_are_known_documents():
    for item in ANSWERABLE:
        assert item["doc_title"] in DISTINCT_TITLES, item_id(item)
        for title in as_list(item.get("doc_titles")):
            assert title in DISTINCT_TITLES, item_id(item)


# ---------------------------------------------------------------- sources


def test_unanswerable_items_have_null_sources_and_no_key_facts():
    for item in ITEMS:
        if item["type"] == "unanswerable":
            assert all(item[name] is None for name in SOURCE_FIELDS), item_id(item)
            assert item["key_facts"] == [], item_id(item)


def test_answerable_items_name_a_bundled_file_and_a_clause():
    for item in ANSWERABLE:
        assert (DATA / item["file"]).is_file(), item_id(item)
        assert as_list(item["clause"]) and all(isinstance(c, str) and c for c in as_list(item["clause"]))
        assert item["key_facts"], item_id(item)


def test_multi_clause_lists_are_parallel_and_single_clause_items_are_scalars():
    for item in ANSWERABLE:
        if item["type"] == "multi_clause":
            lists = [item[name] for name in ("clause", "line", "evidence")]
            assert all(isinstance(v, list) for v in lists), item_id(item)
            assert len({len(v) for v in lists}) == 1 and len(lists[0]) >= 2, item_id(item)
            if "doc_titles" in item:
                assert len(item["doc_titles"]) == len(lists[0]), item_id(item)
        else:
            assert isinstance(item["clause"], str), item_id(item)
            assert isinstance(item["line"], int), item_id(item)
            assert isinstance(item["evidence"], str), item_id(item)


def test_evidence_strings_are_10_to_60_characters():
    for item in ANSWERABLE:
        for evidence in as_list(item["evidence"]):
            assert 10 <= len(normalise(evidence)) <= 60, (item_id(item), evidence)


def test_evidence_is_found_in_the_source_file_under_the_harness_matching_rules():
    for item in ANSWERABLE:
        text = normalised_file(item["file"])
        for evidence in as_list(item["evidence"]):
            assert normalise(evidence) in text, (item_id(item), evidence)


def test_evidence_is_in_chinese_even_for_english_questions():
    for item in ANSWERABLE:
        for evidence in as_list(item["evidence"]):
            assert re.search(r"[\u4e00-\u9fff]", evidence), item_id(item)


def test_line_points_at_the_start_of_the_cited_clause():
    for item in ANSWERABLE:
        for file_name, line, evidence in sources(item):
            lines = raw_lines(file_name)
            assert 1 <= line <= len(lines) and lines[line - 1].strip(), (item_id(item), line)
            window = normalise("\n".join(lines[line - 1:line - 1 + LINE_WINDOW]))
            assert normalise(evidence) in window, (item_id(item), line, evidence)


def test_each_key_fact_is_in_the_cited_clause_near_its_evidence():
    for item in ANSWERABLE:
        text = normalised_file(item["file"])
        anchors = [m.start() for ev in as_list(item["evidence"]) for m in re.finditer(re.escape(normalise(ev)), text)]
        for fact in item["key_facts"]:
            needle = normalise(fact)
            assert needle, item_id(item)
            positions = [m.start() for m in re.finditer(re.escape(needle), text)]
            assert any(abs(p - a) <= KEY_FACT_WINDOW for p in positions for a in anchors), (item_id(item), fact)


def test_harness_loads_the_set_and_its_matching_rules_hit_every_evidence_in_its_source_file():
    """Same check as above, but through the evaluator's own loader and normalisation, so a drift between this
    test's normalisation and the harness's cannot hide an unreachable evidence string. (`hits` itself re-normalises
    the chunk on every call; on a whole 570 KB file that is slow, so the file is normalised once and `hits` is
    spot-checked to agree.)"""
    loaded = {item.id: item for path in GOLDEN_FILES for item in load_golden(path)}
    assert len(loaded) == len(ITEMS)
    sources = {name: harness_normalise((DATA / name).read_text(encoding="utf-8")) for name in {i["file"] for i in ANSWERABLE}}
    for item in ANSWERABLE:
        for evidence in loaded[item["id"]].evidence:
            assert harness_normalise(evidence) in sources[item["file"]], (item["id"], evidence)
    first = ANSWERABLE[0]
    assert hits((DATA / first["file"]).read_text(encoding="utf-8"), loaded[first["id"]].evidence[0])
    assert all(not loaded[item["id"]].answerable for item in ITEMS if item["type"] == "unanswerable")


@pytest.mark.parametrize("question_kind", ["hotline", "enterprise"])
def test_each_persona_has_unanswerable_questions(question_kind):
    assert any(item["type"] == "unanswerable" and item["persona"] == question_kind for item in ITEMS)
