"""Page layout → clean text: the clean-up a PDF's (or OFD's, or OCR's) lines need before they are paragraphs.

A laid-out page carries things that are not policy text — running headers and footers, page numbers in their
many forms — and breaks paragraphs at the page width. This module drops the first, re-joins the second and
records on which page every paragraph starts. Everything here is a pure function of lines.

Output: one paragraph per line; a line made only of form feeds (``\\f``, the classic page separator) before the
first paragraph that starts on a later page, one ``\\f`` per page advanced. `ingest.paragraphs` reads the page of
every paragraph back from those separators, so the page travels with the text through every stage.

Text that was already extracted elsewhere (a .txt saved from a PDF viewer) is recognised by its shape
(`looks_laid_out`) and goes through the same clean-up (`clean_text`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from ingest.paragraphs import MARKER, PAGE_BREAK, TERMINAL, TITLE_START, TITLE_SUFFIX, compact, detect_mode

# Page numbers as printed: — 3 —, - 3 -, 3, 第3页, 第3页 共12页, 共12页 第3页, 3/12, 3 / 12, Page 3 of 12.
PAGE_NUMBER_FORMS = re.compile(
    r"^(?:[-—–－~～]*\s*\d{1,4}\s*[-—–－~～]*"
    r"|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*[，,]?\s*第\s*\d{1,4}\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|[Pp]age\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$"
)
# Lines a header or footer can occupy: the first and last few of a page.
EDGE_LINES = 2
# A running header or footer is on at least this share of pages (odd/even pages may alternate two of them).
RUNNING_SHARE = 0.4
# Justified CJK lines fill the measure to within a cell (line-start rules may push one character over). A line
# two cells short may be a paragraph's indented first line; one stopping further short ended where the author
# ended it.
FULL_WITHIN = 1.0
ENDED_SHORT_BY = 3.0
TITLE_MAX = 80
# A line starting this many cells right of the margin is indented; a layout where at least this share of lines
# is indented marks paragraph starts (and centred titles) by indentation.
INDENT = 1.5
INDENTED_SHARE = 0.05
# A sentence end, possibly inside a closing quote or bracket: what a paragraph's last line ends with.
SENTENCE_END = re.compile(r"[。！？；：][”’）)」』]*$")
FULL_STOP = re.compile(r"[。！？][”’）)」』]*$")
# Lines of a 红头 or signature block that sit next to a title but are never part of it: 文号, date, letterhead.
NOT_TITLE_LINE = re.compile(r"〔\d{4}〕|^\d{4}年\d{1,2}月\d{1,2}日$|文件$|^签发人")
_SENTENCE_PUNCTUATION = "。；：，！？"
# Stray spaces and full-width forms inside clause markers: 第 三 条 / （ 一 ） / １． / 一 、 → 第三条 / （一） / 1． / 一、
_MARKER_SPACES = (
    (re.compile(r"^第\s*([一二三四五六七八九十百零〇两]+)\s*([章节条])"), r"第\1\2"),
    (re.compile(r"^([（(])\s*([一二三四五六七八九十\d]{1,3})\s*([）)])"), r"\1\2\3"),
    (re.compile(r"^([一二三四五六七八九十]{1,3})\s+、"), r"\1、"),
    (re.compile(r"^(\d{1,2})\s+([．.、])(?!\d)"), r"\1\2"),
)
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


class Row(str):
    """A table row already set as one line of text (``序号：1；任务：…``): a paragraph by itself."""


class PageLine(NamedTuple):
    """A line as a page description places it (PDF text layer, OFD): its text, the x of its first character
    and the width of one character cell there (same unit, any unit)."""

    text: str
    left: float
    cell: float
    cells: tuple[str, ...] = ()  # the line cut where its characters stand far apart: a table row


@dataclass(frozen=True)
class Line:
    """One line of a page (or, after `join_lines`, one paragraph): its text, source line and page (1-based)."""

    text: str
    number: int
    page: int
    indent: float = 0.0  # leading blank, in character cells: a first-line indent or a centred line
    alone: bool = False  # a paragraph by itself (a table row): never joined to a neighbour


# --- public API -----------------------------------------------------------------------------------------


def lay_out(pages: list[list[str]]) -> str:
    """Pages of raw lines (a PDF's or OFD's text layer) → clean text, one paragraph per line, pages marked."""
    texts = [(page, text) for page, lines in enumerate(pages, start=1) for text in lines if text.strip()]
    lines = [_line(text, number, page) for number, (page, text) in enumerate(texts, start=1)]
    return render(join_lines(drop_furniture(lines)))


def _line(raw: str, number: int, page: int) -> Line:
    """A line with its leading blank measured (ideographic space one cell, other blanks half) and stripped."""
    text = raw.strip()
    lead = raw[: len(raw) - len(raw.lstrip())]
    indent = sum(1.0 if c == "\u3000" else 0.5 for c in lead if c not in "\r\n\f")
    return Line(text, number, page, indent, alone=isinstance(raw, Row))


def clean_text(text: str) -> list[Line]:
    """Laid-out plain text (see `looks_laid_out`) → its paragraphs, each with its source line and page."""
    return join_lines(drop_furniture(split_pages(text)))


def looks_laid_out(text: str) -> bool:
    """Does this one-paragraph-per-line text in fact break its paragraphs at a page width?

    Clean text ends nearly every long line at a sentence end; a page layout ends its full-width lines
    wherever the margin falls. A third of all lines at full width without a sentence end is a layout.
    """
    lines = [line for line in map(str.strip, text.split("\n")) if line]
    if len(lines) < 5:
        return False
    full = full_width(lines, measure=len)
    wrapped = sum(1 for line in lines if len(line) >= 0.9 * full and not line.endswith(TERMINAL))
    # Blank-line-separated PDF extractions and Markdown have their own paragraph rules (asked last: it costs).
    return wrapped >= 0.3 * len(lines) and detect_mode(text) == "plain"


def render(paragraphs: list[Line]) -> str:
    """One paragraph per line; before a paragraph on a later page, a line of one form feed per page advanced."""
    out: list[str] = []
    page = 1
    for paragraph in paragraphs:
        if paragraph.page > page:
            out.append(PAGE_BREAK * (paragraph.page - page))
            page = paragraph.page
        out.append(paragraph.text)
    return "\n".join(out)


def is_page_number(text: str) -> bool:
    return PAGE_NUMBER_FORMS.match(compact(text)) is not None


def width(text: str) -> float:
    """Printed width in character cells: ideographs, full-width forms and (in a Chinese font) the ambiguous
    quotes and dashes 1, ASCII ½."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


