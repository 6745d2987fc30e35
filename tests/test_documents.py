"""Document boundaries, parts, metadata and de-duplication.

Synthetic texts pin each hazard of corpus-notes §3 in isolation; the bundled corpus is checked against the
inventory in corpus-notes §2 (titles, line ranges, 文号, validity), which is ground truth written by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.documents import doc_id_for, merge_duplicates, parse_text
from ingest.model import Document

ALL_PARTS = ("notice", "salutation", "header_note", "body", "sign", "interpretation", "annex_ref")

# --- synthetic policies ---------------------------------------------------------------------------------

MEASURES = (
    "苏州市促进示例产业发展的若干措施",
    [
        "为推动示例产业高质量发展，结合我市实际，制定以下措施。",
        "一、支持企业做大做强。对年营业收入首次突破1亿元的企业，给予最高50万元奖励。（责任单位：市工信局）",
        "二、加强人才保障。对引进的高层次人才给予安家补贴，每人最高30万元。（责任单位：市人社局）",
        "本措施自2024年1月1日起施行，有效期至2026年12月31日。",
    ],
)
OPINION = (
    "关于加快示例服务业发展的实施意见",
    [
        "为加快示例服务业发展，提出如下实施意见。",
        "一、总体要求",
        "坚持创新驱动，推动示例服务业提质增效，打造区域服务品牌。",
        "（一）培育龙头企业。每年评选10家左右示例服务业龙头企业，给予资金支持。",
        "本意见自发布之日起实施，有效期至2025年底。",
    ],
)
REGULATION = (
    "苏州市示例设施管理办法",
    [
        "第一条 为了规范示例设施管理，保障公共安全，制定本办法。",
        "第二条 本办法适用于本市行政区域内示例设施的建设和管理。",
        "第三条 本办法自2023年5月1日起施行。",
    ],
)
SYNTHETIC = [MEASURES, OPINION, REGULATION]


def _plain(*docs: tuple[str, list[str]]) -> str:
    return "\n".join(line for title, body in docs for line in [title, *body])


def _one(text: str) -> Document:
    docs = parse_text("x.txt", text)
    assert len(docs) == 1, [d.title for d in docs]
    return docs[0]


def _joined(doc: Document) -> str:
    return "".join(p.text for p in doc.paragraphs(*ALL_PARTS))


# --- boundaries -----------------------------------------------------------------------------------------


def test_title_glued_to_previous_sentence_starts_new_document():
    last = MEASURES[1][-1]
    text = "\n".join([MEASURES[0], *MEASURES[1][:-1], last + OPINION[0], *OPINION[1]])
    docs = parse_text("x.txt", text)
    assert [d.title for d in docs] == [MEASURES[0], OPINION[0]]
    assert docs[0].paragraphs("body")[-1].text == last
    assert docs[1].paragraphs("body")[0].text == OPINION[1][0]
    assert docs[1].start_line == docs[0].paragraphs("body")[-1].line


def test_title_glued_after_footnote_marker_starts_new_document():
    text = _plain(MEASURES).rstrip() + " [2]" + OPINION[0] + "\n" + "\n".join(OPINION[1])
    assert [d.title for d in parse_text("x.txt", text)] == [MEASURES[0], OPINION[0]]


def test_title_glued_after_annex_label_starts_new_document_and_keeps_the_missing_annex():
    text = "\n".join([MEASURES[0], *MEASURES[1], "附件：示例产业重点任务清单" + OPINION[0], *OPINION[1]])
    first, second = parse_text("x.txt", text)
    assert (first.title, second.title) == (MEASURES[0], OPINION[0])
    assert first.annexes_missing == ["示例产业重点任务清单"]
    assert [p.kind for p in first.parts][-1] == "annex_ref"


def test_glued_title_continuing_on_the_next_line_is_joined():
    text = "\n".join([*MEASURES[1], "本措施由市工信局负责解释。苏州市加快推动示例软件产业", "高质量发展的若干政策措施", "为加快发展，制定本措施。"])
    docs = parse_text("x.txt", text)
    assert docs[-1].title == "苏州市加快推动示例软件产业高质量发展的若干政策措施"
    assert docs[-1].paragraphs("body")[0].text == "为加快发展，制定本措施。"


def test_title_split_over_two_own_lines_is_one_title():
    text = "\n".join(["关于促进苏州市示例经济高质量发展的", "若干措施", *MEASURES[1]])
    doc = _one(text)
    assert doc.title == "关于促进苏州市示例经济高质量发展的若干措施"
    assert not doc.title_inferred


def test_title_like_fragment_after_a_sentence_is_not_a_document():
    text = _plain(MEASURES) + "\n印发的通知\n苏府规字〔2020〕5号"
    assert len(parse_text("x.txt", text)) == 1


def test_glued_salutation_line_starts_an_untitled_document_titled_from_its_preamble():
    salutation = "各市、区人民政府，苏州工业园区、苏州高新区管委会；市各委办局，各直属单位："
    text = "\n".join([
        _plain(MEASURES) + salutation,
        "为做好示例工作，特制定苏州市2024年度示例监督工作计划。",
        "一、加强监督。每季度开展一次检查。",
    ])
    first, second = parse_text("x.txt", text)
    assert first.title == MEASURES[0]
    assert second.title == "苏州市2024年度示例监督工作计划"
    assert second.title_inferred
    assert [p.kind for p in second.parts] == ["salutation", "body"]


def test_untitled_document_titled_from_its_short_name():
    text = "\n".join([
        _plain(OPINION) + "各市、区人民政府，苏州工业园区管委会；市各有关部门和单位：",
        "为支持外贸企业渡过难关，特制定以下政策意见（简称支持示例企业稳定发展苏“惠企”新六条）。",
        "一、加大信保支持。",
    ])
    doc = parse_text("x.txt", text)[-1]
    assert doc.title == "关于支持示例企业稳定发展的若干政策意见（苏“惠企”新六条）"
    assert doc.title_inferred
    assert "支持示例企业稳定发展苏“惠企”新六条" in doc.aliases


def test_untitled_document_opening_with_a_heading_glued_after_a_closing_sentence():
    text = "\n".join([*REGULATION[1][:-1], REGULATION[1][-1] + "一、总体要求", "坚持示例导向。", "本意见自2020年6月1日起施行。"])
    docs = parse_text("x.txt", text)
    assert len(docs) == 2
    assert docs[1].paragraphs("body")[0].text == "一、总体要求"
    assert docs[1].effective_date == "2020-06-01"


# --- parts ----------------------------------------------------------------------------------------------

NOTICE = [
    "中共苏州市示例委文件",
    "苏示发„2021‟7号",
    "关于印发《苏州市促进示例产业发展的若干措施》的通知",
    "各市、区人民政府，苏州工业园区管委会；市各委办局，各直属单位：",
    "《苏州市促进示例产业发展的若干措施》已经市政府第9次常务会议审议通过，现印发给你们，请认真贯彻落实。",
    "苏州市人民政府办公室",
    "2021年11月10日",
    "（此件公开发布）",
]


def test_transmittal_notice_before_the_title_becomes_the_documents_notice_part():
    doc = _one("\n".join([*NOTICE, MEASURES[0], *MEASURES[1]]))
    assert doc.title == MEASURES[0]
    assert [p.kind for p in doc.parts] == ["notice", "body"]
    assert doc.doc_number == "苏示发〔2021〕7号"
    assert doc.issuer == "苏州市人民政府办公室"
    assert doc.issue_date == "2021-11-10"


def test_notice_after_the_body_is_attached_and_its_repeat_copy_merged():
    body = [MEASURES[0], *MEASURES[1]]
    text = "\n".join([*body, *NOTICE[3:], *body])
    docs = parse_text("x.txt", text)
    assert [d.title for d in docs] == [MEASURES[0], MEASURES[0]]
    (merged,) = merge_duplicates(docs)
    assert [p.kind for p in merged.parts] == ["notice", "body"]
    assert len(merged.paragraphs("body")) == len(MEASURES[1])
    assert merged.issue_date == "2021-11-10"


def test_sign_block_and_interpretation_parts():
    text = "\n".join([
        OPINION[0], *OPINION[1], "苏州市人民政府", "2021年3月23日 [1]", "解读", "播报", "编辑",
        "3月23日，苏州市人民政府发布了《关于加快示例服务业发展的实施意见》（以下简称《实施意见》）。",
        "一、制定背景", "示例服务业是现代产业体系的重要组成部分。",
    ])
    doc = _one(text)
    assert [p.kind for p in doc.parts] == ["body", "sign", "interpretation"]
    assert [p.text for p in doc.paragraphs("sign")] == ["苏州市人民政府", "2021年3月23日"]
    assert doc.paragraphs("interpretation")[0].text == "解读"
    assert doc.issuer == "苏州市人民政府"
    assert doc.issue_date == "2021-03-23"
    assert "《实施意见》" in doc.aliases


def test_untitled_document_titled_from_its_interpretation():
    text = "\n".join([
        *MEASURES[1][-1:],
        "各市、区人民政府，苏州工业园区管委会；市各委办局，各直属单位：",
        "为提高示例公司质量，结合我市实际，提出如下实施意见。",
        "一、总体要求",
        "苏州市人民政府",
        "2021年3月23日",
        "解读",
        "3月23日，苏州市人民政府发布了《市政府关于进一步提高示例公司质量的实施意见》。",
    ])
    doc = parse_text("x.txt", text)[-1]
    assert doc.title == "市政府关于进一步提高示例公司质量的实施意见"
    assert doc.title_inferred


def test_header_note_gives_order_number_and_dates_of_a_regulation():
    note = "（2003年11月22日苏州市人民政府令第44号发布\u20022020年4月21日苏州市人民政府令第153号第一次修正\u2002自2004年1月1日起施行）"
    doc = _one("\n".join([REGULATION[0], note, "第一章\u2002总\u2002则", *REGULATION[1][:2]]))
    assert [p.kind for p in doc.parts] == ["header_note", "body"]
    assert doc.doc_number == "苏州市人民政府令第44号"
    assert doc.issuer == "苏州市人民政府"
    assert (doc.issue_date, doc.effective_date) == ("2003-11-22", "2004-01-01")
    assert doc.paragraphs("body")[0].text == "第一章 总 则"
    assert doc.kind == "regulation"


def test_scheme_is_article_when_three_articles_start_paragraphs():
    assert _one(_plain(REGULATION)).scheme == "article"
    assert _one(_plain(MEASURES)).scheme == "outline"


def test_kind_follows_the_title():
    assert _one(_plain(MEASURES)).kind == "measures"
    assert _one(_plain(OPINION)).kind == "opinion"
    assert _one("关于修改《苏州市示例管理办法》的决定\n市政府决定修改一件规章。\n本决定自2020年6月1日起施行。").kind == "amendment"


# --- dates and validity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closing", "effective", "valid_until"),
    [
        ("本办法自2025年3月1日起施行，有效期至至2027年2月28日。", "2025-03-01", "2027-02-28"),
        ("本政策措施自2024年7月1日起实施。未特别注明时限的，有效期至2022年底。", "2024-07-01", "2022-12-31"),
        ("本政策自2023年3月1日起实施，有效期为三年。", "2023-03-01", "2026-02-28"),
        ("本政策执行期暂定为自政策发布之日起至2020年12月31日止。", None, "2020-12-31"),
        ("本政策自发布之日起实施，有效期为三年。", None, None),
    ],
)
def test_validity_sentences(closing, effective, valid_until):
    doc = _one("\n".join([MEASURES[0], *MEASURES[1][:-1], closing]))
    assert (doc.effective_date, doc.valid_until) == (effective, valid_until)


def test_effective_on_issue_takes_the_notice_date():
    closing = "本措施自印发之日起施行，有效期三年。"
    doc = _one("\n".join([*NOTICE, MEASURES[0], *MEASURES[1][:-1], closing]))
    assert (doc.effective_date, doc.valid_until) == ("2021-11-10", "2024-11-09")


def test_dates_in_a_list_of_other_regulations_are_not_this_documents_dates():
    text = "\n".join([
        "苏州市2025年度示例监督工作计划",
        "为做好示例监督，制定本计划。",
        "一、重点监督以下法规的实施情况：",
        "1．《苏州市示例促进条例》（自2023年12月1日起施行。报送单位：市工信局）；",
        "2．《苏州市示例保护条例》（自2024年5月1日起施行，有效期至2029年4月30日。报送单位：市城管局）。",
        "二、工作要求",
        "（一）各地区要及时汇总检查情况。",
    ])
    doc = _one(text)
    assert (doc.issue_date, doc.effective_date, doc.valid_until) == (None, None, None)


def test_own_doc_number_is_separated_from_references():
    text = "\n".join([
        *NOTICE,
        MEASURES[0],
        "为贯彻落实《省政府关于示例的意见》（苏政发〔2023〕12号），制定本措施。",
        "一、废止苏府规字〔2020〕4号。",
    ])
    doc = _one(text)
    assert doc.doc_number == "苏示发〔2021〕7号"
    assert doc.references == ["苏政发〔2023〕12号", "苏府规字〔2020〕4号"]


# --- jurisdiction ---------------------------------------------------------------------------------------


def test_jurisdiction_from_title_and_from_a_single_county_named_in_the_text():
    assert _one("姑苏区示例发展的实施方案\n为发展示例，提出如下方案。").jurisdiction == "姑苏区"
    county = "关于示例纾困的若干政策措施\n一、对常熟农商行发放的贷款给予贴息。\n二、人民银行常熟支行负责指导。"
    assert _one(county).jurisdiction == "常熟市"
    city = "苏州市示例发展的若干措施\n一、支持常熟市、昆山市发展特色产业。\n二、支持常熟市建设园区。"
    assert _one(city).jurisdiction == "苏州市"


# --- duplicates -----------------------------------------------------------------------------------------


def test_duplicate_across_files_is_kept_once_with_the_union_of_metadata():
    plain = parse_text("001.txt", _plain(OPINION, MEASURES))
    pdf_like = "\n".join([*NOTICE, MEASURES[0], *(line.replace("1亿元", "1 亿元") for line in MEASURES[1])])
    with_notice = parse_text("003.txt", pdf_like)
    merged = merge_duplicates(plain + with_notice)
    assert [d.title for d in merged] == [OPINION[0], MEASURES[0]]
    measures = merged[1]
    assert measures.source_files == ["001.txt", "003.txt"]
    assert measures.doc_number == "苏示发〔2021〕7号"
    assert measures.issue_date == "2021-11-10"
    assert measures.valid_until == "2026-12-31"
    assert [p.kind for p in measures.parts] == ["notice", "body"]


def test_doc_id_is_stable_and_independent_of_file_order():
    a = merge_duplicates(parse_text("a.txt", _plain(MEASURES)) + parse_text("b.txt", _plain(MEASURES)))
    b = merge_duplicates(parse_text("b.txt", _plain(MEASURES)) + parse_text("a.txt", _plain(MEASURES)))
    assert a[0].doc_id == b[0].doc_id == doc_id_for(MEASURES[0])
    assert re.fullmatch(r"[0-9a-f]{12}", a[0].doc_id)


def test_different_documents_are_not_merged():
    assert len(merge_duplicates(parse_text("x.txt", _plain(*SYNTHETIC)))) == 3


# --- property: layout does not change the documents -------------------------------------------------------


def _wrap_pdf(paragraph: str, width: int) -> list[str]:
    """Hard-wrap like a PDF extraction; the paragraph's last line carries the trailing-space signal."""
    lines = [paragraph[i : i + width] for i in range(0, len(paragraph), width)]
    lines[-1] += " "
    return lines


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(range(len(SYNTHETIC))), width=st.integers(min_value=17, max_value=24))
def test_pdf_wrapped_layout_gives_the_same_documents(order, width):
    docs = [SYNTHETIC[i] for i in order]
    lines = [line for title, body in docs for para in [title, *body] for line in _wrap_pdf(para, width)]
    parsed = parse_text("x.pdf.txt", "\n\n".join(lines) + "\n")
    assert [d.title for d in parsed] == [title for title, _ in docs]
    assert [_joined(d) for d in parsed] == ["".join(body) for _, body in docs]


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(range(len(SYNTHETIC))), glue=st.lists(st.booleans(), min_size=2, max_size=2))
def test_concatenation_in_any_order_with_or_without_glue_gives_the_same_documents(order, glue):
    docs = [SYNTHETIC[i] for i in order]
    lines: list[str] = []
    for i, (title, body) in enumerate(docs):
        if i and glue[i - 1]:
            lines[-1] += title
        else:
            lines.append(title)
        lines.extend(body)
    parsed = parse_text("x.txt", "\n".join(lines))
    assert [d.title for d in parsed] == [title for title, _ in docs]
    assert [_joined(d) for d in parsed] == ["".join(body) for _, body in docs]


