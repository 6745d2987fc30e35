"""Responsible-unit trailers: ``（责任单位：市工信局、市发改委）`` at the end of a paragraph → unit lists
(corpus-notes §4 H, hazard H13).

About half of all clauses end in such a trailer, in some fifteen shapes: the bracket may be full-width,
ASCII, square or mixed (``〔…]``), may wrap a second bracket (``[（…）]``), may carry a role prefix
(``牵头单位：…；主要责任单位：…``) or a role suffix (``…按职责分工负责``), and unit names nest their own
brackets (``各镇（街道、区）``, ``各县级市<区>人民政府<管委会>``). Some trailers also hand units on to every
later clause (``以下均需…落实，不再列出``). Everything here is a pure function over one paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OPENERS = "（([〔【<〈"
CLOSERS = "）)]〕】>〉"
# Only these can delimit a trailer; < > 〈 〉 occur as nested parentheses inside unit names.
_TRAILER_OPENERS = "（([〔【"
_TRAILER_CLOSERS = "）)]〕】"

# A trailer may be followed by a full stop (``）。``) and stray spaces.
_TAIL = re.compile(r"[。；.\s]*$")
_KEYWORDS = re.compile(r"责任单位|责任部门|牵头单位|主要责任单位|牵头|负责|按职责分工|落实|不再单独列出|不再列出")
# A bare list of bodies: ``（市人社局、市财政局）``.
_BODY_START = re.compile(r"^(?:市|区|县|镇|各|苏州|人行|人民银行|省|国家|国开行|中国|中信保)")
_BODY_END = re.compile(r"(?:局|委|办|院|部|中心|政府|集团|公司|海关|行|支|处|会|区|街道|分局|联|所|队)(?:[<〈（(][^>〉）)]*[>〉）)])?$|^各(?:县级)?市$")

_ROLE_PREFIX = re.compile(r"^(主要责任单位|责任单位|责任部门|牵头单位|牵头部门|配合单位|配合部门)[：:]")
_LEAD_ROLES = frozenset({"牵头单位", "牵头部门"})
# Longest first: ``按职责分工负责`` must go before ``负责``.
_SUFFIXES = ("按职责分工负责", "按职责分工落实", "按职责分工", "负责落实", "等市相关部门", "等相关部门", "等单位", "负责", "牵头", "落实")
# ``以下均需各县级市<区>人民政府<管委会>落实`` / ``本项及以下均需…负责落实`` / ``以下政策均需各街道落实``.
_INHERIT_NOTE = re.compile(r"^(?:本项及)?以下[^，。；]*?均需(.+?)(?:负责)?落实$")
_SAME_BELOW = re.compile(r"^下同$")
_AND_EACH = re.compile(r"及(?=各)")
_NOT_A_UNIT = re.compile(r"^(?:不再单独列出|不再列出|下同|(?:市|区)?相关部门)$")


@dataclass(frozen=True)
class Trailer:
    """One parsed trailer.

    `units` lists every body the trailer names (lead units included, in order, de-duplicated); `lead_units`
    the subset marked 牵头; `inherits` the bodies that a ``以下…均需…落实 / 下同，不再单独列出`` note hands to
    every later clause of the same document (they are in `units` too: the note's own clause is covered).
    """

    raw: str
    units: list[str] = field(default_factory=list)
    lead_units: list[str] = field(default_factory=list)
    inherits: list[str] = field(default_factory=list)


def parse_trailer(paragraph: str) -> Trailer | None:
    """The responsible-unit trailer ending `paragraph`, or None if it does not end in one."""
    group = final_bracket_group(paragraph)
    if group is None:
        return None
    content = _unwrap(group[1:-1].strip())
    groups = [split_outside_brackets(g, "、") for g in split_outside_brackets(content, "，；。,;")]
    if not _KEYWORDS.search(content) and not _is_bare_list(groups):
        return None
    units, lead, inherits = _read_groups(groups)
    if not units:
        return None
    return Trailer(raw=group, units=units, lead_units=lead, inherits=inherits)


def final_bracket_group(paragraph: str) -> str | None:
    """The bracket group that closes `paragraph` (brackets matched by nesting, ignoring their type)."""
    text = _TAIL.sub("", paragraph)
    if not text or text[-1] not in _TRAILER_CLOSERS:
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        char = text[i]
        if char in CLOSERS:
            depth += 1
        elif char in OPENERS:
            depth -= 1
            if depth == 0:
                return text[i:] if char in _TRAILER_OPENERS else None
    return None  # unbalanced: no opener for the final closer


def split_outside_brackets(text: str, separators: str) -> list[str]:
    """Split on any of `separators` at bracket depth 0, so ``各镇（街道、区）`` stays whole."""
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in OPENERS:
            depth += 1
        elif char in CLOSERS:
            depth = max(depth - 1, 0)
        elif char in separators and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]


def _unwrap(content: str) -> str:
    """``[（责任单位：…）]`` has a second bracket inside the first: peel it off."""
    while content and content[0] in _TRAILER_OPENERS and final_bracket_group(content) == content:
        content = content[1:-1].strip()
    return content


def _clean_piece(piece: str) -> str:
    """Strip one role suffix repeatedly (``市财政局负责落实`` → ``市财政局``); keep the role prefix for later."""
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if piece.endswith(suffix) and len(piece) > len(suffix):
                piece, changed = piece[: -len(suffix)].strip(), True
                break
    return piece


def _is_bare_list(groups: list[list[str]]) -> bool:
    pieces = [_clean_piece(p) for g in groups for p in g]
    return bool(pieces) and _BODY_START.match(pieces[0]) is not None and all(_BODY_END.search(p) for p in pieces)


def _read_groups(groups: list[list[str]]) -> tuple[list[str], list[str], list[str]]:
    """Walk the comma/semicolon groups, tracking the role a prefix sets and the notes that hand units on."""
    units: list[str] = []
    lead: list[str] = []
    inherits: list[str] = []
    role_is_lead = False
    previous: list[str] = []
    for raw_group in groups:
        group: list[str] = []
        for piece in raw_group:
            m = _ROLE_PREFIX.match(piece)
            if m:
                role_is_lead = m.group(1) in _LEAD_ROLES
                piece = piece[m.end() :].strip()
            note = _INHERIT_NOTE.match(piece)
            if note:
                inherits.append(_clean_piece(note.group(1)))
                units.append(_clean_piece(note.group(1)))
                continue
            if _SAME_BELOW.match(piece):
                inherits.extend(previous)
                continue
            # ``市相关部门及各市<区>``: two bodies joined by 及.
            for part in _AND_EACH.split(piece):
                part = _clean_piece(part)
                if part and not _NOT_A_UNIT.match(part):
                    group.append(part)
        # ``市协调办、市委编办牵头`` makes the whole 、-run lead; so does a 牵头单位： prefix.
        run_is_lead = role_is_lead or (bool(raw_group) and raw_group[-1].endswith("牵头"))
        units.extend(group)
        if run_is_lead:
            lead.extend(group)
        if group:
            previous = group
    return _unique(units), _unique(lead), _unique(inherits)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))