def full_width(
    lines: list[str], indents: list[float] | None = None, measure: Callable[[str], float] | None = None
) -> float:
    """The width of a full line (`measure`: printed `width` unless given): most body lines run to the margin,
    so a high quantile of line widths."""
    measure = measure or width
    widths = sorted(measure(line) + (indents[i] if indents else 0.0) for i, line in enumerate(lines))
    if len(widths) < 10:
        return widths[-1] if widths else 0.0  # too few lines to set an odd long one aside
    return widths[int(0.8 * (len(widths) - 1))]


def normalise_marker(text: str) -> str:
    """Full-width digits to ASCII and stray spaces out of a leading clause marker."""
    text = text.translate(_FULL_WIDTH_DIGITS)
    for pattern, replacement in _MARKER_SPACES:
        text = pattern.sub(replacement, text, count=1)
    return text


# --- pages ------------------------------------------------------------------------------------------------


def split_pages(text: str) -> list[Line]:
    """Lines of laid-out text with their pages: form feeds mark the pages, or else page-number lines do
    (taken as footers: the page ends with its number)."""
    has_breaks = PAGE_BREAK in text
    lines: list[Line] = []
    breaks = 0  # form feeds, or page-number lines, before this line
    for number, raw in enumerate(text.split("\n"), start=1):
        lead = len(raw) - len(raw.lstrip(PAGE_BREAK))
        stripped = raw.replace(PAGE_BREAK, "").strip()
        if stripped:
            lines.append(_line(raw.replace(PAGE_BREAK, ""), number, 1 + breaks + lead))
        breaks += raw.count(PAGE_BREAK) if has_breaks else int(bool(stripped) and is_page_number(stripped))
    return lines


def drop_furniture(lines: list[Line]) -> list[Line]:
    """Lines without page numbers and without running headers and footers (text repeated at page edges)."""
    edges = _edge_lines(lines)
    pages = len({line.page for line in lines})
    counts: dict[str, set[int]] = {}
    for line in edges:
        counts.setdefault(_furniture_key(line.text), set()).add(line.page)
    running = {key for key, on in counts.items() if len(on) >= 2 and len(on) >= RUNNING_SHARE * pages}
    return [
        line
        for line in lines
        if not (line in edges and (is_page_number(line.text) or _furniture_key(line.text) in running))
    ]


