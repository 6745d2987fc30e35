"""Scanned documents: printed corpus pages rendered to images and wrapped back into a PDF without a text layer,
read back by OCR (RapidOCR, models shipped in its wheel), and the per-file upload report.

OCR takes seconds per page on two cores, so the test reads two pages; `python -m bench` reads more and prints
pages per second.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest

from ingest.clauses import chunk_document
from ingest.documents import parse_text
from ingest.ocr import REVIEW_NOTE, needs_review
from ingest.readers import ReadError, read_source
from ingest.report import report_file
from bench.printing import Page, print_pages, write_pdf

SCANNED_PAGES = 2


def scan(pages: list[Page], text_pdf: Path, out: Path, scale: float = 2.0) -> Path:
    """Render the text PDF's pages to images (as a scanner would give them) and save them as an image-only PDF."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(text_pdf))
    images = [pdf[i].render(scale=scale).to_pil().convert("RGB") for i in range(len(pages))]
    pdf.close()
    images[0].save(out, "PDF", resolution=72 * scale, save_all=True, append_images=images[1:])
    return out


def _flat(text: str) -> str:
    """Compare characters, not their width or spacing: （ and ( are one character to a reader."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, data_dir: Path):
    """The first pages of the largest corpus file, printed with its 红头, as a text PDF and as a scan."""
    out = tmp_path_factory.mktemp("scanned")
    path = sorted(data_dir.glob("*.txt"), key=lambda p: p.stat().st_size)[-1]
    text = path.read_text(encoding="utf-8")
    from ingest.paragraphs import to_paragraphs

    printed = print_pages(to_paragraphs(text), {d.title for d in parse_text(path.name, text)}, 1)
    pages = printed.pages[:SCANNED_PAGES]
    text_pdf = write_pdf(pages, out / "text.pdf")
    scan_pdf = scan(pages, text_pdf, out / "scan.pdf")
    return SimpleNamespace(
        pages=pages, text_pdf=text_pdf, scan_pdf=scan_pdf, text_layer=read_source(text_pdf), ocr=read_source(scan_pdf)
    )


def test_scanned_pdf_is_read_by_ocr_with_few_character_errors(scanned):
    pages, ocr = scanned.pages, scanned.ocr
    assert ocr.scanned == list(range(1, SCANNED_PAGES + 1)) and sorted(ocr.ocr_confidence) == ocr.scanned
    # The source: every line printed on those pages except the running header and the page number.
    source = "".join(run.text for page in pages for run in page.runs[1:-1])
    read = _flat(ocr.text)
    assert _edit_distance(read, _flat(source)) <= 0.02 * len(_flat(source))


def test_scanned_pdf_gives_the_clauses_of_the_text_pdf(scanned):
    text_layer, ocr = scanned.text_layer, scanned.ocr
    expected = {(d.title, c.label) for d in parse_text("t.pdf", text_layer.text) for c in chunk_document(d)}
    clauses = [c for d in parse_text("s.pdf", ocr.text, ocr.ocr_confidence) for c in chunk_document(d)]
    got = {(c.doc["doc_title"], c.label) for c in clauses}
    assert len(expected & got) >= 0.95 * len(expected)
    assert all(c.ocr_confidence is not None and 0 < c.ocr_confidence <= 1 for c in clauses)
    assert all(c.page in (1, 2) for c in clauses)


def test_text_layer_pages_are_not_ocr_read(scanned):
    text_layer = scanned.text_layer
    assert text_layer.scanned == [] and text_layer.ocr_confidence == {}


def test_image_file_is_read_by_ocr_with_its_doc_number_brackets(scanned, tmp_path):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(scanned.text_pdf))
    image = pdf[0].render(scale=2).to_pil().convert("RGB")
    pdf.close()
    path = tmp_path / "letterhead.png"
    image.crop((0, 0, image.width, image.height // 3)).save(path)  # the 红头: banner, 文号, 签发人
    source = read_source(path)
    assert (source.pages, source.scanned) == (1, [1])
    printed = [run.text for run in scanned.pages[0].runs[1:4]]  # banner, 文号 (〔〕, often read as 【】), 签发人
    assert all(_flat(line) in _flat(source.text) for line in printed)


def test_ocr_models_ship_inside_the_package():
    import rapidocr_onnxruntime

    models = Path(rapidocr_onnxruntime.__file__).parent / "models"
    assert {p.name for p in models.glob("*.onnx")} >= {"ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"}


def test_low_confidence_is_marked_for_review():
    assert needs_review(0.5) and not needs_review(0.99) and not needs_review(None)
    assert "核对原件" in REVIEW_NOTE


# --- the upload report --------------------------------------------------------------------------------------


def test_report_of_a_scan_checked_without_ocr_says_the_pages_are_still_to_be_read(scanned):
    report = report_file(scanned.scan_pdf, ocr=False)
    assert (report.pages, report.pages_ocr, report.documents) == (SCANNED_PAGES, 0, [])
    assert any("扫描件" in warning for warning in report.warnings)


def test_report_of_a_laid_out_policy(tmp_path):
    from ingest.model import Paragraph

    lines = [
        "苏州市示例设施管理办法",
        "第一条 为了规范示例设施管理，保障公共安全，制定本办法。",
        "第二条 本办法适用于本市行政区域内示例设施的建设和管理。",
        "第三条 本办法自2024年5月1日起施行。",
    ]
    paragraphs = [Paragraph(text, n) for n, text in enumerate(lines, start=1)]
    pdf = write_pdf(print_pages(paragraphs, {lines[0]}, 0).pages, tmp_path / "policy.pdf")
    report = report_file(pdf)
    assert report.documents == ["苏州市示例设施管理办法"]
    assert (report.clauses, report.pages, report.pages_ocr, report.warnings) == (3, 1, 0, [])


def test_report_warns_of_a_document_that_does_not_split(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("苏州市示例工作通知\n各单位要高度重视示例工作，认真抓好落实。", encoding="utf-8")
    assert any("未分出条款" in warning for warning in report_file(path).warnings)


def test_report_refuses_an_unreadable_file_with_its_reason(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(ReadError, match="corrupt pdf"):
        report_file(path)

