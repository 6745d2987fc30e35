"""A synthetic corpus N times the size of the real one, for the scale run.

Every real document is written out again per copy, one document per file, with its place name and amounts
varied: titles must differ (document ids come from titles) and bodies must differ (identical bodies are merged
as duplicates), while the styles — 第X条 articles, 一、（一） outlines, 责任单位 trailers, notices — stay those
of the real corpus, so the parser and chunker do the same work per document.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.model import Document

# Copy k of a document is set in CITIES[k - 1]; copy 0 is the real corpus itself.
CITIES = [
    "无锡", "常州", "南通", "扬州", "镇江", "泰州", "盐城", "淮安", "宿迁", "徐州",
    "连云港", "南京", "杭州", "宁波", "嘉兴", "湖州", "绍兴", "合肥", "芜湖", "温州",
    "台州", "金华", "衢州", "丽水", "舟山", "蚌埠", "安庆", "马鞍山", "滁州", "宣城",
]  # fmt: skip
HOME_CITY = "苏州"
# Amounts, shares and counts — not dates or 文号, which must stay parseable.
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)(?=\s*(?:万元|亿元|元|%|％|家|个|人|名|项|平方米|公里|倍|台|套))")


def vary_amounts(text: str, copy: int) -> str:
    """Scale every amount by (1 + 0.05 × copy), keeping integers integers."""
    factor = 1 + 0.05 * copy

    def scaled(match: re.Match) -> str:
        raw = match.group(1)
        value = float(raw) * factor
        return f"{value:.1f}" if "." in raw else str(round(value))

    return _AMOUNT.sub(scaled, text)


def vary_text(text: str, copy: int) -> str:
    """The text as it would read in another city's version of the policy."""
    return vary_amounts(text.replace(HOME_CITY, CITIES[copy - 1]), copy)


def varied_title(title: str, copy: int) -> str:
    """A distinct title per copy, even for titles that name no city."""
    varied = vary_text(title, copy)
    return varied if varied != title else f"{CITIES[copy - 1]}市{title}"


def document_text(doc: Document, copy: int) -> str:
    """One document as a plain-text file: title, then every paragraph (notice, body, signature …) in order."""
    lines = [varied_title(doc.title, copy), ""]
    for part in doc.parts:
        for paragraph in part.paragraphs:
            if paragraph.text.strip() != doc.title.strip():
                lines += [vary_text(paragraph.text, copy), ""]
    return "\n".join(lines)


def write_scaled_corpus(real_files: list[Path], documents: list[Document], out_dir: Path, factor: int) -> list[Path]:
    """The real files (copy 0) plus factor − 1 varied copies of every document; returns the files written."""
    if factor - 1 > len(CITIES):
        raise ValueError(f"at most {len(CITIES) + 1}× is supported (one city per copy)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in real_files:
        target = out_dir / path.name
        target.write_bytes(path.read_bytes())
        written.append(target)
    for copy in range(1, factor):
        for n, doc in enumerate(documents):
            target = out_dir / f"copy{copy:02d}_{n:03d}.txt"
            target.write_text(document_text(doc, copy), encoding="utf-8")
            written.append(target)
    return written
