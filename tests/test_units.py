"""Responsible-unit trailers (corpus-notes §4 H, hazard H13).

Every shape of the H13 table is pinned with the unit list a reader would write down by hand. The examples are
modelled on the cited corpus lines, with the clause text before them shortened to ``…。``.
"""

from __future__ import annotations

import pytest

from ingest.units import parse_trailer

COUNTIES = "各县级市<区>人民政府<管委会>"

H13_SHAPES = [
    # （责任单位：…）, with an inheritance note (001:71)
    (f"（责任单位：市工信局、市发改委；以下均需{COUNTIES}落实，不再列出）", ["市工信局", "市发改委", COUNTIES]),
    # （X、Y按职责分工负责） (001:674)
    ("（市发改委、市财政局、市商务局按职责分工负责）", ["市发改委", "市财政局", "市商务局"]),
    # （牵头单位：…；主要责任单位：…） (001:3118)
    ("（牵头单位：市商务局；主要责任单位：市发改委、市财政局）", ["市商务局", "市发改委", "市财政局"]),
    # （X负责）, with angle brackets nested in a unit (000:118)
    ("（市资源规划局、市商务局负责）", ["市资源规划局", "市商务局"]),
    ("（区发改局〈金融办〉负责）", ["区发改局〈金融办〉"]),
    # bare list （X、Y） (002:232) and with 下同 (001:572)
    ("（市人社局、市财政局）", ["市人社局", "市财政局"]),
    (f"（市民政局、市卫生健康委，{COUNTIES}，下同，不再单独列出）", ["市民政局", "市卫生健康委", COUNTIES]),
    # （责任部门：…） (001:632)
    ("（责任部门：市工信局、市科技局）", ["市工信局", "市科技局"]),
    # （责任单位：…按职责分工负责） (001:1539)
    ("（责任单位：市税务局、市财政局按职责分工负责）", ["市税务局", "市财政局"]),
    # ASCII (责任单位：…) (001:9)
    ("(责任单位：市工信局、市公安局)", ["市工信局", "市公安局"]),
    # [责任单位：…] with an ASCII-bracketed unit containing 、 (004:32)
    ("[责任单位：区市场监管局，各镇(街道、区)]", ["区市场监管局", "各镇(街道、区)"]),
    # （责任单位：…按职责分工落实） (001:117)
    ("（责任单位：市商务局按职责分工落实）", ["市商务局"]),
    # （X、Y按职责分工） (001:704)
    ("（市侨办、市发改委、市商务局、市侨联按职责分工）", ["市侨办", "市发改委", "市商务局", "市侨联"]),
    # [X…按职责分工负责] with a nested full-width bracket (001:1481)
    ("[市财政局（国资办）、市税务局按职责分工负责]", ["市财政局（国资办）", "市税务局"]),
    # [（…）] doubled brackets (004:106), 〔…] mismatched pair (004:178), ）。 full stop after (004:92)
    ("[（责任单位：区发改委、各镇（街道、区））]", ["区发改委", "各镇（街道、区）"]),
    ("〔责任单位：区司法局，各镇（街道、区）]", ["区司法局", "各镇（街道、区）"]),
    ("（责任单位：区行政审批局）。", ["区行政审批局"]),
]


@pytest.mark.parametrize(("trailer", "units"), H13_SHAPES, ids=[t for t, _ in H13_SHAPES])
def test_every_trailer_shape_of_the_h13_table_parses(trailer, units):
    parsed = parse_trailer("对符合条件的企业给予最高100万元奖励。" + trailer)
    assert parsed is not None
    assert parsed.units == units
    assert parsed.raw == trailer.removesuffix("。")


def test_lead_role_prefix_marks_lead_units_and_main_units_stay_units():
    parsed = parse_trailer("…。（牵头单位：苏州海关；主要责任单位：市商务局、市税务局）")
    assert parsed.lead_units == ["苏州海关"]
    assert parsed.units == ["苏州海关", "市商务局", "市税务局"]


def test_lead_suffix_makes_the_whole_run_before_it_lead():
    parsed = parse_trailer("…。（市协调办、市委编办牵头，市相关部门及各市<区>按职责分工负责）")
    assert parsed.lead_units == ["市协调办", "市委编办"]
    # 市相关部门 names no one; 各市<区> joined by 及 is a unit of its own.
    assert parsed.units == ["市协调办", "市委编办", "各市<区>"]


def test_separators_inside_nested_brackets_do_not_split_a_unit():
    parsed = parse_trailer("…。（责任单位：市司法局〔市仲裁委〕、各镇（街道、区）、市市场监管局<知识产权局>）")
    assert parsed.units == ["市司法局〔市仲裁委〕", "各镇（街道、区）", "市市场监管局<知识产权局>"]


@pytest.mark.parametrize(
    ("trailer", "inherited"),
    [
        (f"（责任单位：市工信局；以下均需{COUNTIES}落实，不再列出）", COUNTIES),
        (f"（市民政局，{COUNTIES}，下同，不再单独列出）", COUNTIES),
        (
            "（市商务局按职责分工负责，各县级市（区）人民政府（管委会）落实，"
            "本项及以下均需各县级市（区）人民政府（管委会）负责落实，不再列出）",
            "各县级市（区）人民政府（管委会）",
        ),
        # 000:30-32: a full stop inside the bracket separates the note from the list.
        ("（区经科局、区财政局，各街道按职责分工负责。以下政策均需各街道落实，不再单独列出）", "各街道"),
    ],
)
def test_inheritance_note_hands_its_unit_on_and_keeps_it_for_its_own_clause(trailer, inherited):
    parsed = parse_trailer("…。" + trailer)
    assert parsed.inherits == [inherited]
    assert inherited in parsed.units
    assert not any("不再" in u or "以下" in u or "下同" in u for u in parsed.units)


def test_plain_trailer_hands_nothing_on():
    assert parse_trailer("…。（责任单位：市工信局）").inherits == []


def test_trailer_counts_only_at_the_end_of_the_paragraph():
    assert parse_trailer("（责任单位：市工信局）对符合条件的企业给予奖励。") is None


@pytest.mark.parametrize(
    "paragraph",
    [
        "苏州市网上中介服务超市管理办法（试行）",
        "支持文化旅游（含电影）等行业企业",
        "依托苏州综合金融服务平台（以下简称“综合金融平台”）",
        "对符合条件的企业给予奖励。责任单位：市工信局）",  # closer without an opener
        "（“以下”含本数，下同）",
        "（苏政发〔2020〕102号）",
    ],
)
def test_brackets_that_are_not_trailers_give_none(paragraph):
    assert parse_trailer(paragraph) is None
