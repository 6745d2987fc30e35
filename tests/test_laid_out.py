"""Documents as they really arrive: the bundled corpus printed as 红头 PDFs and read back through the reader.

The PDFs are written during the test run by a real PDF writer (fpdf2) with the system CJK font: A4 pages with
a running header, a page number in one of four styles, the 红头 block on the first page and the 版记 at the end
(`tests/printing.py`). They are read back through `read_file` and parsed like any upload; what they must give
is what the plain text gives. The printer records where each paragraph went, which is the truth the page
numbers are checked against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest

from ingest.clauses import chunk_document
from ingest.documents import merge_duplicates, parse_text
from ingest.layout import clean_text, is_page_number, join_lines, lay_out, looks_laid_out, normalise_marker
from ingest.layout import Line
from ingest.model import Clause, Document, Paragraph
from ingest.paragraphs import to_paragraphs
from ingest.readers import read_file
from bench.printing import DISTRIBUTION, RUNNING_HEADER, Printed, print_pages, red_head_number, write_ofd, write_pdf

Pair = tuple[str, str]  # (document title, clause label)


@dataclass
class Corpus:
    plain: dict[Pair, Clause]
    read: dict[Pair, Clause]
    plain_docs: list[Document]
    read_docs: list[Document]
    expected_page: dict[Pair, int]
    first_docs: list[tuple[Document, Document, str]]  # (plain, read back, printed 红头 文号) per file


def _pairs(docs: list[Document]) -> dict[Pair, Clause]:
    """First window of every clause, by (document title, label)."""
    out: dict[Pair, Clause] = {}
    for doc in docs:
        for clause in chunk_document(doc):
            out.setdefault((doc.title, clause.label), clause)
    return out


@dataclass
class PrintedFile:
    name: str
    plain: list[Document]
    printed: Printed
    number: int


@pytest.fixture(scope="module")
def printed_files(data_dir: Path) -> list[PrintedFile]:
    """Every corpus file's plain parse and its pages as printed (writers only draw these)."""
    files = []
    for number, path in enumerate(sorted(data_dir.glob("*.txt"))):
        text = path.read_text(encoding="utf-8")
        docs = parse_text(path.name, text)
        files.append(PrintedFile(path.stem, docs, print_pages(to_paragraphs(text), {d.title for d in docs}, number), number))
    return files


def _read_back(files: list[PrintedFile], out: Path, write) -> Corpus:
    """Write every printed file, read it back through `read_file` and parse it like any upload."""
    plain_docs: list[Document] = []
    read_docs: list[Document] = []
    expected_page: dict[Pair, int] = {}
    first_docs = []
    for file in files:
        path = write(file.printed.pages, out / file.name)
        back = parse_text(path.name, read_file(path))
        for doc in file.plain:
            for clause in chunk_document(doc):
                expected_page.setdefault((doc.title, clause.label), file.printed.page_of_line[clause.line])
        first_docs.append((file.plain[0], back[0], red_head_number(file.number)))
        plain_docs += file.plain
        read_docs += back
    plain_docs, read_docs = merge_duplicates(plain_docs), merge_duplicates(read_docs)
    return Corpus(_pairs(plain_docs), _pairs(read_docs), plain_docs, read_docs, expected_page, first_docs)


@pytest.fixture(scope="module", params=["pdf", "ofd"])
def printed_corpus(request, tmp_path_factory, printed_files) -> Corpus:
    """The printed corpus as real PDFs (fpdf2, ~30 s on 2 cores) and as OFD packages, read back."""
    out = tmp_path_factory.mktemp(request.param)
    if request.param == "pdf":
        return _read_back(printed_files, out, lambda pages, path: write_pdf(pages, path.with_suffix(".pdf")))
    return _read_back(printed_files, out, lambda pages, path: write_ofd(pages, path.with_suffix(".ofd")))


def test_printed_corpus_gives_every_document(printed_corpus):
    plain = {doc.title for doc in printed_corpus.plain_docs}
    assert len(plain) == 42
    assert {doc.title for doc in printed_corpus.read_docs} == plain


def test_printed_corpus_gives_98_percent_of_the_clause_labels(printed_corpus):
    kept = set(printed_corpus.plain) & set(printed_corpus.read)
    assert len(kept) >= 0.98 * len(printed_corpus.plain), sorted(set(printed_corpus.plain) - kept)[:20]


