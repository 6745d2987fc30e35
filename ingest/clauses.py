"""Document → Clause chunks: one chunk per citable unit, never merged across labels (corpus-notes §4 F, G, I, J).

A policy is cited by article (``第三十五条``) or by outline path (``三、（八）24.``), so a chunk must be
exactly one such unit: its label becomes the citation the answer shows. Regulations (`scheme == "article"`)
give one chunk per 第X条; outline documents one chunk per numbered node, with three refinements from the
notes: a parent that is only a heading folds into its children's `section_path`, a parent with a real
intro is a chunk of its own, and a short enumeration rolls up into its parent. Unnumbered text before the
first marker is the 序言, the 施行/解释 sentences after the last item are the closing. Chunks longer than
`max_chars` are cut into windows that keep the label. Everything here is a pure function of the Document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from domain.numerals import cn_to_int
from ingest.model import Clause, ClauseKind, Document, Paragraph
from ingest.units import parse_trailer

CN = "一二三四五六七八九十百零〇两"
CHAPTER = re.compile(rf"^第([{CN}]+)章\s*(.*)$")
SECTION = re.compile(rf"^第([{CN}]+)节\s*(.*)$")
# Separator after 第X条: a space (often U+2002) or nothing; 第十八条规定 / 第五条第四项 / 第八、十条 are references.
ARTICLE = re.compile(rf"^第([{CN}]+)条(?:\s+|(?=[^\s之款项、，的规]))")
# Outline levels, matched at paragraph start only so that quoted “（一）… and inline 1．…；2．… never count.
OUTLINE: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(r"^([一二三四五六七八九十]{1,3})、\s*")),
    (2, re.compile(r"^[（(]([一二三四五六七八九十]{1,3})[）)]\s*")),
    (3, re.compile(r"^(\d{1,2})(?:[．.](?!\d)|、)\s*")),
    (4, re.compile(r"^[（(](\d{1,2})[）)]\s*")),
)
# Same numeric markers later in a paragraph that packs several items (``1.培育…。2.推动…。``): they advance
# the numbering, so the next paragraph's ``3.`` is still in sequence.
_INLINE = {3: r"[。；]\s*{n}(?:[．.](?!\d)|、)", 4: r"[。；]\s*[（(]{n}[）)]"}
CLOSING = re.compile(
    r"^(本(政策|文件|办法|意见|计划|实施意见|措施|政策措施|决定|方案|《措施》)|以上政策|国家和省对本文件|各地各部门要"
    r"|市服务业发展领导小组办公室要|全市银行业金融机构要|同一主体|执行期间)"
)
CLOSING_FACTS = re.compile(r"施行|有效期|负责解释")

PREAMBLE_LABEL = "序言"
CLOSING_LABEL = "施行与解释"
NOTICE_LABEL = "印发通知"
INTERPRETATION = "政策解读"
HEADING_MAX = 40
ROLLUP_CHILD_MAX = 120  # every rolled-up node is shorter than this …
ROLLUP_TOTAL_MAX = 450  # … and the whole subtree at most this long (§G5)
# A 以下…均需…落实 note speaks of the measures that follow, not of a closing's 施行/解释 sentences.
INHERITING_KINDS = frozenset({"article", "item", "amendment"})

_SENTENCE_END = re.compile(r"(?<=[。；！？])(?![。；！？”’）)」])")
_COMMA = re.compile(r"(?<=[，,])")
_PUNCTUATION = re.compile(r"[\s。，、；：:！？“”‘’（）()《》〔〕【】\[\].．]")
# A notice's own title: from 关于印发 on (issuer names in front are dropped), else a whole 印发…通知 line.
_NOTICE_TITLES = (re.compile(r"关于印发[^。，；：]+通知$"), re.compile(r"^[^。，；：]{2,80}印发[^。，；：]+通知$"))


@dataclass
class _Node:
    """One outline marker paragraph with its unnumbered continuation paragraphs and its sub-items."""

    level: int
    marker: str  # canonical: 一、 （三） 3. （2）
    heading: str
    rest: str  # the marker paragraph after its marker
    paragraphs: list[Paragraph]
    children: list[_Node] = field(default_factory=list)


@dataclass
class _Draft:
    """A clause before windows, ids and metadata: what it is and which paragraphs it holds."""

    label: str
    kind: ClauseKind
    section_path: list[str]
    position: str  # last element of the 【位置】 line: the clause's own heading
    paragraphs: list[Paragraph]
    rolled_up_children: list[str] = field(default_factory=list)


# --- public API -----------------------------------------------------------------------------------------


def chunk_document(doc: Document, max_chars: int = 600) -> list[Clause]:
    """All retrievable chunks of one document, in document order (notice, body, 解读 as the parts come)."""
    drafts: list[_Draft] = []
    for kind in dict.fromkeys(part.kind for part in doc.parts):
        paragraphs = doc.paragraphs(kind)
        if kind == "notice":
            drafts.append(_Draft(NOTICE_LABEL, "notice", [], NOTICE_LABEL, paragraphs))
        elif kind == "body":
            drafts.extend(_article_drafts(paragraphs) if doc.scheme == "article" else _outline_drafts(doc, paragraphs))
        elif kind == "interpretation":
            drafts.extend(_interpretation_drafts(doc, paragraphs))
    return _finish(doc, drafts, max_chars)


def size(text: str) -> int:
    """Length in non-space characters: the measure every threshold in the notes uses."""
    return len(_compact(text))


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- regulations: one chunk per 第X条 -------------------------------------------------------------------


def _article_drafts(paragraphs: list[Paragraph]) -> list[_Draft]:
    drafts: list[_Draft] = []
    preamble: list[Paragraph] = []
    chapter: str | None = None
    section: str | None = None
    last = 0
    for p in paragraphs:
        text = p.text.strip()
        heading = _chapter_heading(text)
        if heading is not None:
            if CHAPTER.match(text):
                chapter, section = heading, None
            else:
                section = heading
            continue
        m = ARTICLE.match(text)
        # Articles run 第一条, 第二条 … without gaps: a 第N条 out of sequence is a cross-reference
        # (依照第十五条…) that a bad join put at a paragraph start, so it stays in the current article.
        if m and cn_to_int(m.group(1)) == last + 1:
            last += 1
            label = f"第{m.group(1)}条"
            path = [h for h in (chapter, section) if h]
            drafts.append(_Draft(label, "article", path, label, [p]))
        elif drafts:
            drafts[-1].paragraphs.append(p)
        else:
            preamble.append(p)
    return ([_Draft(PREAMBLE_LABEL, "preamble", [], PREAMBLE_LABEL, preamble)] if preamble else []) + drafts


def _chapter_heading(text: str) -> str | None:
    """``第五章\u2002安全管理`` → ``第五章 安全管理`` (spaces inside the name removed); None if not a heading."""
    m = CHAPTER.match(text) or SECTION.match(text)
    if not m or len(text) > 30 or any(c in text for c in "。，；"):
        return None
    name = _compact(m.group(2))
    number = text[: m.start(2)].strip()
    return f"{number} {name}" if name else number


# --- outline documents ----------------------------------------------------------------------------------


def _outline_drafts(doc: Document, paragraphs: list[Paragraph]) -> list[_Draft]:
    item_kind: ClauseKind = "amendment" if doc.kind == "amendment" else "item"
    return _outline(paragraphs, item_kind, prefix="", root_path=[], preamble_kind="preamble", closing_kind="closing")


def _interpretation_drafts(doc: Document, paragraphs: list[Paragraph]) -> list[_Draft]:
    # The part opens with a bare 解读 line: a part marker, not content.
    paragraphs = [p for p in paragraphs if p.text.strip() != "解读"]
    return _outline(
        paragraphs,
        "interpretation",
        prefix=INTERPRETATION + " ",
        root_path=[INTERPRETATION],
        preamble_kind="interpretation",
        closing_kind="interpretation",
    )


def _outline(
    paragraphs: list[Paragraph],
    item_kind: ClauseKind,
    prefix: str,
    root_path: list[str],
    preamble_kind: ClauseKind,
    closing_kind: ClauseKind,
) -> list[_Draft]:
    preamble, roots = _outline_tree(paragraphs)
    closing = _split_closing(roots)
    drafts: list[_Draft] = []
    if preamble:
        drafts.append(_Draft(prefix + PREAMBLE_LABEL, preamble_kind, list(root_path), PREAMBLE_LABEL, preamble))
    for node in roots:
        drafts.extend(_node_drafts(node, "", list(root_path), item_kind, prefix))
    if closing:
        drafts.append(_Draft(prefix + CLOSING_LABEL, closing_kind, list(root_path), CLOSING_LABEL, closing))
    return drafts


def _outline_tree(paragraphs: list[Paragraph]) -> tuple[list[Paragraph], list[_Node]]:
    """Preamble paragraphs and the marker hierarchy (a stack: a level-k marker closes every open level ≥ k)."""
    preamble: list[Paragraph] = []
    roots: list[_Node] = []
    stack: list[_Node] = []
    last: dict[int, int] = {}  # last accepted number per level, never reset: some documents number
    for p in paragraphs:  # straight through (1–58 across all parents), others restart at 1
        marker = _marker(p.text, last)
        if marker is None:
            (stack[-1].paragraphs if stack else preamble).append(p)
            continue
        level, canonical, rest = marker
        node = _Node(level, canonical, _heading(canonical, rest), rest, [p])
        while stack and stack[-1].level >= level:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return preamble, roots


def _marker(text: str, last: dict[int, int]) -> tuple[int, str, str] | None:
    """(level, canonical marker, text after it) if `text` opens with an in-sequence outline marker."""
    for level, pattern in OUTLINE:
        m = pattern.match(text)
        if not m:
            continue
        raw = m.group(1)
        number = int(raw) if raw.isdigit() else cn_to_int(raw)
        previous = last.get(level)
        # 1 restarts a list; otherwise the number must move forward (one missing number tolerated).
        if previous is not None and number != 1 and not previous < number <= previous + 2:
            return None
        last[level] = _inline_successors(text, level, number)
        canonical = {1: f"{raw}、", 2: f"（{raw}）", 3: f"{raw}.", 4: f"（{raw}）"}[level]
        return level, canonical, text[m.end() :]
    return None


def _inline_successors(text: str, level: int, number: int) -> int:
    """The last number of a run ``N.…。N+1.…。`` packed into one paragraph (only numeric levels)."""
    if level not in _INLINE:
        return number
    while re.search(_INLINE[level].format(n=number + 1), text):
        number += 1
    return number


def _heading(marker: str, rest: str) -> str:
    """Marker plus the text up to the first 。：:, at most 40 characters: ``（三）鼓励企业扩大有效投入``."""
    name = re.split(r"[。：:]", _compact(rest), maxsplit=1)[0]
    return (marker + name)[:HEADING_MAX]


def _last_node(roots: list[_Node]) -> _Node | None:
    node = roots[-1] if roots else None
    while node is not None and node.children:
        node = node.children[-1]
    return node


def _split_closing(roots: list[_Node]) -> list[Paragraph]:
    """Detach the 施行/有效期/解释 paragraphs trailing the last node (§G7); they answer "until when / who"."""
    node = _last_node(roots)
    if node is None:
        return []
    first = node.paragraphs[0].text
    for i, p in enumerate(node.paragraphs[1:], start=1):
        if CLOSING.match(p.text) and (size(first) > 30 or CLOSING_FACTS.search(p.text)):
            closing, node.paragraphs = node.paragraphs[i:], node.paragraphs[:i]
            return closing
    return []


def _node_drafts(node: _Node, parent_label: str, path: list[str], kind: ClauseKind, prefix: str) -> list[_Draft]:
    label = parent_label + node.marker
    if not node.children:
        return [_Draft(prefix + label, kind, path, node.heading, node.paragraphs)]
    if _rolls_up(node):
        descendants = list(_descendants(node, label))
        return [
            _Draft(
                prefix + label,
                kind,
                path,
                node.heading,
                node.paragraphs + [p for _, child in descendants for p in child.paragraphs],
                rolled_up_children=[prefix + child_label for child_label, _ in descendants],
            )
        ]
    drafts = []
    if _has_intro(node):
        drafts.append(_Draft(prefix + label, kind, path, node.heading, node.paragraphs))
    for child in node.children:
        drafts.extend(_node_drafts(child, label, path + [node.heading], kind, prefix))
    return drafts


def _has_intro(node: _Node) -> bool:
    """Does a parent say anything beyond its heading? A pure heading (``（一）支持工业设计中心高质量发展。``)
    only names its children and folds into their `section_path` (§G3). Any further text makes the parent a
    chunk of its own (§G4 asks this for intros of 50+ characters; shorter ones are kept too, or a sentence
    like ``申报…的企业需同时具备以下三个基本条件：`` would be in no chunk at all)."""
    text = _compact(node.rest) + "".join(_compact(p.text) for p in node.paragraphs[1:])
    name = node.heading[len(node.marker) :]
    beyond = text[len(name) :] if text.startswith(name) else text
    return _PUNCTUATION.sub("", beyond) != ""


def _descendants(node: _Node, label: str):
    """(full label, node) of every node below `node`, in document order."""
    for child in node.children:
        child_label = label + child.marker
        yield child_label, child
        yield from _descendants(child, child_label)


def _rolls_up(node: _Node) -> bool:
    """A short enumeration (≥ 2 sub-items, each short, all short together) is cited as one parent (§G5).
    A single child is never rolled up: its own number would vanish from the citation."""
    if len(node.children) < 2:
        return False
    sizes = [size("".join(p.text for p in child.paragraphs)) for _, child in _descendants(node, "")]
    total = size("".join(p.text for p in node.paragraphs)) + sum(sizes)
    return all(s < ROLLUP_CHILD_MAX for s in sizes) and total <= ROLLUP_TOTAL_MAX


# --- from drafts to clauses -----------------------------------------------------------------------------


def _finish(doc: Document, drafts: list[_Draft], max_chars: int) -> list[Clause]:
    """Add units, citations, windows, ids and embedding text."""
    metadata = doc.metadata()
    header = _file_header(doc)
    inherited: list[str] = []  # handed on by 以下…不再列出 notes of earlier clauses
    seen: dict[str, int] = {}
    clauses: list[Clause] = []
    for draft in drafts:
        trailers = [t for t in (parse_trailer(p.text) for p in draft.paragraphs) if t] if draft.kind != "notice" else []
        units = _unique(u for t in trailers for u in t.units)
        lead = _unique(u for t in trailers for u in t.lead_units)
        own_inherited = list(inherited) if draft.kind in INHERITING_KINDS else []
        if draft.kind in INHERITING_KINDS:
            inherited = _unique([*inherited, *(u for t in trailers for u in t.inherits)])
        # Full-path labels are unique in well-formed documents; a restarted outline still needs distinct ids.
        seen[draft.label] = seen.get(draft.label, 0) + 1
        base_id = f"{doc.doc_id}:{draft.label}" + (f"~{seen[draft.label]}" if seen[draft.label] > 1 else "")
        citation = _notice_citation(doc, draft.paragraphs) if draft.kind == "notice" else f"《{doc.title}》{draft.label}"
        position = "【位置】" + " › ".join([*draft.section_path, draft.position])
        windows = _windows(draft.paragraphs, max_chars)
        read = [doc.ocr_confidence[p.page] for p in draft.paragraphs if p.page in doc.ocr_confidence]
        for n, (text, line, page) in enumerate(windows, start=1):
            clauses.append(
                Clause(
                    id=base_id + (f"#{n}" if n > 1 else ""),
                    doc_id=doc.doc_id,
                    label=draft.label,
                    citation=citation,
                    section_path=list(draft.section_path),
                    kind=draft.kind,
                    text=text,
                    embed_text=f"{header}\n{position}\n【正文】{text}",
                    line=line,
                    page=page,
                    ocr_confidence=min(read) if read else None,
                    responsible_units=list(units),
                    lead_units=list(lead),
                    inherited_units=list(own_inherited),
                    trailers_raw=[t.raw for t in trailers],
                    rolled_up_children=list(draft.rolled_up_children),
                    window=f"{n}/{len(windows)}",
                    doc=dict(metadata),
                )
            )
    return clauses


def _file_header(doc: Document) -> str:
    number = f"（{doc.doc_number}）" if doc.doc_number else ""
    return f"【文件】《{doc.title}》{number}【层级】{doc.jurisdiction}"


def _notice_citation(doc: Document, paragraphs: list[Paragraph]) -> str:
    """``《关于印发〈…〉的通知》（苏委发〔2020〕12号）``: the notice's own title if it survived, else the usual form."""
    title = f"关于印发〈{doc.title}〉的通知"
    found = (m.group(0) for pattern in _NOTICE_TITLES for p in paragraphs if (m := pattern.search(_compact(p.text))))
    title = next(found, title).replace("《", "〈").replace("》", "〉")
    return f"《{title}》" + (f"（{doc.doc_number}）" if doc.doc_number else "")


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


