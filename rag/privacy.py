"""PII masking for citizens' messages: applied before a message is logged, embedded or sent to an LLM.

Masks keep a few characters (139****5678) so staff can still tell two callers apart on the record, while the
full number, ID or card never leaves the process.
"""

from __future__ import annotations

import re

# Order matters: longer digit runs (ID cards, bank cards) first, so a mobile number pattern never eats a piece
# of an ID card. Boundaries are "not a digit" rather than \b, since Chinese characters count as word characters.
_ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
_BANK_CARD = re.compile(r"(?<!\d)\d{4}(?:[ -]?\d){12,15}(?!\d)")
# Callers separate digit groups with spaces, hyphens or dots (139.1234.5678).
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?(1[3-9]\d)[ .-]?\d{4}[ .-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[ .-]?\d{3,4}[ .-]?(\d{4})(?!\d)")
# A Chinese IME often types full-width digits (１３９…); they are read as ASCII so the patterns above see them.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ＋－．", "0123456789Xx+-.")
_EMAIL = re.compile(r"([A-Za-z0-9])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# A name right after a self-introduction: 我叫张三 / 本人李四 / 姓名：王五 (not 我是…: 我是企业主). Two to three CJK characters, the
# surname kept; titles such as 先生/女士 are not names and are left alone.
_NAME = re.compile(r"(我叫|本人|姓名[:：]?\s*|联系人[:：]?\s*)([\u4e00-\u9fff])([\u4e00-\u9fff]{1,2})(?=[，,。；;、\s]|$)")
_NOT_NAMES = ("先生", "女士", "市民", "企业", "公司", "个人", "老板", "员工", "业主", "居民", "大学", "本科", "大专", "外地")


def mask_pii(text: str) -> str:
    """`text` with phone numbers, ID cards, bank cards, emails and self-introduced names masked."""
    text = text.translate(_FULL_WIDTH_DIGITS)
    text = _ID_CARD.sub(lambda m: f"{m[1]}********{m[2]}", text)
    text = _BANK_CARD.sub(_mask_card, text)
    text = _MOBILE.sub(lambda m: f"{m[1]}****{m[2]}", text)
    text = _LANDLINE.sub(lambda m: f"{m[1]}-****{m[2]}", text)
    text = _EMAIL.sub(lambda m: f"{m[1]}***{m[2]}", text)
    return _NAME.sub(_mask_name, text)


def _mask_card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match[0])
    return f"{digits[:4]} **** **** {digits[-4:]}"


def _mask_name(match: re.Match) -> str:
    intro, surname, rest = match.groups()
    if surname + rest in _NOT_NAMES or any((surname + rest).startswith(w) for w in _NOT_NAMES):
        return match[0]
    return f"{intro}{surname}{'*' * len(rest)}"