def test_printed_corpus_covers_99_percent_of_the_text(printed_corpus):
    """Every sentence of every plain clause is found in the same document read back from the PDF."""
    read_text = {
        title: "".join(re.sub(r"\s+", "", c.text) for (t, _), c in printed_corpus.read.items() if t == title)
        for title in {t for t, _ in printed_corpus.read}
    }
    total = found = 0
    for (title, _), clause in printed_corpus.plain.items():
        for piece in re.split(r"[。；\n]", re.sub(r"[ \t]+", "", clause.text)):
            total += len(piece)
            found += len(piece) if piece in read_text.get(title, "") else 0
    assert found >= 0.99 * total


def test_printed_corpus_cites_the_page_each_clause_starts_on(printed_corpus):
    kept = set(printed_corpus.plain) & set(printed_corpus.read)
    right = [pair for pair in kept if printed_corpus.read[pair].page == printed_corpus.expected_page[pair]]
    assert len(right) >= 0.98 * len(kept)
    assert all(clause.page is None for clause in printed_corpus.plain.values())  # plain text has no pages


def test_page_furniture_and_red_head_are_not_clause_text(printed_corpus):
    texts = [clause.text for clause in printed_corpus.read.values()]
    assert not any(RUNNING_HEADER in text for text in texts)
    assert not any(DISTRIBUTION[0][:10] in text for text in texts)
    assert not any(re.search(r"— \d+ —|第\d+页 共\d+页|^- \d+ -$", text, re.M) for text in texts)


def test_red_head_gives_its_doc_number_to_the_first_document(printed_corpus):
    for plain, read, number in printed_corpus.first_docs:
        assert read.title == plain.title
        if plain.doc_number is None:
            assert read.doc_number == number
        else:  # the printer stacked its 红头 on the document's own 印发 notice: two 文号s, both the document's
            assert read.doc_number in (plain.doc_number, number)


# --- the same policy in every format: a title followed by 文号, 发文机关 and 发布日期 --------------------------

LABELLED = [
    "苏州市示例设施管理办法",
    "苏府规〔2024〕7号",
    "发文机关：苏州市人民政府",
    "发布日期：2024年3月1日",
    "第一条 为了规范示例设施管理，保障公共安全，制定本办法。",
    "第二条 本办法适用于本市行政区域内示例设施的建设和管理。",
    "第三条 市示例局负责本办法的组织实施，各区人民政府负责本辖区内的示例设施管理工作。",
    "第四条 违反本办法规定的，由市示例局责令限期改正。",
    "第五条 本办法自2024年5月1日起施行。",
]
NOTICE_WITH_ANNEX = [
    "苏州市人民政府文件",
    "苏府规〔2024〕7号",
    "市政府关于印发《苏州市示例设施管理办法》的通知",
    "各市、区人民政府，苏州工业园区、苏州高新区管委会；市各委办局，各直属单位：",
    "现将《苏州市示例设施管理办法》印发给你们，请认真贯彻执行。",
    "苏州市人民政府",
    "2024年3月1日",
    "（此件公开发布）",
    "附件",
    *LABELLED[:1],
    *LABELLED[4:],
    *DISTRIBUTION,
]
ARTICLES = ["第一条", "第二条", "第三条", "第四条", "第五条"]


def _write_docx(lines: list[str], path: Path) -> Path:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def _write_laid_out_pdf(lines: list[str], path: Path) -> Path:
    paragraphs = [Paragraph(text, n) for n, text in enumerate(lines, start=1)]
    titles = {line for line in lines if line.endswith(("办法", "通知"))}
    return write_pdf(print_pages(paragraphs, titles, 0, red_head=False).pages, path)


def _write_txt(lines: list[str], path: Path) -> Path:
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


WRITERS = {
    "txt": _write_txt,
    "docx": _write_docx,
    "pdf": _write_laid_out_pdf,
}


@pytest.mark.parametrize("kind", WRITERS)
def test_policy_with_number_issuer_and_date_under_its_title_splits_into_its_articles(tmp_path, kind):
    path = tmp_path / f"policy.{kind}"
    WRITERS[kind](LABELLED, path)
    [doc] = parse_text(path.name, read_file(path))
    assert doc.title == "苏州市示例设施管理办法"
    assert [c.label for c in chunk_document(doc)] == ARTICLES
    assert (doc.doc_number, doc.issuer, doc.issue_date) == ("苏府规〔2024〕7号", "苏州市人民政府", "2024-03-01")
    assert doc.effective_date == "2024-05-01"