# --- windows (§J) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    text: str
    paragraph: int  # index of the paragraph within the clause
    line: int
    page: int | None


def _windows(paragraphs: list[Paragraph], max_chars: int) -> list[tuple[str, int, int | None]]:
    """(text, first line, first page) per window. A clause within `max_chars` is one window holding all its paragraphs.

    Longer clauses pack whole paragraphs greedily; only a paragraph longer than `max_chars` by itself is cut,
    at sentence ends, then at commas. When a window ends inside a paragraph, its last sentence is repeated at
    the start of the next one (if both fit) so that neither window starts without context.
    """
    whole = "\n".join(p.text for p in paragraphs)
    if size(whole) <= max_chars:
        return [(whole, paragraphs[0].line, paragraphs[0].page)] if paragraphs else []
    windows: list[list[_Piece]] = []
    current: list[_Piece] = []
    current_size = 0
    for piece in _pieces(paragraphs, max_chars):
        piece_size = size(piece.text)
        if current and current_size + piece_size > max_chars:
            windows.append(current)
            tail = current[-1]
            current, current_size = [], 0
            if tail.paragraph == piece.paragraph and size(tail.text) + piece_size <= max_chars:
                current, current_size = [tail], size(tail.text)
        current.append(piece)
        current_size += piece_size
    windows.append(current)
    return [(_join(w), w[0].line, w[0].page) for w in windows]


