"""Answers, clauses and documents as HTML/Markdown for the UI. Pure functions: records in, escaped text out."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

from ingest.ocr import REVIEW_NOTE, needs_review
from rag.citations import page_note
from rag.translate import is_latin
from rag.types import Answer, Citation

KIND_NAMES = {
    "regulation": "规章/条例",
    "measures": "措施/办法",
    "plan": "计划/方案",
    "opinion": "意见",
    "notice": "通知",
    "amendment": "修改决定",
    "other": "其他",
}


# The fixed words around an answer, in the question's language (the clause text itself is always Chinese).
UI_WORDS = {
    "zh": {"sources": "来源", "open": "查看条款全文", "valid": "有效", "expired": "已过期"},
    "en": {"sources": "Sources", "open": "Open the full clause", "valid": "In force", "expired": "Expired",
           "未注明有效期": "No end date stated", "尚未施行": "Not yet in force"},
}


def badge(validity: str, expired: bool, language: str = "zh") -> str:
    """有效 / 已过期 / 未注明有效期 as a coloured badge; the full wording (with the date) as its tooltip."""
    words = UI_WORDS[language]
    status = "expired" if expired else ("valid" if validity.startswith("有效") else "")
    short = words[status] if status else words.get(validity.split("（")[0], validity.split("（")[0])
    css = {"expired": "pq-expired", "valid": "pq-valid"}.get(status, "pq-unknown")
    return f'<span class="pq-badge {css}" title="{escape(validity)}">{escape(short)}</span>'


def language_of(answer: Answer) -> str:
    return "en" if is_latin(answer.question) else "zh"


def period(doc: dict) -> str:
    """施行 2025-07-01 至 2027-12-31, with whichever ends are known."""
    start, end = doc.get("effective_date") or doc.get("issue_date"), doc.get("valid_until")
    if start and end:
        return f"{start} 至 {end}"
    if start:
        return f"{start} 起施行，未注明截止"
    if end:
        return f"有效期至 {end}"
    return "未注明"


def doc_meta(doc: dict) -> str:
    """The document facts shown with every clause: 标题, 文号, 发文机关, 施行期, 层级."""
    rows = [
        ("文件", f"《{doc.get('doc_title') or '（无标题）'}》"),
        ("文号", doc.get("doc_number") or "未注明"),
        ("发文机关", doc.get("issuer") or "未注明"),
        ("施行期", period(doc)),
        ("适用地区", doc.get("jurisdiction") or "未注明"),
    ]
    cells = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(str(v))}</dd></div>" for k, v in rows)
    return f'<dl class="pq-meta">{cells}</dl>'


def verbatim(text: str) -> str:
    """Text for a Markdown chat bubble that shows exactly what was typed: `<…>` is escaped, not dropped by the
    HTML sanitiser (a line such as "<申请表> 怎么填" used to vanish)."""
    return escape(text, quote=False)


def highlight(line: str, terms: list[str]) -> str:
    """`line` escaped, each occurrence of a term wrapped in <mark>. Terms are matched in the raw text in one
    pass (longest first), so a term can never match inside markup already inserted ("测试 a": the "a" of
    <mark>) or inside an entity (&amp;)."""
    words = sorted({t for t in terms if t}, key=len, reverse=True)
    if not words:
        return escape(line)
    pattern = re.compile("|".join(map(re.escape, words)))
    out, last = [], 0
    for match in pattern.finditer(line):
        out.append(escape(line[last : match.start()]))
        out.append(f"<mark>{escape(match[0])}</mark>")
        last = match.end()
    out.append(escape(line[last:]))
    return "".join(out)


def clause_body(text: str, terms: list[str] | None = None) -> str:
    """Paragraphs of a clause, escaped; search `terms` wrapped in <mark>."""
    return "".join(f"<p>{highlight(line, terms or [])}</p>" for line in text.split("\n") if line.strip())


def units_line(units: list[str]) -> str:
    if not units:
        return ""
    return f'<div class="pq-units">责任单位：{escape("、".join(units))}</div>'


def citation_chip(c: Citation, open_: bool = False) -> str:
    """A clickable chip: [n] 《…》label + badge; clicking it unfolds the clause's full text and its document."""
    return (
        f'<details class="pq-cite" data-clause-id="{escape(c.id)}"{" open" if open_ else ""}>'
        f'<summary><span class="pq-n">[{c.n}]</span> {escape(c.citation + page_note(c.page))} {badge(c.validity, c.expired)}'
        f'{ocr_badge(c.ocr_confidence)}</summary>'
        f'<div class="pq-clause">{doc_meta(c.doc)}'
        f'<div class="pq-validity">有效性：{escape(c.validity)}</div>'
        f'<div class="pq-text">{clause_body(c.text)}</div>{units_line(c.responsible_units)}</div></details>'
    )


