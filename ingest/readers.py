"""Files → text. The only ingest module that touches disk; everything after it is a pure function of text.

Every failure is a `ReadError` whose reason is readable by an administrator in Chinese and English, so an
upload screen can show it as is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from tqdm import tqdm

from ingest.layout import PageLine, Row, lay_out
from ingest.ocr import MIN_TEXT_CHARS, RENDER_SCALE, read_image

EMPTY = "文件为空 / empty file"
UNDECODABLE = "无法识别的编码 / undecodable"
BINARY = "二进制文件，不是文本 / binary file, not text"
CORRUPT_DOCX = "不是有效的 DOCX / corrupt docx"
CORRUPT_PDF = "不是有效的 PDF / corrupt pdf"
CORRUPT_OFD = "不是有效的 OFD / corrupt ofd"
CORRUPT_IMAGE = "不是有效的图片 / corrupt image"
NO_TEXT_LAYER = "PDF 无文本层（扫描件？）/ no text layer (scanned PDF?)"
NO_TEXT_FOUND = "图片中未识别出文字 / no text found in the image"
UNSUPPORTED = "不支持的文件类型 / unsupported type"
EXPANDS_TOO_FAR = "DOCX 解压后过大（疑似压缩炸弹）/ docx expands too far (zip bomb?)"
OFD_EXPANDS_TOO_FAR = "OFD 解压后过大（疑似压缩炸弹）/ ofd expands too far (zip bomb?)"
PDF_EXPANDS_TOO_FAR = "无法读取：PDF 解压后过大（疑似压缩炸弹）/ pdf streams expand too far (decompression bomb?)"

# A policy .docx (or .ofd) of several hundred pages expands to a few tens of MB of XML; far beyond is hostile.
MAX_DOCX_EXPANDED_BYTES = 64 * 1024 * 1024


class ReadError(Exception):
    """A file that cannot be turned into policy text."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass
class Source:
    """What a reader found in a file: its text, and for paged formats the pages and which were scans."""

    text: str
    pages: int | None = None  # printed pages (PDF, OFD, images); None for text formats
    scanned: list[int] = field(default_factory=list)  # pages without a text layer: OCR'd (or due, if not run)
    ocr_confidence: dict[int, float] = field(default_factory=dict)  # page → mean OCR confidence


def read_file(path: Path) -> str:
    """The text of a supported policy file; raises `ReadError` with a clear reason otherwise."""
    return read_source(path).text


def read_source(path: Path, ocr: bool = True) -> Source:
    """Text and page facts of a supported policy file; raises `ReadError` with a clear reason otherwise.

    With `ocr` off, scanned pages are counted but not read (seconds per page): a quick check, as an upload
    screen needs, that accepts a scan whose text the ingest will read later.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise ReadError(path, f"{UNSUPPORTED}: {suffix or '(无扩展名 / none)'}")
    data = path.read_bytes()
    if not data.strip():
        raise ReadError(path, EMPTY)
    found = reader(path, data, ocr)
    source = found if isinstance(found, Source) else Source(found)
    if not source.text.strip() and not (source.scanned and not ocr):
        raise ReadError(path, NO_TEXT_LAYER if suffix == ".pdf" else NO_TEXT_FOUND if source.scanned else EMPTY)
    return source


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK); refuse binary or garbage."""
    if b"\x00" in data:
        raise ReadError(path, BINARY)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not text.strip():
            raise ReadError(path, EMPTY)
        if _looks_like_text(text):
            return text
        raise ReadError(path, BINARY if encoding == "utf-8-sig" else UNDECODABLE)
    raise ReadError(path, UNDECODABLE)


# Characters a Chinese policy text is made of: CJK ideographs, CJK and full-width punctuation, ASCII, spaces.
_TEXT_CHARS = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u2000-\u206f\x20-\x7e\s《》“”‘’…·～<>〈〉]")


def _looks_like_text(text: str) -> bool:
    """Random bytes that happen to decode yield rare ideographs, private-use and control characters."""
    if not text:
        return False
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    usual = len(_TEXT_CHARS.findall(text))
    return controls / len(text) < 0.01 and usual / len(text) >= 0.9


def _read_text(path: Path, data: bytes, ocr: bool = True) -> str:
    return decode_text(path, data)


def _read_html(path: Path, data: bytes, ocr: bool = True) -> str:
    return _html_text(decode_text(path, data))


def _read_docx(path: Path, data: bytes, ocr: bool = True) -> str:
    import docx  # python-docx; imported here so text-only callers need not load it
    from docx.table import Table

    _check_zip_expansion(path, CORRUPT_DOCX, EXPANDS_TOO_FAR)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zip, XML and package errors alike
        raise ReadError(path, CORRUPT_DOCX) from exc
    lines: list[str] = []
    for block in document.iter_inner_content():  # paragraphs and tables in document order
        lines.extend(table_rows(_cells(block)) if isinstance(block, Table) else [block.text])
    return "\n".join(lines)


