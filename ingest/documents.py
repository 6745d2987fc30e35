"""Paragraphs → policy Documents: boundaries, parts and metadata (corpus-notes §4 C, D, E).

Files concatenate policies with no separator: a new title, a 主送 line or a first heading is often glued onto
the last sentence of the previous policy. `split_documents` finds those boundaries (cutting a paragraph in two
where needed), attaches transmittal notices to the policy they transmit, classifies each stretch of a document
into parts and reads its metadata. `merge_duplicates` keeps one copy of a policy that appears twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.docnumber import DOC_NUMBER
from domain.jurisdiction import CITY, COUNTY_CITIES, DISTRICTS
from domain.numerals import cn_to_int
from ingest.model import Document, DocKind, Paragraph, Part, PartKind
from ingest.paragraphs import (
    CN_NUM,
    PAGE_NUMBER,
    TITLE_START,
    TITLE_SUFFIX,
    compact,
    is_marker,
    is_title_tail,
    paragraphs_from_lines,
    to_paragraphs,
)
from ingest.layout import clean_text, looks_laid_out

# --- shapes of paragraphs -------------------------------------------------------------------------------
# 主送 (recipients) line: "各市、区人民政府，苏州工业园区…；市各委办局，各直属单位："
SALUTATION = re.compile(r"^各[^。：]{2,150}?(?:人民政府|政府|管委会|委办局|有关部门|直属单位|有关单位)[^。：]*：$")
ANNEX = re.compile(r"^附件\s*\d*\s*[：:]")
# The bare 附件 label a 红头 notice prints above the annexed policy's title.
ANNEX_LABEL = re.compile(r"^附件\s*\d*$")
DATE_LINE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
PUBLIC_NOTE = re.compile(r"^[（(]此件公开发布[）)]$")
LETTERHEAD = re.compile(r"^[^。，：]{2,20}文件$")
DOC_NUMBER_LINE = re.compile(rf"^(?:{DOC_NUMBER.pattern})$")
NOTICE_TITLE = re.compile(r"^[^。，]{0,80}(?:印发|转发|公布)[^。，]{0,80}通知$")
HEADER_NOTE = re.compile(r"^[（(]\d{4}年\d{1,2}月\d{1,2}日.*(?:发布|公布|施行|修正|修订)[^）)]*[）)]$")
ORG_LINE = re.compile(r"^[\u4e00-\u9fff]{2,30}(?:人民政府|政府|办公室|办公厅|委员会|市委|区委|县委|党委|局|委)$")
ARTICLE = re.compile(rf"^第[{CN_NUM}]+条(?:\s+|(?=[^\s之款项、，的规]))")
# A closing sentence (施行/有效期…) with the next policy's first heading glued behind it.
# The 红头 block above a title (letterhead banner, 文号, 签发人) and the labelled lines a portal or a typist puts
# under it (文号：… 发文机关：… 发布日期：…): they describe the document and are never clause text.
SIGNER_LINE = re.compile(r"^签发人[：:]")
META_LINE = re.compile(r"^(?:文号|发文字号|发文机关|发布机关|制发机关|发文单位|成文日期|发布日期|印发日期|施行日期|生效日期|实施日期)[：:]")
META_ISSUER = re.compile(r"^(?:发文机关|发布机关|制发机关|发文单位)[：:]\s*(.+)$")
META_EFFECTIVE = re.compile(r"^(?:施行日期|生效日期|实施日期)[：:]\s*(\d{4})年(\d{1,2})月(\d{1,2})日")
# The 版记 at the end of a 红头文件: 抄送 list and the 印发 line (issuing office and print date, not the issue date).
DISTRIBUTION_LINE = re.compile(r"^(?:抄送|抄报|主题词)[：:]|^[^。，]{2,30}\d{4}年\d{1,2}月\d{1,2}日印发$")
GLUED_HEADING = re.compile(r"。\s*(?=一、|第一章|第一条)")
CLOSING_WORDS = re.compile(r"施行|实施|有效期")

# --- metadata patterns ----------------------------------------------------------------------------------
# Words that precede a 文号 in running text but are not part of its issuer prefix (废止苏府规字〔2020〕4号).
_NOT_PREFIX = re.compile(r"^.*(?:废止|按照|对照|根据|依据|参照|印发|转发|按|和|及|与|见|即|的|了|在|由|为|是)")
ORDER_NUMBER = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日([\u4e00-\u9fff]{2,12}?令第\d+号)")
DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
EFFECTIVE = re.compile(r"自(\d{4})年(\d{1,2})月(\d{1,2})日起(?:施行|实施|执行)")
EFFECTIVE_ON_ISSUE = re.compile(r"自(?:印发|发布|公布)之日起(?:施行|实施|执行)")
VALID_UNTIL = re.compile(r"有效期(?:至|为)至?(\d{4})年(\d{1,2})月(\d{1,2})日|至(\d{4})年(\d{1,2})月(\d{1,2})日止")
VALID_YEAR_END = re.compile(r"有效期至(\d{4})年底")
VALID_YEARS = re.compile(r"有效期(?:为)?([一二三四五六七八九十\d]{1,2})年")
INTERPRETED_BY = re.compile(r"由([\u4e00-\u9fff]{2,20}?)负责解释")
NOTICE_SUBJECT = re.compile(r"^《([^》]+)》[^。]{0,60}?审议通过|现将《([^》]+)》(?:予以)?(?:印发|公布)")
NAMED_IN_NOTICE = re.compile(r"(?:印发实施|发布了)《([^》]+)》")
TITLE_IN_PREAMBLE = re.compile(r"特制定(?!本|以下|如下)([^。，；（]+)")
PUBLISHED_LIST = re.compile(r"现将《([^》]+)》(?:予以)?公布")
SHORT_NAME = re.compile(r"特制定以下([\u4e00-\u9fff]{1,6})（简称([^）]+)）")
ALIAS = re.compile(r"简称[：:]?([^）)，。；]+)[）)]")
ALIAS_WORDS = re.compile(r"意见|措施|办法|方案|计划|政策|条|要点|决定|通知|规定")


_OPEN_BRACKETS = str.maketrans({c: "(" for c in "（(〔[【〈<„"} | {c: ")" for c in "）)〕]】〉>‟"})


@dataclass
class _Segment:
    """A stretch of paragraphs that makes one document, before parts and metadata are read."""

    title: list[Paragraph]
    paragraphs: list[Paragraph] = field(default_factory=list)
    notice_before: list[Paragraph] = field(default_factory=list)  # a transmittal notice attached in front
    front: list[Paragraph] = field(default_factory=list)  # a 红头 block (banner, 文号, 签发人) above the title
    notice_after: list[Paragraph] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.title or self.paragraphs)

    def is_letterhead_only(self) -> bool:
        """Only a 红头 block: it belongs above the title that follows it."""
        return not self.title and bool(self.paragraphs) and all(_is_letterhead(p.text) for p in self.paragraphs)


# --- public API -----------------------------------------------------------------------------------------


def parse_text(file_name: str, text: str, ocr_confidence: dict[int, float] | None = None) -> list[Document]:
    """One file's text → its documents. Text laid out like a PDF page (hard-wrapped, page numbers, running
    headers) is cleaned up first; clean text goes straight to the paragraph rules. `ocr_confidence` (page →
    mean confidence, from `ingest.readers.Source`) is kept on the documents for their clauses."""
    if looks_laid_out(text):
        paragraphs = paragraphs_from_lines([(line.number, line.text, line.page) for line in clean_text(text)])
    else:
        paragraphs = to_paragraphs(text)
    documents = split_documents(file_name, paragraphs)
    for doc in documents:
        doc.ocr_confidence = dict(ocr_confidence or {})
    return documents


def split_documents(file_name: str, paragraphs: list[Paragraph]) -> list[Document]:
    """Split one file's paragraphs into documents, each with parts and metadata."""
    segments = _attach_notices(_segments(paragraphs))
    return [_document(file_name, seg) for seg in segments if not seg.is_empty()]


