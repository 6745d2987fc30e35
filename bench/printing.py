"""The bundled corpus as it would be printed: 公文 pages (GB/T 9704 in spirit) laid out from the plain text.

`print_pages` sets a file's paragraphs on A4 pages the way a 红头文件 is printed: the red banner and 文号 on the
first page, a running header, a page number in the file's own style, titles centred and broken into balanced
lines, body text wrapped at the margin, and the 抄送/印发 block at the end. It records on which page each
paragraph starts — the ground truth that the page numbers read back are checked against. The writers
(`write_pdf`, and the OFD writer in the OFD tests) only draw these pages; they decide nothing about layout.
"""

from __future__ import annotations

import math
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ingest.model import Paragraph

PAGE_W, PAGE_H = 210.0, 297.0  # mm, A4
LEFT, TOP = 28.0, 37.0
BODY_PT, TITLE_PT, BANNER_PT, HEADER_PT = 15.0, 18.0, 26.0, 10.0
CELLS = 28  # characters per body line
TITLE_CELLS = 20  # a title line holds at most this many
LINE_MM = 8.0
LINES_PER_PAGE = 28
BODY_BOTTOM = TOP + LINES_PER_PAGE * LINE_MM
RED = (230, 0, 18)
BLACK = (0, 0, 0)
PT_MM = 0.3528
RUNNING_HEADER = "苏州市人民政府规范性文件"
PAGE_STYLES = ("— {n} —", "- {n} -", "第{n}页 共{total}页", "{n}/{total}")
DISTRIBUTION = ("抄送：市委各部门，市人大常委会办公室，市政协办公室，市法院，市检察院。", "苏州市人民政府办公室 2024年3月5日印发")


@dataclass(frozen=True)
class Run:
    """One line of text drawn at (x, y) mm from the top-left corner, baseline at y."""

    text: str
    x: float
    y: float
    size: float
    color: tuple[int, int, int] = BLACK


@dataclass
class Page:
    runs: list[Run] = field(default_factory=list)
    rules: list[float] = field(default_factory=list)  # y of red horizontal rules (mm)


@dataclass
class Printed:
    """A file's pages and the page on which each of its source paragraphs starts (by source line)."""

    pages: list[Page]
    page_of_line: dict[int, int]