# --- the bundled corpus -----------------------------------------------------------------------------------

# corpus-notes §2: title, first line, last line of every document in file 001 (boundary lines are shared).
FILE_001 = [
    ("苏州市推动智能车联网和新能源汽车产业发展的若干措施", 1, 55),
    ("苏州市大力培育工业设计产业发展三年行动计划（2025～2027年）", 56, 111),
    ("苏州市支持具身智能机器人产业创新发展的若干措施", 111, 141),
    ("苏州市高水平建设“人工智能+”创新发展试验区的若干措施", 141, 183),
    ("苏州市关于推动跨境电子商务高质量发展的若干政策措施", 183, 241),
    ("苏州市网上中介服务超市管理办法（试行）", 241, 335),
    ("关于苏州市加快培育生产性服务业领军企业的若干意见", 335, 412),
    ("苏州市2025年度行政执法监督工作计划", 412, 470),
    ("关于促进数据产业高质量发展的实施意见", 470, 561),
    ("关于促进苏州市银发经济高质量发展的若干措施", 562, 624),
    ("苏州市加快推动软件产业高质量发展的若干政策措施", 624, 656),
    ("中国（苏州）跨境电子商务综合试验区高质量发展三年行动计划（2024～2026年）", 656, 790),
    ("关于公布《国家级开发区赋权清单（2024年版）》的通知", 790, 796),
    ("苏州市人才落户管理办法", 796, 866),
    ("关于进一步支持国家新一代人工智能创新发展试验区、国家生物药技术创新中心、国家第三代半导体技术创新中心（苏州）的若干政策", 866, 890),
    ("苏州市推进数字贸易加快发展若干措施", 890, 992),
    ("苏州市加快推进政务服务标准化规范化便利化的实施方案", 992, 1151),
    ("苏州市促进企业利用资本市场实现高质量发展的实施意见（2023-2025年）", 1152, 1216),
    ("苏州市创建省知识产权保护示范区实施方案", 1216, 1302),
    ("苏州市生物医药产业创新集群建设实施方案", 1302, 1444),
    ("关于进一步帮助市场主体纾困解难着力稳定经济增长的若干政策措施", 1445, 1547),
    ("苏州市制造业智能化改造数字化转型2023年实施方案", 1547, 1607),
    ("关于进一步促进科技创新券发展实施意见", 1607, 1659),
    ("关于强化机制推进产业创新集群和新兴服务业细分领域发展的工作意见", 1659, 1707),
    ("苏州市推动新兴服务业高质量发展2025行动计划", 1707, 1891),
    ("苏州市制造业智能化改造和数字化转型2022年行动计划", 1891, 1935),
    ("苏州市企业知识产权登峰行动计划（2021～2023年）", 1935, 1993),
    ("市政府关于进一步提高上市公司质量的实施意见", 1993, 2046),
    ("关于进一步深化“放管服”改革着力服务“六稳”“六保”的实施方案", 2046, 2126),
    ("2021年苏州市深化“放管服”改革优化营商环境工作要点", 2126, 2212),
    ("关于修改《苏州市建筑施工安全监督管理办法》等3件规章的决定", 2212, 2321),
    ("苏州市建筑施工安全监督管理办法", 2322, 2479),
    ("苏州市燃气管理办法", 2480, 2803),
    ("苏州市客运出租汽车管理办法", 2804, 3010),
    ("关于支持外贸企业稳定发展的若干政策意见（苏“惠外”新八条）", 3010, 3030),
    ("苏州市进一步做好金融支持稳企业保就业工作指导意见", 3030, 3086),
    ("关于进一步做好当前金融支持小微企业稳定发展的若干政策意见", 3086, 3112),
    ("关于开放型经济高质量发展的实施意见", 3112, 3194),
    ("苏州市行政审批告知承诺制管理暂行办法", 3194, 3287),
]
OTHER_FILES = {
    "000": "姑苏区贯彻落实省、市关于推动经济运行率先好转的若干措施的实施方案",
    "002": "苏州市优化营商环境创新行动2020",
    "003": "关于进一步深化“放管服”改革着力服务“六稳”“六保”的实施方案",
    "004": "相城区优化营商环境创新行动2022",
}
INFERRED = {
    "关于苏州市加快培育生产性服务业领军企业的若干意见",
    "苏州市2025年度行政执法监督工作计划",
    "关于公布《国家级开发区赋权清单（2024年版）》的通知",
    "市政府关于进一步提高上市公司质量的实施意见",
    "关于支持外贸企业稳定发展的若干政策意见（苏“惠外”新八条）",
}