def merge_duplicates(docs: list[Document]) -> list[Document]:
    """Keep one copy of every document whose normalised body is repeated (in one file or across files).

    The kept copy carries the union of the copies' metadata and parts (notice, 题注, 解读 …), so a notice that
    only one copy has (F003's 文号, D12's 印发 notice) is not lost.
    """
    groups: dict[str, list[Document]] = {}
    for doc in docs:
        groups.setdefault(body_key(doc), []).append(doc)
    return [copies[0] if len(copies) == 1 else _union(copies) for copies in groups.values()]


def body_key(doc: Document) -> str:
    """Hash of the normalised body: whitespace, page numbers and [n] removed, bracket shapes unified."""
    paragraphs = doc.paragraphs("body") or doc.paragraphs(*_ALL_KINDS)
    text = "".join(p.text for p in paragraphs if not PAGE_NUMBER.match(p.text))
    text = compact(re.sub(r"\[\d{1,2}\]", "", text)).translate(_OPEN_BRACKETS)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def doc_id_for(title: str) -> str:
    """Stable id: the same title gives the same id on every ingest, whichever file it came from."""
    return hashlib.sha1(_title_key(title).encode("utf-8")).hexdigest()[:12]


_ALL_KINDS: tuple[PartKind, ...] = ("notice", "salutation", "header_note", "body", "sign", "interpretation", "annex_ref")

