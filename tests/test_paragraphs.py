"""Character normalisation and paragraph reconstruction, on small synthetic texts in each source style."""

from __future__ import annotations

from ingest.paragraphs import detect_mode, normalise_line, to_paragraphs


def _texts(text: str) -> list[str]:
    return [p.text for p in to_paragraphs(text)]


def _pdf(*lines: str) -> str:
    """PDF-extraction layout: a blank line after every line (trailing spaces are written explicitly)."""
    return "\n\n".join(lines) + "\n"


# --- §4 A: characters -----------------------------------------------------------------------------------


def test_low_double_quotes_become_tortoise_shell_brackets():
    assert normalise_line("苏府办„2021‟232号") == "苏府办〔2021〕232号"


def test_en_space_and_ideographic_space_become_one_space():
    assert normalise_line("第一条\u2002为了\u3000\u3000规范") == "第一条 为了 规范"


def test_spaces_between_cjk_and_ascii_digits_are_removed():
    assert normalise_line("最高 100 万元，第 155次会议，2021年 11月 10日") == "最高100万元，第155次会议，2021年11月10日"
    assert normalise_line("〔2023〕1 号") == "〔2023〕1号"


def test_spaces_inside_english_text_are_kept():
    assert normalise_line("“Supreme Service, Super Suzhou”") == "“Supreme Service, Super Suzhou”"


def test_whitespace_only_lines_are_dropped():
    assert _texts("第一段。\n\u2002\u2002\n   \n第二段。") == ["第一段。", "第二段。"]


# --- mode detection -------------------------------------------------------------------------------------


def test_mode_is_detected_from_line_shapes():
    assert detect_mode("第一行很长的正文内容。" * 5 + "\n\n" + "另一段很长的正文内容。" * 5) == "plain"
    assert detect_mode("# 标题\n\n正文。\n\n## 一、总体要求\n\n**1. 加强领导。**正文。") == "md"
    assert detect_mode(_pdf("为贯彻落实省市关于推动经济运行率", "先整体好转的政策，提出如下方案。 ", "一、加强财税支持 ")) == "pdf"


# --- plain mode (web text) ------------------------------------------------------------------------------


def test_plain_lines_are_paragraphs_with_their_source_line():
    paragraphs = to_paragraphs("苏州市示例办法\n\n第一条 为了规范示例。\n第二条 本办法自公布之日起施行。")
    assert [(p.text, p.line) for p in paragraphs] == [
        ("苏州市示例办法", 1),
        ("第一条 为了规范示例。", 3),
        ("第二条 本办法自公布之日起施行。", 4),
    ]


def test_baike_broadcast_and_edit_lines_and_footnotes_are_removed():
    text = "本意见自2020年6月1日起施行。 [2]\n播报\n编辑\n苏府规字〔2020〕5号\n正文提到[3]的事项。"
    assert _texts(text) == ["本意见自2020年6月1日起施行。", "苏府规字〔2020〕5号", "正文提到的事项。"]


def test_text_glued_after_a_footnote_marker_starts_a_new_paragraph():
    text = "17.强化协调配合。 [2]关于示例工作的实施方案"
    assert _texts(text) == ["17.强化协调配合。", "关于示例工作的实施方案"]


# --- page numbers ---------------------------------------------------------------------------------------


def test_page_numbers_in_all_three_forms_are_removed_and_the_sentence_rejoined():
    for page in ("- 20 - ", "— 14 — ", "－ 3 －"):
        text = _pdf("（一）健全以群防群助工作网络为基础、“大", page, "数据+网格化”为手段的发现机制。 ")
        assert _texts(text) == ["（一）健全以群防群助工作网络为基础、“大数据+网格化”为手段的发现机制。"]


# --- pdf mode -------------------------------------------------------------------------------------------


def test_pdf_hard_wrapped_lines_join_until_a_trailing_space_after_a_sentence_end():
    text = _pdf(
        "为贯彻落实省市关于推动经济运行率",
        "先整体好转的政策，结合实际，提出如",
        "下实施方案。 ",
        "一、加强财税支持力度 ",
        "（一）安排专项资金，重点支持创新主",
        "体集群。（区经科局、区财政局按职",
        "责分工负责） ",
    )
    assert _texts(text) == [
        "为贯彻落实省市关于推动经济运行率先整体好转的政策，结合实际，提出如下实施方案。",
        "一、加强财税支持力度",
        "（一）安排专项资金，重点支持创新主体集群。（区经科局、区财政局按职责分工负责）",
    ]


