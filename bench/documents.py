"""Documents as they really arrive: the corpus printed as 红头 PDFs and OFD packages, and a few pages scanned.

Reads each back through the normal reader and prints what survives (documents, clause labels, page numbers)
and how fast: pages per second for a text layer, an OFD package and OCR. OCR reads only `ocr_pages` pages of
one file — seconds per page on two cores — so its figure is a rate, not the corpus total.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.printing import missing_cjk_font, print_pages, write_ofd, write_pdf
from ingest.clauses import chunk_document
from ingest.documents import merge_duplicates, parse_text
from ingest.paragraphs import to_paragraphs
from ingest.readers import read_source


def document_figures(data_dir: Path, workdir: Path, ocr_pages: int = 4) -> dict:
    """The read-back figures, or {"error": why not} when this machine cannot print the documents (its other
    figures stand: a missing font must not cost a run of many minutes)."""
    missing = missing_cjk_font()
    if missing:
        return {"error": f"printed documents not measured: {missing}"}
    workdir.mkdir(parents=True, exist_ok=True)
    files = sorted(data_dir.glob("*.txt"))
    plain, printed = [], []
    for number, path in enumerate(files):
        text = path.read_text(encoding="utf-8")
        docs = parse_text(path.name, text)
        plain += docs
        printed.append((path.stem, print_pages(to_paragraphs(text), {d.title for d in docs}, number), docs))
    out = {}
    for kind, write in (("pdf", write_pdf), ("ofd", write_ofd)):
        written = [(write(p.pages, workdir / f"{stem}.{kind}"), p, docs) for stem, p, docs in printed]
        started = time.perf_counter()
        sources = [(path, read_source(path)) for path, _, _ in written]
        seconds = time.perf_counter() - started
        back = [d for path, source in sources for d in parse_text(path.name, source.text)]
        pages = sum(source.pages or 0 for _, source in sources)
        out[kind] = {"pages": pages, "read_s": round(seconds, 2), "pages_per_s": round(pages / seconds, 1)}
        expected: dict[tuple[str, str], int] = {}
        for _, pages_of, docs in written:  # the first copy of a repeated document is the one kept
            for doc in docs:
                for clause in chunk_document(doc):
                    expected.setdefault((doc.title, clause.label), pages_of.page_of_line[clause.line])
        out[kind].update(_agreement(plain, back, expected))
    out["ocr"] = _ocr_rate(printed[-1][1].pages[:ocr_pages] if printed else [], workdir)
    return out


def _agreement(plain, back, expected_page) -> dict:
    def pairs(docs):
        found = {}
        for doc in merge_duplicates(docs):
            for clause in chunk_document(doc):
                found.setdefault((doc.title, clause.label), clause)
        return found

    p, b = pairs(plain), pairs(back)
    kept = set(p) & set(b)
    right = sum(1 for pair in kept if b[pair].page == expected_page.get(pair))
    return {
        "documents": len({t for t, _ in kept}),
        "documents_plain": len({t for t, _ in p}),
        "pairs_pct": round(100 * len(kept) / len(p), 2),
        "page_right_pct": round(100 * right / max(len(kept), 1), 2),
    }


def _ocr_rate(pages, workdir: Path) -> dict:
    if not pages:
        return {}
    import pypdfium2 as pdfium

    text_pdf = write_pdf(pages, workdir / "ocr-source.pdf")
    pdf = pdfium.PdfDocument(str(text_pdf))
    images = [pdf[i].render(scale=2).to_pil().convert("RGB") for i in range(len(pages))]
    pdf.close()
    scan = workdir / "scan.pdf"
    images[0].save(scan, "PDF", resolution=144, save_all=True, append_images=images[1:])
    started = time.perf_counter()
    source = read_source(scan)
    seconds = time.perf_counter() - started
    confidence = sum(source.ocr_confidence.values()) / max(len(source.ocr_confidence), 1)
    return {"pages": len(pages), "read_s": round(seconds, 1), "pages_per_s": round(len(pages) / seconds, 3),
            "mean_confidence": round(confidence, 3)}