# --- boundaries ------------------------------------------------------------------------------------------


def _title_key(title: str) -> str:
    return compact(title).translate(_OPEN_BRACKETS)


def _is_title(text: str) -> bool:
    flat = compact(text)
    return (
        6 <= len(flat) <= 80
        and not any(c in flat for c in "。；：，！？")
        and not is_marker(flat)
        and TITLE_START.match(flat) is not None
        and TITLE_SUFFIX.search(flat) is not None
    )


def _title_span(text: str, nxt: Paragraph | None) -> int:
    """How many paragraphs (counting `text` as one) form a title starting at `text`: 0, 1 or 2."""
    if _is_title(text):
        return 1
    flat = compact(text)
    if ANNEX_LABEL.match(flat) or _is_letterhead(flat):
        return 0
    if (
        nxt is not None
        and not any(c in flat for c in "。；：，！？")
        and TITLE_SUFFIX.search(flat) is None
        and is_title_tail(nxt.text)
        and _is_title(flat + nxt.text)
    ):
        return 2
    return 0


def _is_letterhead(text: str) -> bool:
    if len(text) > 40:  # cheap test first: this runs on every paragraph
        return False
    flat = compact(text)
    return bool(LETTERHEAD.match(flat) or DOC_NUMBER_LINE.match(flat) or SIGNER_LINE.match(flat))


def _closes_document(prev: str | None) -> bool:
    """Can a document end with this paragraph (or a 红头 block end with it), so that a title may follow?"""
    return (
        prev is None
        or prev.endswith(("。", "。”"))
        or ANNEX.match(prev) is not None
        or PUBLIC_NOTE.match(prev) is not None
        or DATE_LINE.match(prev) is not None
        or ANNEX_LABEL.match(prev) is not None
        or _is_letterhead(prev)
    )


def _glued_boundary(text: str, nxt: Paragraph | None) -> tuple[str, str, str, int] | None:
    """A new document glued inside `text`: (head, kind, tail, paragraphs of `nxt` consumed) or None.

    kind is "title" (a title after the last sentence or after an annex label), "salutation" (an untitled
    document opening with its 主送 line) or "heading" (an untitled document opening with ``一、``).
    """
    if ANNEX.match(text):
        for m in re.finditer(r"表|清单", text):
            span = _title_span(text[m.end() :], nxt)
            if span:
                return text[: m.end()], "title", text[m.end() :], span - 1
    end = text.rfind("。")
    if 0 <= end < len(text) - 1:
        head, tail = text[: end + 1], text[end + 1 :].strip()
        span = _title_span(tail, nxt)
        if span:
            return head, "title", tail, span - 1
        if SALUTATION.match(tail):
            return head, "salutation", tail, 0
    for m in GLUED_HEADING.finditer(text):
        sentence = text[: m.start()].rsplit("。", 1)[-1]
        if CLOSING_WORDS.search(sentence):
            return text[: m.start() + 1], "heading", text[m.end() :], 0
    return None