def cells(text: str) -> float:
    """Width in character cells of a Chinese font: ideographs, full-width forms, “” and — 1; ASCII ½."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


def wrap(text: str, limit: float, first_indent: float = 0.0) -> list[str]:
    """Break at the margin, character by character, as a typesetter breaks CJK text."""
    lines, current, used = [], "", first_indent
    for char in text:
        w = cells(char)
        if current and used + w > limit:
            lines.append(current)
            current, used = "", 0.0
        current += char
        used += w
    return lines + [current] if current else lines


def balanced(title: str) -> list[str]:
    """A long title in two or three lines of similar length (公文 titles are broken by the eye, not the margin)."""
    count = math.ceil(cells(title) / TITLE_CELLS)
    size = math.ceil(len(title) / count)
    return [title[i : i + size] for i in range(0, len(title), size)]


def _centred(text: str, size: float) -> float:
    return (PAGE_W - cells(text) * size * PT_MM) / 2


class _Typesetter:
    def __init__(self, doc_number: str | None, signer: str | None) -> None:
        self.pages: list[Page] = []
        self.y = 0.0
        self._new_page()
        if doc_number is None:
            return
        first = self.pages[0]
        first.runs.append(Run("苏州市人民政府文件", _centred("苏州市人民政府文件", BANNER_PT), 55.0, BANNER_PT, RED))
        first.runs.append(Run(doc_number, _centred(doc_number, BODY_PT), 80.0, BODY_PT))
        if signer:
            first.runs.append(Run(f"签发人：{signer}", 140.0, 88.0, BODY_PT))
        first.rules.append(92.0)
        self.y = 104.0

    def _new_page(self) -> None:
        self.pages.append(Page([Run(RUNNING_HEADER, _centred(RUNNING_HEADER, HEADER_PT), 22.0, HEADER_PT)]))
        self.y = TOP + LINE_MM

    def line(self, text: str, x: float, size: float = BODY_PT, color=BLACK) -> int:
        if self.y > BODY_BOTTOM:
            self._new_page()
        self.pages[-1].runs.append(Run(text, x, self.y, size, color))
        self.y += LINE_MM * (size / BODY_PT)
        return len(self.pages)

    def number_pages(self, style: str) -> None:
        total = len(self.pages)
        for n, page in enumerate(self.pages, start=1):
            label = style.format(n=n, total=total)
            page.runs.append(Run(label, _centred(label, 12.0), 285.0, 12.0))


def red_head_number(file_number: int) -> str:
    """The 文号 printed in the 红头 of the n-th file."""
    return f"苏府规字〔2024〕{file_number + 1}号"


def print_pages(paragraphs: list[Paragraph], titles: set[str], file_number: int, red_head: bool = True) -> Printed:
    """Lay out one file's paragraphs (its plain-text parse) on 公文 pages: with the 红头 block (banner, 文号,
    签发人 on every other file) and the 版记 at the end unless `red_head` is off."""
    number = red_head_number(file_number) if red_head else None
    setter = _Typesetter(number, "王明" if file_number % 2 else None)
    page_of_line: dict[int, int] = {}
    body_x = LEFT
    for paragraph in paragraphs:
        text = paragraph.text
        if text.replace(" ", "") in titles:
            lines = balanced(text)
            first = setter.line(lines[0], _centred(lines[0], TITLE_PT), TITLE_PT)
            for line in lines[1:]:
                setter.line(line, _centred(line, TITLE_PT), TITLE_PT)
        else:
            lines = wrap(text, CELLS, first_indent=2)
            first = setter.line(lines[0], body_x + 2 * BODY_PT * PT_MM)
            for line in lines[1:]:
                setter.line(line, body_x)
        page_of_line.setdefault(paragraph.line, first)
    if red_head:
        setter.y += LINE_MM
        setter.pages[-1].rules.append(setter.y - LINE_MM / 2)
        for line in DISTRIBUTION:
            setter.line(line, body_x)
    setter.number_pages(PAGE_STYLES[file_number % len(PAGE_STYLES)])
    return Printed(setter.pages, page_of_line)


def cjk_font() -> tuple[str, int]:
    """A CJK font from the system packages (.ci/run installs fonts-noto-cjk): (file, index in a collection)."""
    found = _font_match()
    path, _, index = found.rpartition(":")
    assert "CJK" in path, f"no CJK font installed (fonts-noto-cjk): fc-match gave {found!r}"
    return path, int(index or 0)


def missing_cjk_font() -> str | None:
    """Why documents cannot be printed here (no fontconfig, or no CJK font), or None when they can."""
    try:
        found = _font_match()
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"fontconfig unavailable ({exc})"
    return None if "CJK" in found.rpartition(":")[0] else "no CJK font installed (apt-get install fonts-noto-cjk)"


def _font_match() -> str:
    return subprocess.run(
        ["fc-match", "-f", "%{file}:%{index}", "Noto Sans CJK SC"], capture_output=True, text=True, check=True
    ).stdout


def write_pdf(pages: list[Page], out: Path) -> Path:
    """Draw the pages with fpdf2 and the system CJK font: a real text layer, as an office suite exports."""
    from fpdf import FPDF

    font, index = cjk_font()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", fname=font, collection_font_number=index)
    for page in pages:
        pdf.add_page()
        for y in page.rules:
            pdf.set_draw_color(*RED)
            pdf.set_line_width(0.8)
            pdf.line(LEFT - 2, y, PAGE_W - LEFT + 2, y)
        for run in page.runs:
            pdf.set_font("cjk", size=run.size)
            pdf.set_text_color(*run.color)
            pdf.text(run.x, run.y, run.text)
    pdf.output(str(out))
    return out


OFD_NS = "http://www.ofdspec.org/2016"


def write_ofd(pages: list[Page], out: Path) -> Path:
    """The minimal OFD package GB/T 33190 prescribes: OFD.xml → Doc_0/Document.xml (page area, public
    resources, page list) → one Content.xml per page, every line a TextObject in millimetres from the top-left
    corner, characters advanced one font size apart (half for ASCII)."""
    import zipfile
    from xml.sax.saxutils import escape

    def xml(body: str) -> str:
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "OFD.xml",
            xml(
                f'<ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo>'
                "<ofd:DocID>0C8D6F3A1B2E4F5A8B9C0D1E2F3A4B5C</ofd:DocID><ofd:Creator>tests</ofd:Creator>"
                "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
            ),
        )
        listed = "".join(
            f'<ofd:Page ID="{n + 1}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages))
        )
        package.writestr(
            "Doc_0/Document.xml",
            xml(
                f'<ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData><ofd:MaxUnitID>{10**6}</ofd:MaxUnitID>'
                f"<ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W} {PAGE_H}</ofd:PhysicalBox></ofd:PageArea>"
                "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
                f"<ofd:Pages>{listed}</ofd:Pages></ofd:Document>"
            ),
        )
        package.writestr(
            "Doc_0/PublicRes.xml",
            xml(
                f'<ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res"><ofd:Fonts>'
                '<ofd:Font ID="1" FontName="Noto Sans CJK SC" FamilyName="Noto Sans CJK SC"/></ofd:Fonts></ofd:Res>'
            ),
        )
        unit = 1000
        for n, page in enumerate(pages):
            objects = []
            for run in page.runs:
                unit += 1
                size = run.size * PT_MM
                advances = " ".join(f"{cells(c) * size:.2f}" for c in run.text[:-1])
                delta = f' DeltaX="{advances}"' if advances else ""
                objects.append(
                    f'<ofd:TextObject ID="{unit}" Boundary="{run.x:.2f} {run.y - size:.2f} {cells(run.text) * size:.2f}'
                    f' {size * 1.2:.2f}" Font="1" Size="{size:.2f}"><ofd:FillColor Value="{" ".join(map(str, run.color))}"/>'
                    f'<ofd:TextCode X="0" Y="{size:.2f}"{delta}>{escape(run.text)}</ofd:TextCode></ofd:TextObject>'
                )
            package.writestr(
                f"Doc_0/Pages/Page_{n}/Content.xml",
                xml(
                    f'<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="{n + 1}">{"".join(objects)}'
                    "</ofd:Layer></ofd:Content></ofd:Page>"
                ),
            )
    return out
