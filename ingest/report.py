"""One file → what the index will get from it: the upload report an administrator reads before re-indexing.

The same reader and parser as the ingest, applied to one file, summarised: documents, clauses, pages, pages
read by OCR, and warnings worth a look (scans still to be read, low OCR confidence, titles guessed, a document
that did not split into clauses). A file that cannot be read raises `ReadError` with its reason, as the ingest
would report it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.clauses import chunk_document
from ingest.documents import merge_duplicates, parse_text
from ingest.ocr import REVIEW_BELOW
from ingest.readers import read_source

# Clause kinds that are a document's own numbered text (as opposed to its notice, preamble or closing).
_NUMBERED = frozenset({"article", "item", "amendment"})


@dataclass
class FileReport:
    name: str
    documents: list[str]  # titles, in file order
    clauses: int
    pages: int | None  # None for text formats
    pages_ocr: int  # pages read by OCR
    warnings: list[str] = field(default_factory=list)


def report_file(path: Path, max_chars: int = 600, ocr: bool = True) -> FileReport:
    """Read and parse one file as the ingest will. With `ocr` off (a quick check in a request), scanned pages
    are only counted and reported as still to be read."""
    path = Path(path)
    source = read_source(path, ocr=ocr)
    documents = merge_duplicates(parse_text(path.name, source.text, source.ocr_confidence))
    clauses = {doc.doc_id: chunk_document(doc, max_chars=max_chars) for doc in documents}
    warnings: list[str] = []
    pending = [page for page in source.scanned if page not in source.ocr_confidence]
    if pending:
        warnings.append(f"{len(pending)} 页为扫描件，索引时将进行文字识别 / {len(pending)} scanned pages, OCR at ingest")
    for page, confidence in sorted(source.ocr_confidence.items()):
        if confidence < REVIEW_BELOW:
            warnings.append(f"第{page}页识别置信度 {confidence:.2f}，请核对原件 / page {page}: low OCR confidence")
    if not documents and not pending:
        warnings.append("未识别出政策文件 / no policy document found")
    for doc in documents:
        if doc.title_inferred:
            warnings.append(f"《{doc.title}》标题为推断 / title inferred")
        if not any(clause.kind in _NUMBERED for clause in clauses[doc.doc_id]):
            warnings.append(f"《{doc.title}》未分出条款 / not split into articles or items")
    return FileReport(
        name=path.name,
        documents=[doc.title for doc in documents],
        clauses=sum(len(found) for found in clauses.values()),
        pages=source.pages,
        pages_ocr=len(source.ocr_confidence),
        warnings=warnings,
    )
