"""Chinese numerals as policy documents number their 条, items and years: 三 → 3, 二十五 → 25, 一百零二 → 102."""

from __future__ import annotations

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# A regex character class of the characters a Chinese numeral is written with.
CN_NUMERAL = "[一二三四五六七八九十百零〇两]"


def cn_to_int(text: str) -> int | None:
    """二十五 → 25, 十 → 10, 一百零二 → 102, "35" → 35; None when `text` is not a number."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in DIGITS:
            current = DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current or None


def int_to_cn(n: int) -> str:
    """25 → 二十五, 10 → 十, 102 → 一百零二, 110 → 一百一十 (the way 条 and outline items are numbered)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        tail = ""
    elif rest < 10:
        tail = "零" + digits[rest]
    else:
        tail = ("一" if rest < 20 else "") + int_to_cn(rest)
    return digits[hundreds] + "百" + tail
