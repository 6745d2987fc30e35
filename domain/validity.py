"""Whether a document is in force on a given day.

Validity depends on the day of the question, so it is judged at answer time from the document's
`valid_until` / `effective_date`, never stored as a flag in the index. Every stage (answers, the library,
the API's status filter) uses these words and this rule.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

IN_FORCE = "有效"
EXPIRED = "已过期"
UNSTATED = "未注明有效期"
NOT_YET = "尚未施行"
Status = Literal["有效", "已过期", "未注明有效期"]
STATUSES: tuple[Status, ...] = (IN_FORCE, EXPIRED, UNSTATED)

# Until when a document runs, asked of the document itself (本办法执行至何时？ 这些措施截止到哪一天？).
_UNTIL_WHEN = (r"(?:政策|措施|办法|意见|方案|文件|规定|条例|细则)[^，。？?！!]{0,8}?(?:到|至|截至|截止到?)"
               r"(?:哪年|哪一年|哪天|哪一天|什么时候|何时|几时|哪个月)")
# Since when a document applies, asked of the document itself (这份办法哪一天起实施; not 工程何时实施).
_SINCE_WHEN = (r"(?:政策|措施|办法|意见|方案|文件|规定|条例|细则|通知)[^，。？?！!]{0,8}?"
               r"(?:开始|(?:哪天|哪一天|何时|什么时候)起?(?:开始)?)(?:执行|实施|实行)")
# A question about whether, or since or until when, a document applies …
ASKS_VALIDITY = re.compile(rf"有效|施行|失效|到期|过期|废止|{_SINCE_WHEN}|{_UNTIL_WHEN}|"
                           r"in force|valid|expir|take[sn]? effect|effective",
                           re.I)
# … in words that can only mean the document's own term, not a date something in it takes effect (承诺书签章后生效)
ASKS_TERM = re.compile(rf"有效期|还有效|是否有效|失效|到期|过期|废止|{_UNTIL_WHEN}|in force|valid until|still valid|"
                       r"validity|expir|until when", re.I)
# … and the sentence of a document that answers it (本办法自2018年6月1日起施行；有效期至2027年12月31日).
STATES_VALIDITY = re.compile(r"起(?:施行|实施|执行)|有效期(?:至|为)|至\d{4}年\d{1,2}月\d{1,2}日止")


def cn_date(iso: str) -> str:
    """2027-12-31 → 2027年12月31日."""
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def validity_of(doc: dict, today: date) -> tuple[str, bool]:
    """(human-readable validity, expired) of a document's metadata on `today`:
    有效（有效期至2027年12月31日） / 已过期（有效期至2020年12月31日） / 尚未施行（自…起施行） / 未注明有效期."""
    until, start = doc.get("valid_until"), doc.get("effective_date")
    if until and date.fromisoformat(until) < today:
        return f"{EXPIRED}（有效期至{cn_date(until)}）", True
    if start and date.fromisoformat(start) > today:
        return f"{NOT_YET}（自{cn_date(start)}起施行）", False
    if until:
        return f"{IN_FORCE}（有效期至{cn_date(until)}）", False
    return UNSTATED, False


def is_expired(doc: dict, today: date) -> bool:
    return validity_of(doc, today)[1]


def status_of(doc: dict, today: date) -> Status:
    """The short status a badge or filter uses: 有效 / 已过期 / 未注明有效期 (no end date stated)."""
    until = doc.get("valid_until")
    if not until:
        return UNSTATED
    return EXPIRED if date.fromisoformat(until) < today else IN_FORCE