@pytest.mark.parametrize("kind", WRITERS)
def test_red_head_notice_with_the_policy_as_its_annex_gives_the_policy_with_its_notice(tmp_path, kind):
    path = tmp_path / f"notice.{kind}"
    WRITERS[kind](NOTICE_WITH_ANNEX, path)
    [doc] = parse_text(path.name, read_file(path))
    assert doc.title == "苏州市示例设施管理办法"
    assert [c.label for c in chunk_document(doc)] == ["印发通知", *ARTICLES]
    assert (doc.doc_number, doc.issuer, doc.issue_date) == ("苏府规〔2024〕7号", "苏州市人民政府", "2024-03-01")
    last = chunk_document(doc)[-1]
    assert "抄送" not in last.text and "印发" not in last.text  # the 版记 is not article text


# --- text that was laid out elsewhere (a .txt saved from a PDF viewer) --------------------------------------


def _laid_out_text(text: str, width: int, page_lines: int) -> str:
    """The issue's experiment: paragraphs hard-wrapped at `width` characters, and every `page_lines` lines a
    page number ("— n —") and a running header (the issuer's name)."""
    lines = [p.text[i : i + width] for p in to_paragraphs(text) for i in range(0, len(p.text), width)]
    out: list[str] = []
    for page, start in enumerate(range(0, len(lines), page_lines), start=1):
        out += ["苏州市人民政府", *lines[start : start + page_lines], f"— {page} —"]
    return "\n".join(out)


def test_text_laid_out_like_a_pdf_is_cleaned_up_before_parsing(corpus_texts):
    plain = _pairs(merge_duplicates([d for name, text in corpus_texts.items() for d in parse_text(name, text)]))
    laid = merge_duplicates(
        [d for name, text in corpus_texts.items() for d in parse_text(name, _laid_out_text(text, 38, 40))]
    )
    read = _pairs(laid)
    # Before the clean-up: 10.8 % of the pairs and 34 documents. Without indents, a paragraph that ends exactly
    # at the margin is indistinguishable from one that goes on, so a few stay joined.
    assert len(set(plain) & set(read)) >= 0.95 * len(plain)
    assert len({t for t, _ in plain} & {doc.title for doc in laid}) >= 40
    assert not any("— " in c.text or c.text.startswith("苏州市人民政府\n") for c in read.values())


@pytest.fixture(scope="module")
def corpus_texts(data_dir: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(data_dir.glob("*.txt"))}


def test_clean_text_is_not_taken_for_a_layout(corpus_texts):
    assert not any(looks_laid_out(text) for text in corpus_texts.values())


# --- the clean-up, function by function ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["— 3 —", "- 3 -", "3", "第3页", "第 3 页 共 12 页", "共12页 第3页", "3/12", "3 / 12"])
def test_page_number_forms(text):
    assert is_page_number(text)


@pytest.mark.parametrize("text", ["第三条", "3．加强保障。", "2024年", "（3）", "一、总则"])
def test_clause_text_is_not_a_page_number(text):
    assert not is_page_number(text)


def test_running_header_and_footer_repeated_at_page_edges_are_dropped():
    body = ["第{}条 本条规定示例事项，适用于全市范围内的示例设施的管理。".format(n) for n in "一二三四五六"]
    pages = [["苏州市人民政府公报 2024年第3期", body[2 * i], body[2 * i + 1], f"第{i + 1}页 共3页"] for i in range(3)]
    assert [line for line in lay_out(pages).split("\n") if line.strip("\f")] == body


def test_a_line_repeated_on_every_page_but_not_at_its_edge_is_kept():
    trailer = "（责任单位：市工信局）"
    pages = [["示例公报", f"第{n}条 示例规定的内容。", trailer, "另一段示例规定的内容。", f"- {i} -"] for i, n in enumerate("一二三")]
    assert lay_out(pages).count(trailer) == 3


def _paragraphs(lines: list[str]) -> list[str]:
    return [p.text for p in join_lines([Line(text, n, 1) for n, text in enumerate(lines, start=1)])]


def test_hard_wrapped_lines_are_rejoined_until_a_sentence_ends_short_of_the_margin():
    lines = ["为规范示例管理，结合本市实际，制定本办", "法。本办法适用于全市范围内的示例设施", "管理工作。", "一、总体要求"]
    assert _paragraphs(lines) == ["为规范示例管理，结合本市实际，制定本办法。本办法适用于全市范围内的示例设施管理工作。", "一、总体要求"]


