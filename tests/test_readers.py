"""readers: every supported format gives its text; every unreadable file gives a ReadError with a clear reason."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from ingest.readers import SUPPORTED_SUFFIXES, ReadError, read_file

POLICY = "苏州市示例管理办法\n第一条 为了规范示例管理，制定本办法。\n"


def _minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a Helvetica text layer (ASCII only), with a correct xref table."""
    ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
    for line in lines:
        ops.append(f"({line}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _reason(path: Path) -> str:
    with pytest.raises(ReadError) as info:
        read_file(path)
    assert info.value.path == path
    return info.value.reason


@pytest.mark.parametrize(
    "encoded",
    [POLICY.encode("utf-8"), b"\xef\xbb\xbf" + POLICY.encode("utf-8"), POLICY.encode("gbk")],
    ids=["utf8", "utf8-bom", "gbk"],
)
def test_text_file_is_decoded_whatever_its_encoding(tmp_path, encoded):
    assert read_file(_write(tmp_path, "policy.txt", encoded)) == POLICY


def test_markdown_file_is_read_as_text(tmp_path):
    assert read_file(_write(tmp_path, "policy.md", "# 标题\n正文。".encode())) == "# 标题\n正文。"


def test_empty_file_is_refused_as_empty(tmp_path):
    assert "empty file" in _reason(_write(tmp_path, "empty.txt", b""))
    assert "文件为空" in _reason(_write(tmp_path, "blank.txt", b"  \n\n"))


def test_random_bytes_are_refused_as_binary(tmp_path):
    noise = random.Random(7).randbytes(4096)
    assert "binary" in _reason(_write(tmp_path, "noise.txt", noise))


def test_text_with_nul_bytes_is_refused_as_binary(tmp_path):
    assert "binary" in _reason(_write(tmp_path, "nul.txt", "正文".encode() + b"\x00\x00abc"))


def test_bytes_that_decode_only_to_garbage_are_refused(tmp_path):
    # Valid GB18030 byte pairs chosen from rarely used rows decode to a soup of obscure ideographs and symbols.
    garbage = bytes([0xA1, 0xA1]) * 5 + bytes([0x81, 0x30, 0x81, 0x30]) * 200
    reason = _reason(_write(tmp_path, "garbage.txt", garbage))
    assert "undecodable" in reason or "binary" in reason


def test_unsupported_suffix_is_refused(tmp_path):
    assert "unsupported type" in _reason(_write(tmp_path, "sheet.xlsx", b"PK\x03\x04"))
    assert {".txt", ".md", ".docx", ".pdf", ".ofd", ".html", ".htm", ".png", ".jpg", ".jpeg", ".tif", ".tiff"} == set(
        SUPPORTED_SUFFIXES
    )


def test_docx_gives_one_paragraph_per_line(tmp_path):
    document = docx.Document()
    document.add_paragraph("苏州市示例管理办法")
    document.add_paragraph("第一条 为了规范示例管理，制定本办法。")
    path = tmp_path / "policy.docx"
    document.save(str(path))
    assert read_file(path).split("\n") == ["苏州市示例管理办法", "第一条 为了规范示例管理，制定本办法。"]


def test_corrupt_docx_is_refused(tmp_path):
    assert "corrupt docx" in _reason(_write(tmp_path, "broken.docx", b"PK\x03\x04 this is not a zip"))
    path = tmp_path / "notword.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "no word document in here")
    assert "不是有效的 DOCX" in _reason(path)


def test_pdf_text_layer_is_read(tmp_path):
    path = _write(tmp_path, "policy.pdf", _minimal_pdf(["Suzhou policy line one", "short end"]))
    text = read_file(path)
    assert "Suzhou policy line one" in text
    assert "short end" in text


def test_pdf_lines_broken_at_the_margin_come_back_as_one_paragraph(tmp_path):
    lines = ["A policy sentence that runs to the", "margin and on.", "Next one."]
    path = _write(tmp_path, "policy.pdf", _minimal_pdf(lines))
    assert read_file(path).split("\n") == ["A policy sentence that runs to the margin and on.", "Next one."]


def test_pdf_without_text_layer_is_refused(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert "no text layer" in _reason(path)


def test_corrupt_pdf_is_refused(tmp_path):
    reason = _reason(_write(tmp_path, "broken.pdf", b"%PDF-1.4\nthis is not really a pdf"))
    assert "pdf" in reason.lower()


def test_html_gives_blocks_as_lines_without_script_or_style(tmp_path):
    html = (
        "<html><head><title>页面标题</title><style>p {color: red}</style></head><body>"
        "<h1>苏州市示例管理办法</h1><script>var x = '不要';</script>"
        "<p>第一条 为了规范示例管理，<b>制定</b>本办法。</p><div>第二条 本办法自印发之日起施行。</div>"
        "</body></html>"
    )
    text = read_file(_write(tmp_path, "policy.html", html.encode("utf-8")))
    assert text.split("\n") == [
        "苏州市示例管理办法",
        "第一条 为了规范示例管理，制定本办法。",
        "第二条 本办法自印发之日起施行。",
    ]


def test_htm_suffix_in_gbk_is_read(tmp_path):
    assert read_file(_write(tmp_path, "p.htm", "<p>正文内容。</p>".encode("gbk"))) == "正文内容。"


def test_every_registered_type_is_offered_by_the_cli_help_and_accepted_by_the_upload_check():
    from ingest.__main__ import _parser_ingest
    from ingest.readers import READERS
    from web.uploads import safe_filename

    help_text = " ".join(_parser_ingest().format_help().split())
    for suffix in READERS:
        assert suffix in help_text
        assert safe_filename(f"policy{suffix.upper()}") == f"policy{suffix}"


def _docx_with_task_table(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("苏州市示例产业发展行动计划")
    document.add_paragraph("一、重点任务")
    document.add_paragraph("（一）推进示例项目建设。各地按下表分工推进。")
    table = document.add_table(rows=3, cols=3)
    for row, cells in zip(table.rows, [("序号", "任务", "责任单位"), ("1", "建设示例园区", "市工信局"), ("2", "培育示例企业", "市科技局")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.add_paragraph("（二）加强示例人才保障。" + "对引进的高层次示例人才，按其层次给予安家补贴和租房补贴，并在子女入学方面提供便利。" * 3)
    document.save(str(path))
    return path


def test_docx_table_rows_keep_their_column_names_in_document_order(tmp_path):
    lines = read_file(_docx_with_task_table(tmp_path / "plan.docx")).split("\n")
    assert lines[3:5] == ["序号：1；任务：建设示例园区；责任单位：市工信局", "序号：2；任务：培育示例企业；责任单位：市科技局"]
    assert lines[5].startswith("（二）")


def test_docx_table_rows_stay_with_the_item_they_follow(tmp_path):
    from ingest.clauses import chunk_document
    from ingest.documents import parse_text

    path = _docx_with_task_table(tmp_path / "plan.docx")
    [doc] = parse_text(path.name, read_file(path))
    clauses = {c.label: c.text for c in chunk_document(doc)}
    assert "任务：建设示例园区；责任单位：市工信局" in clauses["一、（一）"]
    assert "任务：培育示例企业；责任单位：市科技局" in clauses["一、（一）"]
    assert "市工信局" not in clauses["一、（二）"]


def test_table_without_a_header_row_joins_its_cells():
    from ingest.readers import table_rows

    rows = [["对年营业收入首次突破1亿元的企业，给予奖励。", "市工信局"], ["对新认定的企业给予支持。", "市科技局"]]
    assert table_rows(rows) == ["对年营业收入首次突破1亿元的企业，给予奖励。；市工信局", "对新认定的企业给予支持。；市科技局"]


def test_corrupt_ofd_is_refused(tmp_path):
    assert "corrupt ofd" in _reason(_write(tmp_path, "broken.ofd", b"PK\x03\x04 not a zip"))
    path = tmp_path / "empty.ofd"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody/></ofd:OFD>')
    assert "不是有效的 OFD" in _reason(path)


def test_image_without_text_is_refused_and_a_corrupt_one_too(tmp_path):
    from PIL import Image

    path = tmp_path / "blank.png"
    Image.new("RGB", (400, 300), "white").save(path)
    assert "no text found" in _reason(path)
    assert "corrupt image" in _reason(_write(tmp_path, "broken.jpg", b"\xff\xd8 not a jpeg"))