def _cells(table) -> list[list[str]]:
    """Cell texts per row; a merged cell (python-docx repeats it in every grid column it spans) counted once."""
    rows = []
    for row in table.rows:
        seen: list = []
        cells = []
        for cell in row.cells:
            if any(cell._tc is other for other in seen):
                continue
            seen.append(cell._tc)
            cells.append(" ".join(cell.text.split()))
        rows.append(cells)
    return rows


# A header row names its columns: every cell short, none a sentence.
HEADER_CELL_MAX = 12


def table_rows(rows: list[list[str]]) -> list[str]:
    """A table as lines of text, one per row, each cell named by its column (``序号：1；任务：…；责任单位：…``),
    so that a row read alone still says what its values are. Without a header row, cells are joined by ；."""
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    header = rows[0]
    named = len(rows) > 1 and all(0 < len(cell) <= HEADER_CELL_MAX and "。" not in cell for cell in header)
    if not named:
        return ["；".join(cell for cell in row if cell) for row in rows]
    return [
        "；".join(f"{name}：{cell}" if name else cell for name, cell in zip(header, row) if cell)
        if len(row) == len(header)
        else "；".join(cell for cell in row if cell)  # a row spanning the columns (a group title)
        for row in rows[1:]
    ]


def _check_zip_expansion(path: Path, corrupt: str, too_far: str) -> None:
    """Refuse a zip bomb (a .docx or .ofd is a zip of XML) before it is inflated into memory.

    The sizes a zip declares can lie, so the members are inflated as a stream, in bounded chunks, counting bytes
    and stopping at the cap: memory stays at one chunk whatever the archive claims.
    """
    import zipfile
    import zlib

    budget = MAX_DOCX_EXPANDED_BYTES
    try:
        with zipfile.ZipFile(path) as archive:
            if sum(info.file_size for info in archive.infolist()) > budget:
                raise ReadError(path, too_far)
            for info in archive.infolist():
                with archive.open(info) as member:
                    while chunk := member.read(1 << 20):
                        budget -= len(chunk)
                        if budget < 0:
                            raise ReadError(path, too_far)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise ReadError(path, corrupt) from exc


def _read_pdf(path: Path, data: bytes, ocr: bool = True) -> Source:
    """The text layer, page by page, through the layout clean-up (`ingest.layout`): running headers, footers
    and page numbers dropped, lines re-joined into paragraphs, pages marked.

    PDFium reads the text layer: it decodes the CID fonts of Chinese PDFs cleanly (pypdf interleaves NULs with
    the characters of some writers' fonts) and renders pages for OCR with the same library.
    """
    import pypdfium2 as pdfium

    _check_pdf_expansion(path, data)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ReadError(path, CORRUPT_PDF) from exc
    pages: list[list[PageLine]] = []
    scanned: list[int] = []
    confidence: dict[int, float] = {}
    # OCR takes seconds a page: a progress bar per page on a terminal (silent elsewhere).
    bar = tqdm(total=len(pdf), desc=f"读取 {path.name}", unit="页", leave=False, disable=None, delay=2)
    try:
        for number, page in enumerate(pdf, start=1):
            lines = _page_lines(page)
            if sum(len(line.text) for line in lines) < MIN_TEXT_CHARS:
                scanned.append(number)
                if ocr:
                    bar.set_postfix_str("OCR")
                    lines, confidence[number] = read_image(page.render(scale=RENDER_SCALE).to_pil(), RENDER_SCALE)
            pages.append(lines)
            page.close()
            bar.update()
    finally:
        bar.close()
        pdf.close()
    return Source(lay_out(_indented(pages)), len(pages), scanned, confidence)


_PDF_STREAM = re.compile(rb"stream\r?\n")


def _check_pdf_expansion(path: Path, data: bytes) -> None:
    """Refuse a PDF whose compressed streams inflate past MAX_DOCX_EXPANDED_BYTES (a decompression bomb) before
    PDFium inflates them: each stream is inflated in bounded steps, counting bytes, stopping at the cap."""
    import zlib

    budget = MAX_DOCX_EXPANDED_BYTES
    for match in _PDF_STREAM.finditer(data):
        inflater = zlib.decompressobj()
        pending = data[match.end() : match.end() + (1 << 20)]
        offset = match.end() + len(pending)
        try:
            while pending and not inflater.eof:
                budget -= len(inflater.decompress(pending, 1 << 20))
                if budget < 0:
                    raise ReadError(path, PDF_EXPANDS_TOO_FAR)
                pending = inflater.unconsumed_tail
                if not pending:
                    pending, offset = data[offset : offset + (1 << 20)], offset + (1 << 20)
        except zlib.error:
            continue  # not a Flate stream (or not a stream at all): PDFium judges it


def _page_lines(page) -> list[PageLine]:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range().replace("\x00", " ")  # keep \r\n: positions index PDFium's characters
        lines: list[PageLine] = []
        start = 0
        for line in text.split("\n"):
            lead = len(line) - len(line.lstrip())
            if line.strip():
                left, _, right, _ = textpage.get_charbox(start + lead, loose=True)
                cells = _table_cells(textpage, line.rstrip(), start)
                lines.append(PageLine(line.strip(), left, right - left, cells))
            start += len(line) + 1
    finally:
        textpage.close()
    return _tables(lines)