def _segments(paragraphs: list[Paragraph]) -> list[_Segment]:
    """Cut the paragraph stream at document boundaries (§4 C)."""
    segments = [_Segment(title=[])]
    prev: str | None = None

    def start(title: list[Paragraph], first: list[Paragraph]) -> None:
        if segments[-1].is_empty():
            segments.pop()
        segments.append(_Segment(title=title, paragraphs=first))

    i = 0
    while i < len(paragraphs):
        p = paragraphs[i]
        nxt = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
        span = _title_span(p.text, nxt) if _closes_document(prev) else 0
        if span:
            start(paragraphs[i : i + span], [])
            prev, i = paragraphs[i + span - 1].text, i + span
            continue
        if prev is not None and prev.endswith(("。", "]")) and SALUTATION.match(p.text):
            start([], [p])
            prev, i = p.text, i + 1
            continue
        glued = _glued_boundary(p.text, nxt)
        if glued is None:
            segments[-1].paragraphs.append(p)
            prev, i = p.text, i + 1
            continue
        head, kind, tail, consumed = glued
        segments[-1].paragraphs.append(Paragraph(head, p.line, p.page))
        tail_paragraph = Paragraph(tail, p.line, p.page)
        if kind == "title":
            start([tail_paragraph, *paragraphs[i + 1 : i + 1 + consumed]], [])
        else:
            start([], [tail_paragraph])
        prev = paragraphs[i + consumed].text if consumed else tail
        i += 1 + consumed
    return [seg for seg in segments if not seg.is_empty()]


def _notice_subject(seg: _Segment) -> str | None:
    """The title a transmittal-notice-only segment transmits, or None if the segment is more than a notice."""
    if len(seg.paragraphs) > 12 or any(is_marker(p.text) for p in seg.paragraphs):
        return None
    if seg.title and not NOTICE_TITLE.match(compact("".join(p.text for p in seg.title))):
        return None
    for p in seg.paragraphs:
        m = NOTICE_SUBJECT.search(p.text)
        if m:
            return m.group(1) or m.group(2)
    return None


def _attach_letterheads(segments: list[_Segment]) -> list[_Segment]:
    """Fold a segment that is only a 红头 block into the document whose title follows it."""
    out: list[_Segment] = []
    pending: list[Paragraph] = []
    for seg in segments:
        if seg.is_letterhead_only():
            pending.extend(seg.paragraphs)
            continue
        seg.front, pending = pending + seg.front, []
        out.append(seg)
    if pending:  # a banner with nothing after it stays what it was
        out.append(_Segment(title=[], paragraphs=pending))
    return out


def _attach_notices(segments: list[_Segment]) -> list[_Segment]:
    """Fold a segment that is only a 印发 notice into the neighbouring document it transmits."""
    out: list[_Segment] = []
    segments = _attach_letterheads(segments)
    for i, seg in enumerate(segments):
        subject = _notice_subject(seg)
        if subject is not None:
            key = _title_key(subject)
            notice = seg.front + seg.title + seg.paragraphs
            nxt = segments[i + 1] if i + 1 < len(segments) else None
            if nxt is not None and _segment_title_key(nxt) == key:
                nxt.notice_before = notice + nxt.notice_before
                continue
            if out and _segment_title_key(out[-1]) == key:
                out[-1].notice_after.extend(notice)
                continue
        out.append(seg)
    return out


def _segment_title_key(seg: _Segment) -> str | None:
    return _title_key("".join(p.text for p in seg.title)) if seg.title else None


# --- parts -----------------------------------------------------------------------------------------------


def _starts_notice(text: str) -> bool:
    flat = compact(text)
    return bool(LETTERHEAD.match(flat) or DOC_NUMBER_LINE.match(flat) or NOTICE_TITLE.match(flat))


def _is_front_matter(text: str) -> bool:
    """A line under a title that describes the document: its 文号, 发文机关, date, 签发人 (labelled or bare)."""
    flat = compact(text)
    return bool(
        DOC_NUMBER_LINE.match(flat)
        or SIGNER_LINE.match(flat)
        or META_LINE.match(flat)
        or ORG_LINE.match(flat)
        or DATE_LINE.match(flat)
    )