def sources_panel(sources: list[Citation]) -> str:
    """The side panel of the chat: every clause the conversation cited, each hidden until its chip under an
    answer is clicked (web/ui.js shows one at a time). Keyed by position in `sources`, so a clause cited by
    several answers is held once."""
    sections = "".join(
        f'<section class="pq-source" id="pq-src-{i}" hidden tabindex="-1" aria-label="条款 {escape(c.citation)}">'
        f'<div class="pq-heading">{escape(c.citation + page_note(c.page))} {badge(c.validity, c.expired)}'
        f'{ocr_badge(c.ocr_confidence)}</div>'
        f'{doc_meta(c.doc)}<div class="pq-validity">有效性：{escape(c.validity)}</div>'
        f'<div class="pq-text">{clause_body(c.text)}</div>{units_line(c.responsible_units)}</section>'
        for i, c in enumerate(sources)
    )
    return (
        '<aside class="pq-panel" aria-label="条款全文">'
        '<div class="pq-panel-bar"><span class="pq-heading">条款全文</span>'
        '<button type="button" class="pq-close" aria-label="关闭条款面板（Esc）" title="关闭（Esc）">✕</button></div>'
        '<div class="pq-empty pq-hint">点击回答下方的来源编号，在这里阅读条款全文。</div>'
        f"{sections}</aside>"
    )


def tentative_notices(answer: Answer) -> list[str]:
    """The notice of a tentative answer: its clauses may not answer the question."""
    return [n for n in answer.notices if n in answer.reasons] if answer.tentative else []


def notices_md(answer: Answer) -> str:
    """Validity warnings and notices under a chat answer; the notice of a tentative answer is a warning too."""
    warnings = set(tentative_notices(answer))
    lines = [f"> ⚠️ {verbatim(n)}" for n in answer.validity_notes]
    lines += [f"> {'⚠️' if n in warnings else 'ℹ️'} {verbatim(n)}" for n in answer.notices]
    return "\n".join(lines)


# A reference list at the end of an answer text ("引用：" / "参考条款：" and [n] lines): the chips replace it.
_REFERENCE_LIST = re.compile(r"\n+\s*(?:\*\*)?(?:引用|参考条款|参考)(?:\*\*)?[:：]?\s*(?:\n\s*(?:[-*]\s*)?\[\d+\][^\n]*)+\s*$")


def answer_body(answer: Answer) -> str:
    """The answer without a reference list at its end (the chips under the answer show the sources once): the
    stream's body when the answerer set one, else the whole text."""
    return _REFERENCE_LIST.sub("", answer.body or answer.text).strip()


def source_chips(answer: Answer, keys: dict[str, int]) -> str:
    """Numbered chips under an answer: [n] 《…》label and its badge, each a link that opens the clause in the
    side panel (`keys`: clause id → its place in the panel); their words in the question's language."""
    if not answer.citations:
        return ""
    language = language_of(answer)
    words = UI_WORDS[language]
    chips = "".join(
        f'<a class="pq-chip" href="#pq-src-{keys[c.id]}" title="{words["open"]}">'
        f'<span class="pq-n">[{c.n}]</span> {escape(c.citation + page_note(c.page))} '
        f'{badge(c.validity, c.expired, language)}</a>'
        for c in answer.citations
    )
    return f'<div class="pq-sources"><span class="pq-sources-label">{words["sources"]}</span>{chips}</div>'


def chat_message(answer: Answer, keys: dict[str, int]) -> str:
    """The assistant's chat bubble: the answer, validity warnings, then the source chips (the only list of
    sources on the page)."""
    parts = [verbatim(answer_body(answer))]
    notes = notices_md(answer)
    if notes:
        parts.append(notes)
    chips = source_chips(answer, keys)
    if chips:
        parts.append(chips)
    return "\n\n".join(parts)


def references_block(answer: Answer) -> str:
    """Plain-text 参考条款 block appended to OpenAI-compatible replies."""
    if not answer.citations:
        return ""
    lines = [f"[{c.n}] {c.citation}{page_note(c.page)}（{c.validity}）" for c in answer.citations]
    return "\n\n参考条款：\n" + "\n".join(lines)