# Table cells stand apart by more than this many character widths; words in running text never do.
CELL_GAP = 1.5


def _table_cells(textpage, line: str, start: int) -> tuple[str, ...]:
    """The line cut at its wide gaps (PDFium marks a gap with a generated space): a table row's cells, or ()."""
    import pypdfium2.raw as pdfium_c

    cuts = []
    for i, char in enumerate(line):
        if char != " " or i == 0 or i + 1 >= len(line) or line[i - 1] == " " or line[i + 1] == " ":
            continue
        before = textpage.get_charbox(start + i - 1, loose=True)
        after = textpage.get_charbox(start + i + 1, loose=True)
        size = pdfium_c.FPDFText_GetFontSize(textpage.raw, start + i - 1) or 1.0
        if after[0] - before[2] > CELL_GAP * size:
            cuts.append(i)
    if not cuts:
        return ()
    bounds = [0, *cuts, len(line)]
    return tuple(line[a:b].strip() for a, b in zip(bounds, bounds[1:]) if line[a:b].strip())


def _tables(lines: list[PageLine]) -> list[PageLine]:
    """Runs of two or more table rows become lines of named cells (`table_rows`), one per row."""
    out: list[PageLine] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(lines[j].cells) >= 2:
            j += 1
        if j - i >= 2:
            rows = table_rows([list(line.cells) for line in lines[i:j]])
            out.extend(PageLine(Row(row), lines[i].left, lines[i].cell) for row in rows)
            i = j
        else:
            out.append(lines[i])
            i += 1
    return out


def _indented(pages: list[list[PageLine]]) -> list[list[str]]:
    """Every line prefixed with its indent from the document's left margin in ideographic spaces (U+3000, one
    per character cell): 公文 indent a paragraph's first line by two characters and centre titles, and
    `ingest.layout` reads paragraph starts from that. The margin is where most lines start, the cell the
    usual width of a wide character."""
    lines = [line for page in pages for line in page]
    wide = sorted(line.cell for line in lines if unicodedata.east_asian_width(line.text[0]) in "WF")
    if not wide:
        return [[line.text for line in page] for page in pages]  # Row lines stay Row
    cell = wide[len(wide) // 2]
    lefts = [round(line.left / cell, 1) for line in lines]  # tenths of a cell: one bucket per start position
    margin = max(set(lefts), key=lefts.count) * cell

    def indented(line: PageLine) -> str:
        text = "\u3000" * max(0, round((line.left - margin) / cell)) + line.text
        return Row(text) if isinstance(line.text, Row) else text

    return [[indented(line) for line in page] for page in pages]


def _read_image(path: Path, data: bytes, ocr: bool = True) -> Source:
    """A scanned page (or a multi-page TIFF) read by OCR."""
    import io

    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ReadError(path, CORRUPT_IMAGE) from exc
    scanned = list(range(1, len(frames) + 1))
    if not ocr:
        return Source("", len(frames), scanned)
    pages, confidence = [], {}
    for number, frame in enumerate(frames, start=1):
        lines, confidence[number] = read_image(frame)
        pages.append(lines)
    return Source(lay_out(_indented(pages)), len(frames), scanned, confidence)


def _read_ofd(path: Path, data: bytes, ocr: bool = True) -> Source:
    """OFD (GB/T 33190, the national e-document format): a zip of XML pages, read directly; the same layout
    clean-up as a PDF follows."""
    from ingest.ofd import OfdError, page_lines

    _check_zip_expansion(path, CORRUPT_OFD, OFD_EXPANDS_TOO_FAR)
    try:
        pages = page_lines(data)
    except OfdError as exc:
        raise ReadError(path, f"{CORRUPT_OFD}: {exc}") from exc
    return Source(lay_out(_indented([_tables(page) for page in pages])), len(pages))


_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr table section article header footer blockquote pre dd dt".split()
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = [""]
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.blocks.append("")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.blocks[-1] += re.sub(r"\s+", " ", data)


def _html_text(html: str) -> str:
    """One block element per line; script, style and head dropped."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "\n".join(block.strip() for block in parser.blocks if block.strip())


# One reader per file type: a new format is one function and one line here. Everything that lists the accepted
# types (the folder scan, the CLI help, the upload widget) derives it from this table.
Reader = Callable[[Path, bytes, bool], "str | Source"]  # (path, bytes, run OCR?) → text
READERS: dict[str, Reader] = {
    ".txt": _read_text,
    ".md": _read_text,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".ofd": _read_ofd,
    ".png": _read_image,
    ".jpg": _read_image,
    ".jpeg": _read_image,
    ".tif": _read_image,
    ".tiff": _read_image,
    ".html": _read_html,
    ".htm": _read_html,
}
SUPPORTED_SUFFIXES = frozenset(READERS)


def suffix_list(separator: str = " ") -> str:
    """The accepted suffixes for people to read (help texts, upload labels), in the table's order."""
    return separator.join(READERS)