def _edge_lines(lines: list[Line]) -> set[Line]:
    by_page: dict[int, list[Line]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    return {line for page in by_page.values() for line in page[:EDGE_LINES] + page[-EDGE_LINES:]}


def _furniture_key(text: str) -> str:
    """Headers repeat with a changing number in them (第3页, 2024年第5期): compare them without digits."""
    return re.sub(r"\d+", "#", compact(text))


# --- paragraphs -------------------------------------------------------------------------------------------


def join_lines(lines: list[Line]) -> list[Line]:
    """Re-join lines broken at the page width into paragraphs, then titles broken over two or three lines.

    Where the layout indents first lines (公文 indent every paragraph by two characters and centre titles), an
    indented line opens a paragraph and a line at the margin continues one that ran to the margin. Without
    indents: a full line that does not end a sentence continues into the next one, unless that one starts a
    clause marker; a line that stops well short of the margin ended its paragraph; a line about an indent
    short (an indented first line, its blank lost) continues unless it ended a sentence.
    """
    indented = sum(1 for line in lines if line.indent >= INDENT) >= INDENTED_SHARE * len(lines)
    texts = [line.text for line in lines]
    indents = [line.indent for line in lines] if indented else [0.0] * len(lines)
    # Printed width counts ASCII as half a cell; a text tool that wrapped at N characters counts it as one.
    # A line is as full as the fuller of the two measures says.
    full_cells, full_chars = full_width(texts, indents), full_width(texts, indents, measure=len)
    paragraphs: list[Line] = []
    gap = 0.0  # how far short of the margin the previous line stopped
    for line, indent in zip(lines, indents):
        text = normalise_marker(line.text)
        own_gap = min(full_cells - width(text), full_chars - len(text)) - indent
        starts = (
            not paragraphs
            or line.alone
            or paragraphs[-1].alone
            or (indented and (line.indent >= INDENT or gap > FULL_WITHIN))
            or _starts_paragraph(paragraphs[-1].text, text, gap, own_gap)
        )
        if paragraphs and not starts:
            last = paragraphs[-1]
            paragraphs[-1] = Line(_glue(last.text, text), last.number, last.page, last.indent)
        else:
            paragraphs.append(Line(text, line.number, line.page, line.indent, line.alone))
        gap = own_gap
    return join_titles(paragraphs)


def _starts_paragraph(paragraph: str, text: str, gap: float, own_gap: float) -> bool:
    """Does `text` open a new paragraph after `paragraph`, whose last line stopped `gap` cells short of the
    margin (`text` itself stops `own_gap` short)?"""
    if not paragraph:
        return True
    ended = paragraph.endswith(TERMINAL)
    if MARKER.match(text):
        # A marker after a full line cut mid-sentence is a cross-reference that the margin put first (依照本办法
        # / 第三条规定); after a sentence end, a short line or a bare line it opens a clause.
        return ended or gap > FULL_WITHIN or _is_bare(paragraph)
    if gap > ENDED_SHORT_BY:
        return True
    if gap > FULL_WITHIN:
        # About an indent short: a paragraph's indented first line (bare or not), unless a sentence ended there.
        return SENTENCE_END.search(paragraph) is not None
    if _is_whole_title(paragraph):
        return True  # a title that happens to fill the line
    # A full line runs on, unless it closed a sentence and a short bare line (title, date, signature) follows.
    return FULL_STOP.search(paragraph) is not None and own_gap > ENDED_SHORT_BY and _is_bare(text)


def _glue(left: str, right: str) -> str:
    """CJK lines join without a space (so do digits: 补贴1 / 00万元); Latin words broken at the margin keep one."""
    end, start = left[-1:], right[:1]
    if end.isascii() and (end.isalpha() or end in ".,;:!?") and start.isascii() and start.isalpha():
        return f"{left} {right}"
    return left + right


def _is_bare(text: str) -> bool:
    """Short and without sentence punctuation: a title, heading, 文号, signature or date line."""
    return width(text) <= 40 and not any(c in text for c in _SENTENCE_PUNCTUATION)


def _is_whole_title(text: str) -> bool:
    flat = compact(text)
    return (
        _is_bare(flat)
        and not NOT_TITLE_LINE.search(flat)
        and TITLE_START.match(flat) is not None
        and TITLE_SUFFIX.search(flat) is not None
    )


def join_titles(paragraphs: list[Line]) -> list[Line]:
    """A title set on two or three short lines (公文 titles are broken by meaning, each line centred) is one."""
    out: list[Line] = []
    i = 0
    while i < len(paragraphs):
        span = _title_lines(paragraphs, i)
        first = paragraphs[i]
        out.append(Line("".join(p.text for p in paragraphs[i : i + span]), first.number, first.page))
        i += span
    return out


def _title_lines(paragraphs: list[Line], i: int) -> int:
    """How many paragraphs from i make one title: 1 unless 2 or 3 bare lines join into a title that the first
    alone is not."""
    first = compact(paragraphs[i].text)
    if not _is_bare(first) or TITLE_START.match(first) is None or TITLE_SUFFIX.search(first):
        return 1
    if NOT_TITLE_LINE.search(first):
        return 1
    joined = first
    for span in (2, 3):
        if i + span > len(paragraphs):
            return 1
        nxt = compact(paragraphs[i + span - 1].text)
        if any(c in nxt for c in _SENTENCE_PUNCTUATION) or MARKER.match(nxt) or NOT_TITLE_LINE.search(nxt):
            return 1
        joined += nxt
        if len(joined) > TITLE_MAX:
            return 1
        if TITLE_SUFFIX.search(joined):
            return span
    return 1