def _classify(paragraphs: list[Paragraph], titled: bool = False) -> list[PartKind]:
    """One part kind per paragraph (§4 D). In a titled document, the 文号/发文机关/date lines between the title
    and the first body paragraph are its front matter (a 题注, read for metadata), not a notice."""
    kinds: list[PartKind] = []
    state: PartKind | None = None
    body_seen = False
    for i, p in enumerate(paragraphs):
        text = p.text
        following = paragraphs[i + 1].text if i + 1 < len(paragraphs) else ""
        kind: PartKind
        if titled and state is None and not body_seen and "salutation" not in kinds and _is_front_matter(text):
            kind = "header_note"
        elif body_seen and DISTRIBUTION_LINE.match(text):
            kind = "sign"
        elif state == "interpretation" or text == "解读" or "现将政策解读如下" in text:
            kind = state = "interpretation"
        elif state == "notice" or _starts_notice(text):
            kind = state = "notice"
            # The notice runs to （此件公开发布）, or to its date line when that note is absent.
            if PUBLIC_NOTE.match(text) or (DATE_LINE.match(text) and not PUBLIC_NOTE.match(following)):
                state = None
        elif HEADER_NOTE.match(text):
            kind = "header_note"
        elif ANNEX.match(text):
            kind = "annex_ref"
        elif SALUTATION.match(text) and not body_seen:
            kind = "salutation"
        elif DATE_LINE.match(text) or PUBLIC_NOTE.match(text):
            kind = "sign"
            # The signing body's lines just above the date belong to the sign block too.
            j = len(kinds) - 1
            while j >= 0 and kinds[j] == "body" and ORG_LINE.match(paragraphs[j].text) and len(kinds) - j <= 2:
                kinds[j] = "sign"
                j -= 1
        else:
            kind = "body"
            body_seen = True
        kinds.append(kind)
    return kinds


def _parts(seg: _Segment) -> list[Part]:
    parts: list[Part] = []
    if seg.front:
        parts.append(Part("header_note", list(seg.front)))
    if seg.notice_before:
        parts.append(Part("notice", list(seg.notice_before)))
    for p, kind in zip(seg.paragraphs, _classify(seg.paragraphs, titled=bool(seg.title))):
        if parts and parts[-1].kind == kind:
            parts[-1].paragraphs.append(p)
        else:
            parts.append(Part(kind, [p]))
    if seg.notice_after:
        parts.append(Part("notice", list(seg.notice_after)))
    return parts


# --- metadata --------------------------------------------------------------------------------------------


def _document(file_name: str, seg: _Segment) -> Document:
    parts = _parts(seg)
    if seg.title:
        title, inferred = compact("".join(p.text for p in seg.title)), False
    else:
        title, inferred = _infer_title(parts), True
    lines = [p.line for p in seg.front + seg.title + seg.notice_before + seg.paragraphs]
    return _describe(title, inferred, parts, [file_name], min(lines))


def _describe(title: str, inferred: bool, parts: list[Part], source_files: list[str], start_line: int) -> Document:
    """Build a Document and read all its metadata from its parts."""
    doc = Document(
        doc_id=doc_id_for(title),
        title=title,
        title_inferred=inferred,
        source_files=source_files,
        parts=parts,
        start_line=start_line,
    )
    doc.doc_number = _own_number(doc)
    doc.references = _references(doc, doc.doc_number)
    doc.issuer = _issuer(doc)
    doc.issue_date, doc.effective_date, doc.valid_until = _dates(doc)
    doc.scheme = "article" if sum(1 for p in doc.paragraphs("body") if ARTICLE.match(p.text)) >= 3 else "outline"
    doc.kind = _kind(title, doc.scheme)
    doc.jurisdiction = _jurisdiction(doc)
    doc.aliases = _aliases(doc)
    doc.annexes_missing = [ANNEX.sub("", p.text).strip() for p in doc.paragraphs("annex_ref")]
    return doc


def _infer_title(parts: list[Part]) -> str:
    """Title of an untitled document, from its notice or 解读, or from its preamble (§4 C.2)."""
    by_kind = {kind: [p.text for part in parts if part.kind == kind for p in part.paragraphs] for kind in _ALL_KINDS}
    for text in by_kind["notice"] + by_kind["interpretation"]:
        m = NAMED_IN_NOTICE.search(text) or NOTICE_SUBJECT.search(text)
        if m:
            return compact(next(g for g in m.groups() if g))
    for text in by_kind["body"][:5]:
        m = TITLE_IN_PREAMBLE.search(text)
        if m and TITLE_SUFFIX.search(compact(m.group(1))):
            return compact(m.group(1))
        m = PUBLISHED_LIST.search(text)
        if m:
            return f"关于公布《{m.group(1)}》的通知"
        m = SHORT_NAME.search(text)
        if m:
            return _title_from_short_name(m.group(1), m.group(2))
    first = (by_kind["body"] or by_kind["salutation"] or ["未命名文件"])[0]
    return re.split(r"[。，；：]", first)[0][:30]


