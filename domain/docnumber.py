"""文号 (document numbers): 苏府规字〔2020〕5号, and government orders: 苏州市人民政府令第145号.

Documents print a 文号 with 〔〕; people type it with any bracket (［］, [], （）, 【】, „‟) and spaces. Both
forms are parsed into one key, (prefix, year, number), so a typed 文号 finds the printed one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_OPEN, _CLOSE = "〔\\[（(【„［", "〕\\]）)】‟］"
# As printed in a document (ingest reads these from the text).
DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,8})〔(\d{4})〕\s*(\d+)\s*号")
# As people type it in a question.
TYPED_DOC_NUMBER = re.compile(
    rf"([\u4e00-\u9fff]{{1,12}}?)\s*[{_OPEN}]\s*(\d{{4}})\s*[{_CLOSE}]\s*第?\s*(\d{{1,4}})\s*号"
)
# Government orders: 苏州市人民政府令第145号, 市政府令第145号.
TYPED_ORDER_NUMBER = re.compile(r"政府令\s*第?\s*(\d{1,4})\s*号")

DocNumberKey = tuple[str, str, int]  # (prefix, year, number); ("令", "", n) for a government order


@lru_cache(maxsize=4096)  # each document's own 文号 is parsed again on every question otherwise
def doc_number_key(text: str) -> DocNumberKey | None:
    """The key of the first 文号 or order number in `text`."""
    text = unicodedata.normalize("NFKC", text)
    order = TYPED_ORDER_NUMBER.search(text)
    number = TYPED_DOC_NUMBER.search(text)
    if number and (not order or number.start() < order.start()):
        return number[1], number[2], int(number[3])
    if order:
        return "令", "", int(order[1])
    return None


def doc_numbers_in(text: str) -> list[DocNumberKey]:
    """Every 文号 and order number a question names."""
    text = unicodedata.normalize("NFKC", text)
    keys = [(m[1], m[2], int(m[3])) for m in TYPED_DOC_NUMBER.finditer(text)]
    keys += [("令", "", int(m[1])) for m in TYPED_ORDER_NUMBER.finditer(text)]
    return keys


def same_doc_number(asked: DocNumberKey, own: DocNumberKey) -> bool:
    """Year and number must agree; the prefix only has to overlap, since the question's prefix may carry the
    words before it (请问苏府规字) or drop a character (苏府规〔2020〕5号)."""
    if asked[1:] != own[1:]:
        return False
    a, o = asked[0], own[0]
    return a.endswith(o) or o.endswith(a) or o in a or (len(a) >= 2 and a[:2] == o[:2])