@pytest.fixture(scope="session")
def corpus_files(data_dir: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(data_dir.glob("*.txt"))}


@pytest.fixture(scope="session")
def parsed(corpus_files) -> dict[str, list[Document]]:
    return {name: parse_text(name, text) for name, text in corpus_files.items()}


@pytest.fixture(scope="session")
def corpus(parsed) -> dict[str, Document]:
    docs = merge_duplicates([doc for docs in parsed.values() for doc in docs])
    return {doc.title: doc for doc in docs}


def test_corpus_has_42_distinct_documents_with_the_inventory_titles(corpus):
    expected = {title for title, _, _ in FILE_001} | set(OTHER_FILES.values())
    assert len(expected) == 42
    assert len(corpus) == 42
    assert set(corpus) == expected


def test_file_001_documents_start_where_the_inventory_says(parsed):
    docs = parsed["001_984d27a47f4e90c5.txt"]
    # D12's repeated copy is the one extra instance; it starts after D12's own notice (line 728).
    starts = [(d.title, d.start_line) for d in docs]
    expected = [(title, first) for title, first, _ in FILE_001]
    expected.insert(12, (FILE_001[11][0], 718))
    assert starts == expected


def test_untitled_documents_are_marked_inferred(corpus):
    assert {title for title, doc in corpus.items() if doc.title_inferred} == INFERRED


