"""Scanned pages → text lines, by OCR in the ingest process (never in a request handler: a page takes seconds).

RapidOCR runs the PP-OCRv4 Chinese detection and recognition models that ship inside the rapidocr-onnxruntime
wheel, on onnxruntime: nothing is downloaded at run time. A page is rendered by PDFium (or taken from an image
file), its text lines are found and read, and each comes back as a `PageLine` in the page's own units, so the
layout clean-up treats a scan like a text layer. The recognition confidence of every page is kept: clauses
read from a low-confidence page are marked for checking against the original.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.layout import PageLine, width

# A PDF page with fewer characters than this in its text layer is a scan (or a scan with a stray stamp).
MIN_TEXT_CHARS = 10
# Pages are rendered at 144 dpi (scale 2 of PDF points): A4 body text at 15–16 pt is then ~40 px high,
# well inside what the recognition model was trained on; more costs time and gains nothing.
RENDER_SCALE = 2.0
# Below this mean confidence, a clause's text is shown with REVIEW_NOTE.
REVIEW_BELOW = 0.95
REVIEW_NOTE = "识别文本，请核对原件"
# Recognition reads the 文号 brackets 〔〕 as 【】 or []: put them back where a 文号 stands.
_DOC_NUMBER_BRACKETS = re.compile(r"(?<=[\u4e00-\u9fff])[【\[［](\d{4})[】\]］](?=\s*\d+\s*号)")


@lru_cache(maxsize=1)
def _engine():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def read_image(image, scale: float = 1.0) -> tuple[list[PageLine], float]:
    """The text lines of one page image (a PIL image or an RGB array) top to bottom, in units of 1/`scale`
    pixel (PDF points for a page rendered at `scale`), and the page's mean confidence (0 when nothing is read)."""
    import numpy as np

    results, _ = _engine()(np.asarray(image.convert("RGB")) if hasattr(image, "convert") else image, use_cls=False)
    return _lines(results or [], scale)


def _lines(results: list, scale: float) -> tuple[list[PageLine], float]:
    """Detected boxes → lines. Boxes whose vertical centres are within half a line height are one line."""
    boxes = []
    for box, text, confidence in results:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        boxes.append((min(ys), max(ys), min(xs), max(xs), fix_text(text), float(confidence)))
    boxes.sort()
    rows: list[list[tuple]] = []
    for box in boxes:
        top, bottom = box[0], box[1]
        if rows and abs((top + bottom) / 2 - _centre(rows[-1])) < (bottom - top) / 2:
            rows[-1].append(box)
        else:
            rows.append([box])
    lines = []
    for row in rows:
        row.sort(key=lambda b: b[2])
        text = "".join(b[4] for b in row)
        left, right = row[0][2], row[-1][3]
        lines.append(PageLine(text, left / scale, (right - left) / scale / max(width(text), 1.0)))
    chars = sum(len(b[4]) for b in boxes)
    confidence = sum(len(b[4]) * b[5] for b in boxes) / chars if chars else 0.0
    return lines, confidence


def _centre(row: list[tuple]) -> float:
    return sum((b[0] + b[1]) / 2 for b in row) / len(row)


def fix_text(text: str) -> str:
    """Undo the recogniser's usual confusions in policy text."""
    return _DOC_NUMBER_BRACKETS.sub(r"〔\1〕", text)


def needs_review(confidence: float | None) -> bool:
    """Should a clause with this OCR confidence (None: not OCR'd) carry REVIEW_NOTE?"""
    return confidence is not None and confidence < REVIEW_BELOW