def window_ids(clause: Clause) -> list[str]:
    """The ids of all the windows of the clause that `clause` is a window of, in order (its own id when whole)."""
    n, total = (int(k) for k in clause.window.split("/"))
    base = clause.id.removesuffix(f"#{n}") if n > 1 else clause.id
    return [base] + [f"{base}#{k}" for k in range(2, total + 1)]


def whole_clause(windows: list[Clause]) -> Clause:
    """The clause its windows (in order) were cut from, as one: what a reader opens and what an answer cites.

    A window going on inside the paragraph the one before it ends in joins it directly, less the sentence it
    repeats (see `_windows`); one starting a new paragraph follows a newline. Which is which the windows' first
    lines tell when the window before holds one paragraph (or part of one); after a window of several paragraphs,
    only a repeated sentence tells it, so a paragraph cut without one reads as two there."""
    text, last_line = windows[0].text, None if "\n" in windows[0].text else windows[0].line
    for window in windows[1:]:
        repeated = _repeated(text, window.text)
        same_paragraph = window.line == last_line if last_line is not None else repeated > 0
        text += window.text[repeated:] if same_paragraph else "\n" + window.text
        last_line = None if "\n" in window.text else window.line
    return replace(windows[0], id=window_ids(windows[0])[0], text=text,
                   embed_text=windows[0].embed_text.removesuffix(windows[0].text) + text, window="1/1")