def _title_from_short_name(kind_word: str, short_name: str) -> str:
    """``特制定以下政策意见（简称支持外贸企业稳定发展苏“惠外”新八条）`` → conventional 关于…的若干… title."""
    m = re.match(r"^(.+?)([\u4e00-\u9fff]?“.+)$", short_name)
    topic, nickname = (m.group(1), m.group(2)) if m else (short_name, "")
    if kind_word in ("意见", "政策意见", "措施", "政策措施", "政策"):
        kind_word = "若干" + kind_word
    return f"关于{topic}的{kind_word}" + (f"（{nickname}）" if nickname else "")


def _clean_number(m: re.Match) -> str:
    prefix = _NOT_PREFIX.sub("", m.group(1))
    return f"{prefix}〔{m.group(2)}〕{m.group(3)}号"


def _own_number(doc: Document) -> str | None:
    """This document's own 文号: the first one in its notice; else the promulgation order in its 题注."""
    for p in doc.paragraphs("notice"):
        m = DOC_NUMBER.search(p.text)
        if m and m.group(1):
            return _clean_number(m)
    for p in doc.paragraphs("header_note"):
        m = DOC_NUMBER.search(p.text)
        if m and m.group(1) and (DOC_NUMBER_LINE.match(compact(p.text)) or META_LINE.match(compact(p.text))):
            return _clean_number(m)
    for p in doc.paragraphs("header_note"):
        m = ORDER_NUMBER.search(p.text)
        if m:
            return m.group(1)
    return None


def _references(doc: Document, own: str | None) -> list[str]:
    found: list[str] = []
    for p in doc.paragraphs(*_ALL_KINDS):
        for m in DOC_NUMBER.finditer(p.text):
            number = _clean_number(m)
            if number != own and number not in found and not number.startswith("〔"):
                found.append(number)
    return found


def _issuer(doc: Document) -> str | None:
    for kinds in (("sign",), ("notice",)):
        paragraphs = doc.paragraphs(*kinds)
        orgs = [p.text for i, p in enumerate(paragraphs) if ORG_LINE.match(p.text) and _before_date(paragraphs, i)]
        if orgs:
            return "、".join(dict.fromkeys(orgs))
    for p in doc.paragraphs("header_note"):
        flat = compact(p.text)
        m = META_ISSUER.match(flat) or re.search(r"日([\u4e00-\u9fff]{2,12}?)令第", flat)
        if m:
            return m.group(1)
        if ORG_LINE.match(flat):
            return flat
        if LETTERHEAD.match(flat) and ORG_LINE.match(flat[: -len("文件")]):
            return flat[: -len("文件")]
    for p in doc.paragraphs("body"):
        for m in INTERPRETED_BY.finditer(p.text):
            if m.group(1).endswith(("人民政府", "人民政府办公室", "人民政府办公厅")):
                return m.group(1)
    return None


def _before_date(paragraphs: list[Paragraph], i: int) -> bool:
    """Is paragraph i one of the (at most two) signing-body lines directly above a date line?"""
    for j in range(i + 1, min(i + 3, len(paragraphs))):
        if DATE_LINE.match(paragraphs[j].text):
            return True
        if not ORG_LINE.match(paragraphs[j].text):
            return False
    return False