def test_jurisdiction_of_district_and_county_documents(corpus):
    by_jurisdiction = {doc.jurisdiction: [] for doc in corpus.values()}
    for doc in corpus.values():
        by_jurisdiction[doc.jurisdiction].append(doc.title)
    assert by_jurisdiction["姑苏区"] == [OTHER_FILES["000"]]
    assert by_jurisdiction["相城区"] == [OTHER_FILES["004"]]
    assert by_jurisdiction["常熟市"] == ["关于进一步帮助市场主体纾困解难着力稳定经济增长的若干政策措施"]
    assert by_jurisdiction["太仓市"] == ["关于强化机制推进产业创新集群和新兴服务业细分领域发展的工作意见"]
    assert set(by_jurisdiction) == {"苏州市", "姑苏区", "相城区", "常熟市", "太仓市"}


def test_own_doc_numbers_sit_on_their_documents(corpus):
    numbered = {doc.title: doc.doc_number for doc in corpus.values() if doc.doc_number and "令" not in doc.doc_number}
    assert numbered == {
        OTHER_FILES["002"]: "苏委发〔2020〕12号",
        OTHER_FILES["004"]: "相委发〔2022〕16号",
        OTHER_FILES["003"]: "苏府办〔2021〕232号",
        "关于苏州市加快培育生产性服务业领军企业的若干意见": "苏府规字〔2020〕5号",
    }
    assert corpus["苏州市建筑施工安全监督管理办法"].doc_number == "苏州市人民政府令第44号"
    assert "苏府规字〔2020〕4号" in corpus["苏州市人才落户管理办法"].references


