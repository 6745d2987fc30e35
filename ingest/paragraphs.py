"""Raw text → normalised paragraphs (corpus-notes §4 A and B).

Three source styles reach us and each breaks lines for a different reason, so the mode is detected per text:

* ``pdf``   – text extracted from a PDF: ~20 characters per line, a blank line after each, page numbers, and a
  trailing space that marks a real line end (the only reliable paragraph signal).
* ``md``    – Markdown converted from a PDF: one paragraph per line, except at page breaks, which cut
  sentences in two; ``#`` headings and ``**bold**`` carry no structure.
* ``plain`` – web text: one line = one paragraph, with Baidu-Baike remnants (播报, 编辑, ``[n]``).

Document boundaries are *not* decided here: a plain line may hold the end of one policy and the title of the
next; `ingest.documents` cuts such paragraphs.
"""

from __future__ import annotations

import re
from typing import Literal

from ingest.model import Paragraph

Mode = Literal["pdf", "md", "plain"]

# Form feed separates pages (as pdftotext writes it, and as `ingest.layout` renders a paged source).
PAGE_BREAK = "\f"

CN_NUM = "一二三四五六七八九十百零〇两"
# Paragraph-opening structure markers (§4 F). Anchored at the start so quoted or inline numbers do not count.
MARKER = re.compile(
    rf"^(?:第[{CN_NUM}]+[章节]"
    rf"|第[{CN_NUM}]+条(?:\s+|(?=[^\s之款项、，的规]))"
    r"|[一二三四五六七八九十]{1,3}、"
    r"|[（(][一二三四五六七八九十]{1,3}[）)]"
    r"|\d{1,2}(?:[．.](?!\d)|、)"
    r"|[（(]\d{1,2}[）)]"
    r"|——)"
)
# What policy titles end with, optionally followed by one bracketed qualifier such as （试行） or （2025～2027年）.
TITLE_SUFFIX = re.compile(
    r"(?:若干措施|若干政策措施|政策措施|若干政策|若干意见|若干政策意见|政策意见|实施意见|指导意见|工作意见|意见"
    r"|实施方案|工作方案|行动方案|方案|行动计划|工作计划|计划|工作要点|要点|管理办法|暂行办法|实施办法|办法"
    r"|实施细则|细则|规定|条例|决定|通知|创新行动\d{4})(?:（[^（）]*）)?$"
)
# How policy titles begin: a 关于 title, an issuing body or a place name, or a year.
TITLE_START = re.compile(
    r"^(?:关于|中共|中国|市政府|区政府|县政府|省政府|市委|区委|\d{4}年|[\u4e00-\u9fff]{2,6}?(?:省|市|区|县))"
)
PAGE_NUMBER = re.compile(r"^\s*[-—–－]\s*\d{1,3}\s*[-—–－]\s*$")
# A responsible-unit trailer standing alone on a line: it always belongs to the paragraph before it.
TRAILER_ONLY = re.compile(r"^[（(\[〔【].*(?:责任|牵头|负责).*[）)\]〕】]。?$")
TERMINAL = tuple("。；：！？）)]】〕”")
FOOTNOTE = re.compile(r"\s*\[\d{1,2}\]")
# A footnote marker right after a sentence end, with more text glued behind it: the text is a new paragraph.
FOOTNOTE_BREAK = re.compile(r"(?<=[。！？”）)])\s*\[\d{1,2}\]\s*")
BAIKE_NOISE = frozenset({"播报", "编辑"})

_CJK_SIDE = "\u4e00-\u9fff（），、；：“”。《》〔〕"
_CJK_ASCII_GAP = re.compile(rf"(?<=[{_CJK_SIDE}])\s+(?=[0-9A-Za-z%])|(?<=[0-9A-Za-z%])\s+(?=[{_CJK_SIDE}])")
_SPACES = re.compile(r"[ \t\u00a0\u2002\u2003\u2009\u3000]+")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s*")