def hotline_html(answer: Answer) -> str:
    """Everything a hotline operator needs besides the reply script: the question(s) found, departments,
    validity warnings and the governing clauses with their full text."""
    sections = []
    questions = answer.questions or [answer.question]
    items = "".join(f"<li>{escape(q)}</li>" for q in questions)
    sections.append(f'<section class="pq-hl-questions"><h4>诉求中的问题</h4><ol>{items}</ol></section>')
    units = "、".join(answer.responsible_units) or "条款未写明责任部门"
    sections.append(f'<section class="pq-hl-units"><h4>责任部门</h4><div class="pq-dept">{escape(units)}</div></section>')
    warnings = answer.validity_notes + answer.notices
    if warnings:
        warn = "".join(f"<li>{escape(w)}</li>" for w in warnings)
        sections.append(f'<section class="pq-warn"><h4>有效性与提示</h4><ul>{warn}</ul></section>')
    if answer.refused:
        sections.append(f'<section class="pq-refused">{escape(answer.text)}</section>')
    if answer.citations:
        cards = "".join(citation_chip(c, open_=True) for c in answer.citations)
        sections.append(f'<section class="pq-hl-clauses"><h4>依据条款</h4>{cards}</section>')
    return f'<div class="pq-hotline">{"".join(sections)}</div>'


def document_rows(documents: list[dict]) -> list[list[Any]]:
    """Rows of the 政策库 table: only what tells documents apart at a glance (issuer, dates and clauses are in
    the reader), so the table fits a 1,280 px screen with 状态 in view."""
    return [
        [
            d.get("doc_title") or "",
            d.get("doc_number") or "",
            d.get("jurisdiction") or "",
            KIND_NAMES.get(d.get("doc_kind") or "other", d.get("doc_kind") or ""),
            d.get("valid_until") or "",
            badge(d.get("validity", ""), bool(d.get("expired"))),
        ]
        for d in documents
    ]


DOCUMENT_HEADERS = ["标题", "文号", "地区", "类型", "有效期至", "状态"]
DOCUMENT_TYPES = ["str", "str", "str", "str", "str", "markdown"]
# Shares of the table's width: 标题 wraps in the widest column, the others are narrow and fixed.
DOCUMENT_WIDTHS = ["35%", "15%", "10%", "12%", "14%", "14%"]


def document_html(doc: dict, clauses: list[Any]) -> str:
    """One document: its facts and badge, then its clauses in order under their section headings."""
    head = (
        f'<h3>《{escape(doc.get("doc_title") or "")}》 {badge(doc["validity"], doc["expired"])}</h3>'
        f"{doc_meta(doc)}"
    )
    body, section = [], None
    for c in clauses:
        path = " › ".join(c.section_path)
        if path and path != section:
            body.append(f'<h4 class="pq-section">{escape(path)}</h4>')
            section = path
        body.append(
            f'<div class="pq-doc-clause" id="{escape(c.id)}"><div class="pq-label">{escape(c.label)}</div>'
            f"{clause_body(c.text)}{units_line(c.responsible_units)}</div>"
        )
    return f'<article class="pq-doc">{head}{"".join(body) or "<p>（无条款）</p>"}</article>'


def search_html(keywords: str, clauses: list[Any]) -> str:
    if not keywords.strip():
        return ""
    if not clauses:
        return f'<div class="pq-empty">没有包含“{escape(keywords)}”的条款。</div>'
    items = "".join(
        f'<div class="pq-doc-clause"><div class="pq-label">{escape(c.citation)}</div>{clause_body(c.text, keywords.split())}</div>'
        for c in clauses
    )
    return f'<div class="pq-search"><div class="pq-heading">找到 {len(clauses)} 条</div>{items}</div>'



def build_summary(report: Any) -> str:
    """One line about an ingest.index.BuildReport, plus the files that could not be read."""
    if report.nothing_changed:
        line = f"文件没有变化，沿用现有索引（{report.documents} 份文件）"
    else:
        line = (
            f"{report.files} 个源文件、{report.documents} 份文件、{report.chunks} 个条款"
            f"（新嵌入 {report.embedded}，复用 {report.reused}，用时 {report.seconds:.1f} 秒）"
        )
    problems = "".join(f"\n- 无法读取 {Path(e.path).name}：{e.reason}" for e in report.errors)
    versions = "".join(f"\n- 同名文档的旧版本未采用：{line}" for line in report.superseded)
    return line + problems + versions


def upload_findings(report: Any) -> str:
    """What an upload check found, for the 管理 tab: documents, clauses, pages, warnings."""
    if report is None:
        return ""
    pages = f"，{report.pages} 页" if report.pages else ""
    text = f"：{len(report.documents)} 份文件，{report.clauses} 条条款{pages}"
    return text + "".join(f"；⚠️ {escape(w)}" for w in report.warnings)


def ocr_badge(confidence: float | None) -> str:
    """A clause read from a scan with low recognition confidence is marked for checking against the original."""
    if not needs_review(confidence):
        return ""
    return f' <span class="pq-badge pq-unknown" title="OCR {confidence:.2f}">{escape(REVIEW_NOTE)}</span>'