def test_the_same_policy_in_two_files_is_merged_with_both_sources(corpus):
    doc = corpus[OTHER_FILES["003"]]
    assert doc.source_files == ["001_984d27a47f4e90c5.txt", "003_c9f9a1d3e25700ca.txt"]
    assert doc.issue_date == "2021-11-10"
    assert doc.issuer == "苏州市人民政府办公室"
    assert [p.kind for p in doc.parts] == ["notice", "body"]


def test_repeated_copy_inside_a_file_is_counted_once_with_its_notice(parsed, corpus):
    title = FILE_001[11][0]
    assert [d.title for d in parsed["001_984d27a47f4e90c5.txt"]].count(title) == 2
    doc = corpus[title]
    assert doc.source_files == ["001_984d27a47f4e90c5.txt"]
    assert doc.issue_date == "2024-04-08"
    assert [p.kind for p in doc.parts] == ["notice", "body"]
    assert len(doc.paragraphs("body")) == 31  # 656-718 once, not twice


@pytest.mark.parametrize(
    ("title", "valid_until"),
    [
        (FILE_001[0][0], "2027-12-31"),
        ("关于支持外贸企业稳定发展的若干政策意见（苏“惠外”新八条）", "2020-12-31"),
        ("关于进一步帮助市场主体纾困解难着力稳定经济增长的若干政策措施", "2022-12-31"),
        (OTHER_FILES["000"], "2023-12-31"),
        ("苏州市网上中介服务超市管理办法（试行）", "2027-02-28"),
        ("苏州市促进企业利用资本市场实现高质量发展的实施意见（2023-2025年）", "2025-12-31"),
        ("苏州市2025年度行政执法监督工作计划", None),
        ("苏州市燃气管理办法", None),
    ],
)
def test_expiry_dates(corpus, title, valid_until):
    assert corpus[title].valid_until == valid_until