def whole_of(clause: Clause, clauses: Mapping[str, Clause]) -> Clause:
    """The whole clause that `clause` is a window of, its windows looked up in `clauses` (an index's clauses by
    id); `clause` itself when it is whole, or when a window is missing (then no whole can be told)."""
    ids = window_ids(clause)
    if len(ids) == 1 or any(i not in clauses for i in ids):
        return clause
    return whole_clause([clauses[i] for i in ids])


def _repeated(text: str, window: str) -> int:
    """The length of the piece (a sentence, else a part between commas) that `text` ends on and `window` starts
    with again; 0 when it does not."""
    for ends in ("。；！？\n", "。；！？，,\n"):
        tail = text[max(text.rfind(c, 0, len(text) - 1) for c in ends) + 1:]
        if tail and window.startswith(tail):
            return len(tail)
    return 0


def _pieces(paragraphs: list[Paragraph], max_chars: int) -> list[_Piece]:
    pieces = []
    for i, p in enumerate(paragraphs):
        if size(p.text) <= max_chars:
            pieces.append(_Piece(p.text, i, p.line, p.page))
            continue
        for sentence in _split(p.text, _SENTENCE_END):
            parts = [sentence] if size(sentence) <= max_chars else _split(sentence, _COMMA)
            for part in parts:
                # A run without any comma longer than a window: cut blindly rather than exceed the limit.
                pieces.extend(_Piece(part[k : k + max_chars], i, p.line, p.page) for k in range(0, len(part), max_chars))
    return pieces


def _split(text: str, boundary: re.Pattern[str]) -> list[str]:
    return [s for s in boundary.split(text) if s]


def _join(pieces: list[_Piece]) -> str:
    """Pieces of one paragraph join directly (CJK has no spaces); paragraphs join with a newline."""
    out = pieces[0].text
    for before, piece in zip(pieces, pieces[1:]):
        out += ("" if before.paragraph == piece.paragraph else "\n") + piece.text
    return out
