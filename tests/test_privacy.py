"""Names and addresses in citizens' messages are masked before anything is logged, stored or sent on, while
the policy's own words (unit names, 文号, amounts, clause numbers) are left as they are."""

from __future__ import annotations

import pytest

from rag.privacy import mask_pii

MESSAGES = [
    # (a realistic hotline record, what must not survive, what must survive)
    (
        "市民张建国来电反映，家住姑苏区人民路88号3幢2单元501室，楼下饭店用液化气钢瓶，请问归哪个部门管？",
        ["张建国", "88号", "3幢", "501室"],
        ["市民张", "来电反映", "姑苏区人民路", "归哪个部门管"],
    ),
    (
        "来电人：李秀英\n联系电话：13912345678\n诉求：想咨询人才落户需要什么条件。",
        ["李秀英", "13912345678"],
        ["来电人：李", "人才落户需要什么条件"],
    ),
    (
        "您好，我是王小明，在工业园区金鸡湖花园3-2-501住。想问新能源汽车补贴找市工信局还是市发改委？\n王小明",
        ["王小明", "3-2-501"],
        ["我是王", "市工信局", "市发改委", "金鸡湖花园"],
    ),
    (
        "姓名：赵丽娟；身份证320502199001011234。反映问题如下。——赵丽娟 2025年3月1日",
        ["赵丽娟", "199001011234"],
        ["姓名：赵", "2025年3月1日"],
    ),
    ("王建国先生来电咨询燃气经营许可证办理。", ["王建国"], ["王**先生", "燃气经营许可证"]),
]


@pytest.mark.parametrize("message,secrets,kept", MESSAGES)
def test_names_addresses_and_numbers_in_hotline_records_are_masked(message, secrets, kept):
    masked = mask_pii(message)
    for secret in secrets:
        assert secret not in masked
    for word in kept:
        assert word in masked


@pytest.mark.parametrize(
    "text",
    [
        "张先生来电咨询。",  # a title with a surname alone names no one
        "我是企业主，想问市住建局的燃气补贴。",
        "我是苏州人，想问人才落户。",
        "我是张家港的企业，能申请吗？",
        "按苏府规字〔2020〕5号第三十五条，由市工信局、市商务局负责，最高100万元。",
        "请问补贴怎么领？\n谢谢",
    ],
)
def test_words_that_only_look_like_names_are_left_alone(text):
    assert mask_pii(text) == text


@pytest.mark.parametrize("message,secrets,kept", MESSAGES[:3])
def test_the_hotline_masked_view_carries_no_name_or_address(tmp_path, message, secrets, kept):
    """What the 热线助手 shows as 「诉求（已隐去个人信息）」 is the assistant's `question` in hotline mode."""
    from datetime import date

    from rag.assistant import Assistant
    from settings import Settings
    from stubs.fake_index import BigramEmbeddings, FakeIndex, sample_clauses

    settings = Settings(index_dir=tmp_path / "i", cache_dir=tmp_path / "c", today=date(2026, 6, 1))
    answer = Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings()).ask(message, mode="hotline")
    shown = answer.question + "".join(answer.questions) + (answer.reply_script or "")
    assert not [s for s in secrets if s in shown]