def test_regulation_dates_come_from_the_header_note(corpus):
    doc = corpus["苏州市客运出租汽车管理办法"]
    assert (doc.issue_date, doc.effective_date) == ("2003-06-04", "2003-07-01")
    assert doc.paragraphs("header_note")[0].text.startswith("（2003年6月4日苏州市人民政府令第35号发布")


def test_six_documents_use_articles(corpus):
    assert {t for t, d in corpus.items() if d.scheme == "article"} == {
        "苏州市网上中介服务超市管理办法（试行）",
        "苏州市人才落户管理办法",
        "苏州市建筑施工安全监督管理办法",
        "苏州市燃气管理办法",
        "苏州市客运出租汽车管理办法",
        "苏州市行政审批告知承诺制管理暂行办法",
    }


def test_regulation_keeps_chapters_and_articles_for_the_chunker(corpus):
    body = [p.text for p in corpus["苏州市燃气管理办法"].paragraphs("body")]
    assert body[0] == "第一章 总 则"
    assert sum(1 for text in body if re.match(r"^第[一二三四五六七八九十]+条", text)) == 51
    assert sum(1 for text in body if re.match(r"^第[一二三四五六七八九十]+章", text)) == 7


def test_interpretation_parts_are_separate(corpus):
    with_interpretation = {t for t, d in corpus.items() if d.paragraphs("interpretation")}
    assert with_interpretation == {"关于苏州市加快培育生产性服务业领军企业的若干意见", "市政府关于进一步提高上市公司质量的实施意见"}