def test_a_marker_after_a_line_cut_mid_sentence_is_a_cross_reference_not_a_clause():
    lines = ["第五条 违反本办法规定的，依照本办法", "第三条规定处理，情节严重的依法追究责任。"]
    assert _paragraphs(lines) == ["第五条 违反本办法规定的，依照本办法第三条规定处理，情节严重的依法追究责任。"]


@pytest.mark.parametrize(
    "lines",
    [
        ["关于进一步支持企业", "高质量发展的若干措施"],
        ["中国（苏州）跨境电子商务综合试验区", "高质量发展三年", "行动计划（2024～2026年）"],
    ],
)
def test_title_set_on_two_or_three_lines_is_one(lines):
    body = "为推动示例产业高质量发展，结合我市实际，制定以下措施。"
    assert _paragraphs([*lines, body]) == ["".join(lines), body]


def test_red_head_lines_do_not_join_a_title():
    lines = ["苏州市人民政府文件", "苏府规字〔2024〕3号", "苏州市示例管理办法", "第一条 为了规范示例管理，制定本办法。"]
    assert _paragraphs(lines) == lines


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("第 三 条 内容", "第三条 内容"), ("（ 一 ）内容", "（一）内容"), ("１．内容", "1．内容"), ("一 、内容", "一、内容")],
)
def test_clause_markers_lose_stray_spaces_and_full_width_digits(raw, clean):
    assert normalise_marker(raw) == clean


def test_indented_first_lines_mark_paragraphs_even_after_a_sentence_at_the_margin():
    full = "这一段的第一句话到行尾正好结束了。"  # 17 cells: the layout's full line
    first = "本段首行缩进两格共十五个字了。"  # 15 cells after an indent of 2
    lines = [Line(first, 1, 1, 2.0), Line(full, 2, 1), Line("第二句紧接上一行。", 3, 1), Line("另起一段缩进两格。", 4, 1, 2.0)]
    texts = [p.text for p in join_lines(lines * 3)]
    assert texts[:2] == [first + full + "第二句紧接上一行。", "另起一段缩进两格。"]


def test_pages_are_kept_per_paragraph_through_the_text():
    text = clean_text("第一条 示例内容。\n— 1 —\n第二条 示例内容。\n— 2 —\n第三条 示例内容。\n— 3 —")
    assert [(p.text, p.page) for p in text] == [("第一条 示例内容。", 1), ("第二条 示例内容。", 2), ("第三条 示例内容。", 3)]


# --- tables ---------------------------------------------------------------------------------------------


def _page_with_a_task_table() -> list:
    from bench.printing import Page, Run

    body = 15.0
    rows = [("序号", "任务", "责任单位"), ("1", "建设示例园区", "市工信局"), ("2", "培育示例企业", "市科技局")]
    runs = [Run("苏州市示例产业发展行动计划", 60, 45, 18), Run("一、重点任务", 28, 60, body)]
    runs.append(Run("（一）推进示例项目建设。各地按下表分工推进：", 38.6, 70, body))
    for n, row in enumerate(rows):
        runs += [Run(cell, x, 80 + 8 * n, body) for cell, x in zip(row, (28, 50, 120))]
    long = "（二）加强示例人才保障。" + "对引进的高层次示例人才给予安家补贴和租房补贴。" * 6
    runs += [Run(long[i : i + 28], 28, 110 + 8 * k, body) for k, i in enumerate(range(0, len(long), 28))]
    return [Page(runs)]


@pytest.mark.parametrize("writer", [write_pdf, write_ofd], ids=["pdf", "ofd"])
def test_table_rows_in_a_laid_out_file_keep_their_column_names_and_their_item(tmp_path, writer):
    path = writer(_page_with_a_task_table(), tmp_path / f"plan.{writer.__name__[-3:]}")
    text = read_file(path)
    assert "序号：1；任务：建设示例园区；责任单位：市工信局" in text.split("\n")
    [doc] = parse_text(path.name, text)
    clauses = {c.label: c.text for c in chunk_document(doc)}
    assert "序号：2；任务：培育示例企业；责任单位：市科技局" in clauses["一、（一）"]
    assert "市工信局" not in clauses["一、（二）"]