def test_pdf_sentence_end_without_trailing_space_does_not_end_the_paragraph():
    text = _pdf("（二）支持创意设计等高端服务业发展。", "积极支持企业申报专项资金，扩大投资。 ", "（三）加强人才。 ")
    assert _texts(text) == ["（二）支持创意设计等高端服务业发展。积极支持企业申报专项资金，扩大投资。", "（三）加强人才。"]


def test_pdf_trailing_space_after_a_long_line_mid_sentence_is_ignored():
    text = _pdf("（四十八）企业申请延续的，申请材", "料符合要求后，对延续前必须开展现", "场核查改为必要时开 ", "展现场核查，减少检查频次。 ")
    assert _texts(text) == ["（四十八）企业申请延续的，申请材料符合要求后，对延续前必须开展现场核查改为必要时开展现场核查，减少检查频次。"]


def test_pdf_page_top_leading_space_is_stripped_mid_sentence_and_before_a_marker():
    text = _pdf("（三）对符合条件的企业给予进项税额", " 抵扣加计10%的优惠政策。 ", " （四）加快人才集聚。 ")
    assert _texts(text) == ["（三）对符合条件的企业给予进项税额抵扣加计10%的优惠政策。", "（四）加快人才集聚。"]


def test_pdf_title_split_over_two_lines_is_one_paragraph():
    text = _pdf(" 姑苏区贯彻落实省、市关于推动经济运行 ", "率先好转的若干措施的实施方案 ", " ", "为贯彻落实有关文件精神，提出如下实施方案。 ")
    assert _texts(text) == ["姑苏区贯彻落实省、市关于推动经济运行率先好转的若干措施的实施方案", "为贯彻落实有关文件精神，提出如下实施方案。"]


def test_pdf_sign_date_and_doc_number_lines_stay_separate():
    text = _pdf(" 苏府办„2021‟232号 ", "苏州市人民政府办公室 ", "2021年 11月 10日 ", "（此件公开发布） ")
    assert _texts(text) == ["苏府办〔2021〕232号", "苏州市人民政府办公室", "2021年11月10日", "（此件公开发布）"]


def test_pdf_trailer_alone_on_its_line_joins_the_previous_paragraph():
    text = _pdf("（五十）为中小企业提供质量基础服务。 ", "（区市场监管局负责） ", "（五十一）推广苏质贷。 ")
    assert _texts(text) == ["（五十）为中小企业提供质量基础服务。（区市场监管局负责）", "（五十一）推广苏质贷。"]


# --- md mode --------------------------------------------------------------------------------------------


def test_markdown_heading_marks_and_bold_are_removed():
    text = "## 一、总体要求\n\n**1. 全面落实负面清单。**贯彻落实准入负面清单。\n\n32. **畅通人才引育通道**。建立绿色通道。"
    assert _texts(text) == ["一、总体要求", "1. 全面落实负面清单。贯彻落实准入负面清单。", "32. 畅通人才引育通道。建立绿色通道。"]


def test_markdown_mid_sentence_page_break_is_joined_even_inside_bold():
    text = (
        "# 标题行\n\n提升报装服务水平。完善小微企业用\n\n电“**三零**”服务，扩大覆盖面。\n\n"
        "依托智能驾驶产业联盟、G60\n\n科创走廊等平台，导入优质资源。"
    )
    assert _texts(text) == [
        "标题行",
        "提升报装服务水平。完善小微企业用电“三零”服务，扩大覆盖面。",
        "依托智能驾驶产业联盟、G60科创走廊等平台，导入优质资源。",
    ]


def test_markdown_break_after_bold_heading_is_joined():
    text = "## 一、总体\n\n**32. 建立监管体系。**依托大数据\n\n分析进一步提升监管。"
    assert _texts(text) == ["一、总体", "32. 建立监管体系。依托大数据分析进一步提升监管。"]


def test_markdown_sign_lines_and_trailer_lines():
    text = (
        "# 文件\n\n中共苏州市委  \n苏州市人民政府\n\n2020年3月27日\n\n（此件公开发布）\n\n"
        "1. 加强领导。成立领导小组。\n\n（责任单位：市发改委）"
    )
    assert _texts(text) == [
        "文件",
        "中共苏州市委",
        "苏州市人民政府",
        "2020年3月27日",
        "（此件公开发布）",
        "1. 加强领导。成立领导小组。（责任单位：市发改委）",
    ]