def _pieces(line: str) -> list[str]:
    """A raw source line with the noise removed, cut at sentence ends, whitespace-free."""
    line = re.sub(r"\[\d{1,2}\]|\*\*|^\s*#+", "", line).replace("„", "〔").replace("‟", "〕")
    return [piece for piece in re.sub(r"\s+", "", line).split("。") if len(piece) >= 2]


def _is_noise(line: str) -> bool:
    return line.strip() in {"播报", "编辑"} or re.match(r"^\s*[-—–－]\s*\d{1,3}\s*[-—–－]\s*$", line) is not None


def _full_text(doc: Document) -> str:
    return doc.title + "".join(p.text for p in doc.paragraphs(*ALL_PARTS)).replace(" ", "")


def test_every_sentence_of_every_file_lands_in_a_document(corpus_files, parsed):
    for name, text in corpus_files.items():
        singles = [_full_text(doc) for doc in parsed[name]]
        # An annex label and the next title share a line with no sentence end between them.
        texts = singles + [a + b for a, b in zip(singles, singles[1:])]
        missing = [
            piece
            for line in text.split("\n")
            if not _is_noise(line)
            for piece in _pieces(line)
            if not any(piece in t for t in texts)
        ]
        assert missing == [], name


def test_every_line_of_a_document_lands_in_that_document(corpus_files, parsed):
    lines = corpus_files["001_984d27a47f4e90c5.txt"].split("\n")
    docs = parsed["001_984d27a47f4e90c5.txt"]
    for title, first, last in FILE_001:
        text = "".join(_full_text(d) for d in docs if d.title == title)
        for number in range(first + 1, last):  # the first and last lines may be shared with a neighbour
            if _is_noise(lines[number - 1]):
                continue
            for piece in _pieces(lines[number - 1]):
                assert piece in text, (title, number, piece)


def test_whole_corpus_parses_quickly(corpus_files):
    import time

    started = time.perf_counter()
    merge_duplicates([doc for name, text in corpus_files.items() for doc in parse_text(name, text)])
    assert time.perf_counter() - started < 2.0