def normalise_line(text: str) -> str:
    """Character normalisation (§4 A): bracket variants, odd spaces, spaces between CJK and ASCII."""
    text = text.replace("„", "〔").replace("‟", "〕")
    text = _SPACES.sub(" ", text)
    return _CJK_ASCII_GAP.sub("", text).strip()


def compact(text: str) -> str:
    """Text with all whitespace removed: Chinese titles and sentences compare equal regardless of wrapping."""
    return re.sub(r"\s+", "", text)


def is_marker(text: str) -> bool:
    return MARKER.match(text) is not None


def is_title_tail(text: str) -> bool:
    """A short line that can complete a title broken over two lines (e.g. ``若干措施``)."""
    flat = compact(text)
    return (
        0 < len(flat) <= 40
        and not any(c in flat for c in "。；：，！？")
        and not is_marker(flat)
        and TITLE_SUFFIX.search(flat) is not None
    )


def detect_mode(text: str) -> Mode:
    """Pick the reconstruction mode from the shape of the lines (§4 B)."""
    lines = text.split("\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if not nonblank:
        return "plain"
    md_lines = sum(1 for i in nonblank if re.match(r"\s*(?:#{1,6}\s|\*\*)", lines[i]))
    if md_lines and md_lines >= 0.01 * len(nonblank):
        return "md"
    short = sum(1 for i in nonblank if len(lines[i].strip()) <= 35)
    followed_by_blank = sum(1 for i in nonblank if i + 1 < len(lines) and not lines[i + 1].strip())
    if short > 0.6 * len(nonblank) and followed_by_blank > 0.5 * len(nonblank):
        return "pdf"
    return "plain"


def to_paragraphs(text: str) -> list[Paragraph]:
    """Normalised paragraphs of one file's text, each with its 1-based first source line (and page, if paged)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    mode = detect_mode(text)
    pages = page_of_lines(text)
    raw = [(n, line.replace(PAGE_BREAK, "")) for n, line in enumerate(text.split("\n"), start=1)]
    if mode == "pdf":
        paragraphs = _pdf_paragraphs(raw)
    elif mode == "md":
        paragraphs = _md_paragraphs(raw)
    else:
        paragraphs = _plain_paragraphs(raw)
    if PAGE_BREAK not in text:
        return [p for p in paragraphs if p.text]
    return [Paragraph(p.text, p.line, pages[p.line - 1]) for p in paragraphs if p.text]


def paragraphs_from_lines(lines: list[tuple[int, str, int | None]]) -> list[Paragraph]:
    """Paragraphs from lines already re-joined one paragraph each (`ingest.layout`): (source line, text, page).
    The plain-text rules still apply (footnote markers, a trailer line belongs to the paragraph before it)."""
    page = {number: p for number, _, p in lines}
    paragraphs = _plain_paragraphs([(number, text) for number, text, _ in lines])
    return [Paragraph(p.text, p.line, page[p.line]) for p in paragraphs if p.text]


def page_of_lines(text: str) -> list[int | None]:
    """The page of every line of `text` from its form feeds; None everywhere when it has none. A line's page
    counts the form feeds before it and those it starts with."""
    lines = text.split("\n")
    if PAGE_BREAK not in text:
        return [None] * len(lines)
    pages: list[int | None] = []
    seen = 0
    for line in lines:
        pages.append(1 + seen + len(line) - len(line.lstrip(PAGE_BREAK)))
        seen += line.count(PAGE_BREAK)
    return pages


def _clean(line: str) -> str:
    """Normalise one line and drop footnote markers that do not separate paragraphs."""
    return FOOTNOTE.sub("", normalise_line(line)).strip()


def _is_trailer_only(text: str) -> bool:
    """A responsible-unit trailer alone on its line (an ASCII ``(二十)…(责任单位：…)`` item is not one)."""
    return TRAILER_ONLY.match(text) is not None and not is_marker(text)


def _is_noise(line: str) -> bool:
    stripped = line.strip()
    return not stripped or PAGE_NUMBER.match(stripped) is not None or stripped in BAIKE_NOISE


class _Builder:
    """Accumulates paragraphs; `join` glues a line onto the open paragraph without a separator (CJK text)."""

    def __init__(self) -> None:
        self.paragraphs: list[Paragraph] = []

    @property
    def last(self) -> str | None:
        return self.paragraphs[-1].text if self.paragraphs else None

    def start(self, text: str, line: int) -> None:
        self.paragraphs.append(Paragraph(text, line))

    def join(self, text: str, line: int) -> None:
        if not self.paragraphs:
            self.start(text, line)
            return
        prev = self.paragraphs[-1]
        self.paragraphs[-1] = Paragraph(normalise_line(prev.text + text), prev.line)


def _plain_paragraphs(raw: list[tuple[int, str]]) -> list[Paragraph]:
    out = _Builder()
    for n, line in raw:
        if _is_noise(line):
            continue
        pieces = [_clean(p) for p in FOOTNOTE_BREAK.split(normalise_line(line))]
        for text in filter(None, pieces):
            if _is_trailer_only(text) and out.last is not None:
                out.join(text, n)
            else:
                out.start(text, n)
    return out.paragraphs


def _is_bare_short(text: str) -> bool:
    """Sign, date, 文号 and heading lines: short and without sentence punctuation, so never cut by a page."""
    return len(text) <= 30 and not any(c in text for c in "，。、；：")


def _md_paragraphs(raw: list[tuple[int, str]]) -> list[Paragraph]:
    out = _Builder()
    prev_closed = prev_heading = False  # the open paragraph takes no continuation (heading, hard break)
    for n, line in raw:
        if _is_noise(line):
            continue
        heading = _MD_HEADING.match(line) is not None
        text = _clean(_MD_HEADING.sub("", line).replace("**", ""))
        if not text:
            continue
        last = out.last
        if last is None or heading or is_marker(text):
            out.start(text, n)
        elif _is_trailer_only(text) and not prev_heading:
            out.join(text, n)
        elif prev_closed or last.endswith(TERMINAL) or _is_bare_short(last):
            out.start(text, n)
        else:
            out.join(text, n)
        # Markdown hard break (two trailing spaces) ends the line for good, as does a heading.
        prev_heading = heading
        prev_closed = heading or line.endswith("  ")
    return out.paragraphs


def _pdf_paragraphs(raw: list[tuple[int, str]]) -> list[Paragraph]:
    lines = [(n, _clean(line), line != line.rstrip()) for n, line in raw if not _is_noise(line)]
    lines = [entry for entry in lines if entry[1]]
    out = _Builder()
    prev_real_end = False  # the previous line ended with a space: the PDF's own line end
    for i, (n, text, real_end) in enumerate(lines):
        last = out.last
        if last is None or is_marker(text):
            out.start(text, n)
        elif _is_trailer_only(text):
            out.join(text, n)
        elif prev_real_end and _pdf_paragraph_ended(last, text, real_end):
            out.start(text, n)
        else:
            out.join(text, n)
        prev_real_end = real_end
    return out.paragraphs


def _pdf_paragraph_ended(last: str, text: str, real_end: bool) -> bool:
    """After a line with a trailing space: did the paragraph end there?

    Yes after terminal punctuation, or after a short heading-like line (title, sign, date, 文号) — unless the
    next line completes a title that was broken over two lines. A trailing space after a long line that stops
    mid-sentence is a known false signal and is ignored.
    """
    if _title_continues(last, text, real_end):
        return False
    if last.endswith(TERMINAL) or (len(last) <= 40 and "。" not in last):
        return True
    # A title that took two lines is long but complete once it ends in a title word.
    return not any(c in last for c in "。，；") and TITLE_SUFFIX.search(compact(last)) is not None


def _title_continues(last: str, text: str, real_end: bool) -> bool:
    """A title broken over two PDF lines: a short title start (may end in ”) and a short tail ending the title."""
    return (
        real_end
        and len(last) <= 40
        and TITLE_START.match(last) is not None
        and not any(c in last for c in "。；：，")
        and TITLE_SUFFIX.search(compact(last)) is None
        and is_title_tail(text)
    )