def _iso(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _closing(doc: Document) -> list[str]:
    """The paragraphs where a document states its own dates: from its last numbered item, at most 3."""
    body = [p.text for p in doc.paragraphs("body")]
    last_marker = max((i for i, text in enumerate(body) if is_marker(text)), default=max(len(body) - 2, 0))
    return body[max(last_marker, len(body) - 3) :]


def _dates(doc: Document) -> tuple[str | None, str | None, str | None]:
    """(issue, effective, valid_until) from the sign/notice, the 题注 and the closing only (never the body,
    whose lists of other regulations carry their own dates)."""
    issue = None
    for p in doc.paragraphs("sign", "notice"):
        m = DATE_LINE.match(p.text)
        if m:
            issue = _iso(*m.groups())
            break
    notes = [p.text for p in doc.paragraphs("header_note")]
    for text in notes:
        m = DATE.search(text)
        if m and issue is None:
            issue = _iso(*m.groups())
    sources = notes + _closing(doc) + [p.text for p in doc.paragraphs("notice")]
    effective = None
    for text in notes:
        m = META_EFFECTIVE.match(compact(text))
        if m:
            effective = _iso(*m.groups())
    for text in [] if effective else sources:
        m = EFFECTIVE.search(text)
        if m:
            effective = _iso(*m.groups())
            break
        if EFFECTIVE_ON_ISSUE.search(text) and issue:
            effective = issue
            break
    return issue, effective, _valid_until(sources, effective or issue)


def _valid_until(sources: list[str], start: str | None) -> str | None:
    for text in sources:
        m = VALID_UNTIL.search(text)
        if m:
            groups = [g for g in m.groups() if g]
            return _iso(*groups)
        m = VALID_YEAR_END.search(text)
        if m:
            return f"{m.group(1)}-12-31"
        m = VALID_YEARS.search(text)
        if m and start:
            years = cn_to_int(m.group(1))
            begin = date.fromisoformat(start)
            try:
                end = begin.replace(year=begin.year + years)
            except ValueError:  # 29 February
                end = begin.replace(year=begin.year + years, day=28)
            return (end - timedelta(days=1)).isoformat()
    return None


def _kind(title: str, scheme: str) -> DocKind:
    name = re.sub(r"（[^（）]*）$", "", title)
    if name.endswith("决定") and "修改" in name:
        return "amendment"
    if name.endswith(("办法", "规定", "条例", "细则", "规则")):
        return "regulation"
    if name.endswith("意见"):
        return "opinion"
    if name.endswith(("措施", "政策")):
        return "measures"
    if name.endswith(("计划", "方案", "要点")) or re.search(r"行动\d{4}$", name):
        return "plan"
    if name.endswith("通知"):
        return "notice"
    return "regulation" if scheme == "article" else "other"


def _jurisdiction(doc: Document) -> str:
    """The city unless the title names a district/county, or the text names exactly one of them repeatedly
    (a 常熟 or 太仓 document speaks of its own bodies as 市X局; city documents list several places)."""
    suffix = {name: "市" for name in COUNTY_CITIES} | {name: "区" for name in DISTRICTS}
    for name, level in suffix.items():
        if doc.title.startswith(name + level):
            return name + level
    text = "".join(p.text for p in doc.paragraphs(*_ALL_KINDS)).replace("太仓港", "")
    counts = {name: text.count(name) for name in suffix if name in text}
    if len(counts) == 1:
        name, count = next(iter(counts.items()))
        if count >= 2:
            return name + suffix[name]
    return CITY


def _aliases(doc: Document) -> list[str]:
    found: list[str] = []
    for p in doc.paragraphs("body", "interpretation", "notice"):
        for m in ALIAS.finditer(p.text):
            alias = m.group(1).strip()
            if ALIAS_WORDS.search(alias) and alias not in found:
                found.append(alias)
    return found


# --- duplicates ------------------------------------------------------------------------------------------

_FRONT_KINDS = ("notice", "salutation", "header_note")


def _union(copies: list[Document]) -> Document:
    """One document from several copies of the same text: parts any copy lacks are added, metadata united."""
    base = copies[0]
    parts = [Part(part.kind, list(part.paragraphs)) for part in base.parts]
    for other in copies[1:]:
        have = {part.kind for part in parts}
        extra = [part for part in other.parts if part.kind not in have and part.kind != "body"]
        parts = [p for p in extra if p.kind in _FRONT_KINDS] + parts + [p for p in extra if p.kind not in _FRONT_KINDS]
    titled = [d for d in copies if not d.title_inferred] or copies
    files = list(dict.fromkeys(f for d in copies for f in d.source_files))
    merged = _describe(titled[0].title, titled[0].title_inferred, parts, files, base.start_line)
    merged.ocr_confidence = dict(base.ocr_confidence)
    for name in ("doc_number", "issuer", "issue_date", "effective_date", "valid_until"):
        if getattr(merged, name) is None:
            setattr(merged, name, next((getattr(d, name) for d in copies if getattr(d, name)), None))
    merged.references = list(dict.fromkeys([*merged.references, *(r for d in copies for r in d.references)]))
    merged.references = [r for r in merged.references if r != merged.doc_number]
    merged.aliases = list(dict.fromkeys([*merged.aliases, *(a for d in copies for a in d.aliases)]))
    return merged
