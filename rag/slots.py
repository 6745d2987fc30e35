"""What a question asks for — its slots — and what states each in a clause.

A slot is a kind of fact: an amount (多少钱, 比例), a count (多少家), a bare figure (最高多少), a deadline (多久, 几个工作日),
a date or time of day (哪天, 几点), which ones (哪几家), a department, materials or contact details. For each, `SLOTS`
holds the words that ask for it and the pattern a clause's sentence must match to state it; a figure asked in a
unit of its own (多少个工作日, 几辆) is stated only by a figure in that unit (`asked_unit_figure`). The answerability
decision asks whether the supporting clauses state each asked slot about the question's topic; the extractive
answer quotes the fragment that does.
"""

from __future__ import annotations

import re

_NUMERAL = r"(?:\d[\d.,]*|[一两二三四五六七八九十百千][一二两三四五六七八九十百千]*)"
_NOT_AFTER = r"(?<![第\d.一二两三四五六七八九十百千])"  # a figure starts its numeral run; 第二十六条 is an ordinal
_NUMBER = rf"{_NOT_AFTER}{_NUMERAL}"
_COUNT_UNITS = "家|个|项|条|辆|人|名|位|次|批|所|座|台|套|件|份|张|户|床|类|种|档|级|平方米|亩|米|公里|千米|吨|千瓦|兆瓦|立方米"
# A share (50%, 百分之二十, 三成, 两倍) — what 比例 / 税率 / 百分之几 ask for; a sum of money does not state it. A
# share in words states it too: 保费予以全额补贴 (all of it), 减半收取 (half).
_RATIO = re.compile(rf"\d[\d.]*\s*(?:%|％)|百分之|{_NUMBER}\s*(?:倍|个百分点|成)|全额|减半")
# Money or a share (20万元, 一万元, 50%) — what 多少钱 / 补多少 / 比例 ask for; 2万辆 is a count. Not 免费: a free
# service (免费诊断) is no sum granted, and "how much" asks for one.
AMOUNT = re.compile(rf"{_NUMBER}\s*(?:万|亿|千)?\s*(?:元|美元)|\d[\d.]*\s*[万亿](?!{_COUNT_UNITS})|{_RATIO.pattern}")
# A verb of paying or lending before 多少 asks money: 补多少, 最高能贷多少？ 能报销多少？ 押金退多少？
_MONEY_VERBS = ("补", "奖", "罚", "交", "给", "贴", "报", "贷", "借", "赔", "退", "返", "付", "缴", "花", "报销", "赔偿")
_ASKS_RATIO = re.compile(r"比例|费率|税率|利率|百分之几|百分之多少|几成|\bpercentage\b|\brate\b")
_ASKS_MONEY = re.compile(r"多少钱|多少万|金额|" + "|".join(f"{verb}多少(?!时间|天|小时|分钟|周|年|月|个)" for verb in _MONEY_VERBS) +
                         r"|\bhow much\b|\bamount\b|\bfines?\b")
# A count of things (60家, 5000个, 一式两份) — what 多少家 / how many ask for. Not a bare 一 (一个入口 is no count).
_COUNT = re.compile(rf"{_NOT_AFTER}(?!一(?![一二两三四五六七八九十百千\d]))(?:{_NUMERAL})\s*(?:万|亿|千)?\s*(?:{_COUNT_UNITS})")
# An age (45周岁以下, 35岁).
_AGE = re.compile(rf"{_NUMBER}\s*(?:周岁|岁)")
# How long something takes or lasts (多久, 几个工作日, how long) is stated only by a span, a date or a frequency
# (1个工作日, 一个月内, 2027年12月31日, 每两月) …
_SPAN = re.compile(rf"{_NUMBER}\s*(?:个)?(?:工作日|自然日|日|天|周|个月|月|年|小时|分钟|岁|周岁)|\d{{4}}年(?:\d{{1,2}}月)?|"
                   r"每(?:[一两二三四五六七八九十\d]*个?(?:年|季度?|月|周|日|天)|半年)|不(?:得)?少于(?:\d+|[一两二三四五六七八九十]+)次")
# … while "when" may be answered by an event too (签章后生效, 自公布之日起施行, 有效期届满).
_DURATION = re.compile(rf"{_SPAN.pattern}|期限|之日起|以内|届满|有效期|施行|生效|定期")
# … and a cutoff (截止时间, deadline, 最晚什么时候) by a date, a time limit or an event, not by a span that is a
# lower bound: 企业设立三年以上 is a condition on the applicant, not a deadline for applying.
_CUTOFF = re.compile(rf"(?:{_SPAN.pattern})(?!\s*及?以上)|期限|之日起|以内|届满|有效期|施行|生效|定期")
_ASKS_CUTOFF = re.compile(r"截止|最晚|最迟|\bdeadline|\bdue\b|\bby when\b")
ASKS_SPAN = re.compile(r"多久|多长时间|几天|多少天|几个月|多少个?工作日|几个工作日|多少年|多少个月|多少小时|多少周|几年|"
                        r"\bhow (?:long|many (?:days|years|months|hours|weeks|working days))\b")
# A calendar date or a time of day (几月几号, 哪天, 几点上班) is stated only by one (9月1日, 2025年, 每年3月, 上午9:00):
# 每年初 or 定期 tells how often, not when.
_DATE = re.compile(r"\d{4}\s*年|\d{1,2}\s*月(?:份|\d{1,2}\s*日)?|[一二三四五六七八九十]{1,2}月(?:份|[一二三四五六七八九十]{1,3}日)?|"
                   r"\d{1,2}\s*[:：]\s*\d{2}|[上下]午\s*\d|\d{1,2}\s*(?:时|点)(?!\d)|周[一二三四五六日末]")
_CLOCK = r"(?:点|时)(?!\d)|[:：]\s*\d{2}"  # after a number: 9点, 17时, 9:00
# The unit a question asks its figure in (多少个工作日, 几辆, how many working days): a figure in another unit is
# about something else (6个月 of social insurance does not say how many working days an approval takes, 60家 is no
# number of vehicles). Units of the same kind of quantity answer each other (几天: 5个工作日; 几个月: 1年).
_DAYS = "工作日|自然日|天(?!然)|日"
ASKED_UNITS: dict[str, str] = {
    "工作日": _DAYS, "自然日": _DAYS, "天": _DAYS, "日": _DAYS, "周": f"周|星期|{_DAYS}", "星期": f"周|星期|{_DAYS}",
    "月": "个月|月|年", "年": "年", "小时": "小时|分钟", "分钟": "分钟|小时", "岁": "岁|周岁", "周岁": "岁|周岁",
    "辆": "辆", "家": "家", "人": "人|名", "名": "人|名", "次": "次", "台": "台", "套": "套", "平方米": "平方米",
    "公里": "公里|千米", "米": "米",
    "working day": _DAYS, "day": _DAYS, "week": f"周|星期|{_DAYS}", "month": "个月|月|年", "year": "年",
    "hour": "小时|分钟", "vehicle": "辆", "car": "辆", "taxi": "辆", "people": "人|名", "person": "人|名",
    # A time of day (几点开门, what time): a clock time, not a date — 2023年 says nothing of opening hours.
    "几点": _CLOCK, "what time": _CLOCK,
    # A sum asked in a currency of its own (估值多少亿美元): 200万元 is no sum in dollars.
    "美元": r"(?:[万亿千]\s*)?美元",
}
CLOCK_UNITS = ("几点", "what time")
CURRENCY_UNITS = ("美元",)
# 个 is a time unit's measure word (几个工作日, 多少个月) and a thing's own classifier (多少个窗口): after it only a
# time unit is the asked unit.
_ASKS_UNIT = re.compile(r"(?:多少|几)\s*(?:个\s*(工作日|自然日|月|小时|星期)|(工作日|自然日|天(?!然)|日(?![期子常])|"
                        r"周(?![边围末])|星期|年(?![级龄底初])|小时|分钟|周?岁|辆|家|人(?![民员才])|名(?![单称字])|次|台|套|"
                        r"平方米|公里|米)|[万亿千]?\s*(美元))|\bhow many (working day|day|week|month|year|hour|vehicle|car|taxi|people|person)s?\b|"
                        r"(几点)(?=钟|[开关上下前到以之后可能起？?，,])|\b(what time)\b")


def asked_unit(question: str) -> str | None:
    """The unit a question asks a figure in (多少个工作日 → 工作日), or None when it names none (多少钱, 多久). A 几
    that asks nothing (请了几家单位报价，…) names no asked unit: it is read as `asked_slots` reads it."""
    match = _ASKS_UNIT.search(_INDEFINITE.sub(" ", unasked_ji(question.lower())))
    return None if match is None else next(group for group in match.groups() if group)


def is_unit_word(term: str, unit: str | None) -> bool:
    """Whether a question's term is only the `unit` it asks its figure in (工作日, 工作日内, 小时 of "how many
    hours"): what the figure is counted in, not what it is about."""
    return unit is not None and re.fullmatch(rf"(?:{ASKED_UNITS[unit]})(?:内|以内)?", term) is not None


def asked_unit_figure(question: str, slot: str) -> re.Pattern | None:
    """What states the `slot` a question asks in a unit of its own (多少个工作日 → 5个工作日, 15日; 几点 → 9:00),
    or None when it names no unit for that slot (多少钱, 多久 are the slots' own patterns). A time of day is a
    date's unit only, a currency (多少亿美元) a sum's; the others are units of a deadline, a count or a figure."""
    unit = asked_unit(question)
    if unit is None or slot not in _UNIT_SLOTS_OF.get(unit, UNIT_SLOTS):
        return None
    return re.compile(rf"{_NUMBER}\s*个?\s*(?:{ASKED_UNITS[unit]})")


_UNIT_SLOTS_OF = {**{unit: ("date",) for unit in CLOCK_UNITS}, **{unit: ("amount", "figure") for unit in CURRENCY_UNITS}}
_UNIT = re.compile(r"[\u4e00-\u9fff]{1,12}(?:局|委|厅|办公室|办|部门|中心|政府|管委会|机构|委员会)")
_MATERIALS = re.compile(r"材料|提交|提供|出具|证明|申请书|附件|清单|凭")

FIGURE_SLOTS = {"amount", "count", "figure"}
# Facts that are there or not, letter for letter: a figure with its unit, a phone number, an address, a web address.
# A question asking only for such facts, none of which a supporting clause states, is refused by rule.
EXACT_SLOTS = FIGURE_SLOTS | {"contact"}
UNIT_SLOTS = {"deadline", "count", "figure"}  # kinds of fact a question may ask in a unit of its own
# Which ones, by number (哪几家, 哪5个): stated only by a list naming them — three or more items in a
# row (研发设计、检验检测、知识产权) or an enumeration — not by the count alone (建设首批9个实验室).
_WHICH_ONES = tuple(f"哪{n}{unit}" for n in ("几", "两", *"一二三四五六七八九十", *map(str, range(2, 21)))
                    for unit in "个家项所条批类种")
_LIST = re.compile(r"[^、，。；：]{1,30}、[^、，。；：]{1,30}、|[（(][一二三四五六七八九十\d]+[)）].{2,}[（(][一二三四五六七八九十\d]+[)）]",
                   re.S)
# A phone number (a hotline's five digits beside the word, 0512-…, a mobile), a web address or a street address:
# what 打什么电话 / 地址在哪 / which website ask for. Policy documents name the service, rarely how to reach it.
ASKS_PENALTY = re.compile(r"罚|penalt|\bfined?\b|\bfines\b")
_CONTACT = re.compile(r"(?:热线|电话|专线|拨打)[^。；]{0,10}\d{5,}|(?<![\d.])\d{5,}[^。；\d]{0,6}(?:热线|电话|专线)|"
                      r"\d{3,4}[-－]\d{7,8}|(?<!\d)1[3-9]\d{9}(?!\d)|https?://|www\.|[A-Za-z0-9-]+\.(?:gov\.cn|com|cn)\b|"
                      r"[路街巷道]\d+号")
SLOTS: dict[str, tuple[tuple[str, ...], re.Pattern]] = {
    # slot: (words that ask for it, what states it in a clause)
    "deadline": (("多久", "多长时间", "多少时间", "期限", "几天", "多少天", "几个月", "多少个工作日", "几个工作日", "时限", "时间限制", "截止",
                  "什么时候", "何时", "多少年", "多少个月", "多少小时", "多少周", "多少岁", "几年", "几岁", "how long",
                  "how many days", "how many years", "how many months", "how many hours", "deadline", "when",
                  # an age limit, stated as a span too (45周岁以下); 多大 alone may ask a sum or an area (规模多大)
                  "多大年纪", "多大年龄", "年龄多大", "年纪多大", "多大以内", "多大以下", "多大以上", "多大的孩子",
                  "how old", "what age", "age limit"),
                 _DURATION),
    "amount": (("多少钱", "多少万", "多少补贴", "多少奖励", "多少资助", "多少补助", "多少资金", "多少费", "多少押金",
                "多少罚款", "金额", *(f"{verb}多少" for verb in _MONEY_VERBS),
                "标准是", "比例", "费率", "税率", "利率", "百分之几", "百分之多少", "几成", "how much", "amount", "percentage", "rate",
                "the fine", "fine for", "fines"), AMOUNT),
    "count": (("多少家", "多少个", "多少项", "多少辆", "多少名", "多少人", "多少次", "多少条", "多少批", "多少所", "多少份",
               "几家", "几项", "几辆", "几份", "how many"), _COUNT),
    # A bare 多少 (目标是多少？) asks for a figure of any kind, and so does a cap: 补贴上限 is money, 年龄上限 an age.
    "figure": (("多少", "最高", "上限", "最低", "下限", "maximum", "minimum"),
               re.compile(f"{AMOUNT.pattern}|{_COUNT.pattern}|{_AGE.pattern}")),
    "date": (("几月几号", "几月几日", "几月份", "几月", "几号", "哪天", "哪一天", "哪日", "哪个月", "哪年", "哪一年", "日期",
              "几点钟", "几点上", "几点下", "几点开", "几点关", "几点前", "几点到", "到几点", "几点以", "几点之", "几点后",
              "几点可", "几点能", "几点起", "上班时间", "办公时间", "开放时间",
              "what date", "which date", "what day", "which day", "what time", "which month", "what month",
              "which year", "what year", "opening hours", "office hours"), _DATE),
    "names": ((*_WHICH_ONES, "名单", "分别是哪", "是哪几", "which ones", "list of"), _LIST),
    "department": (("哪个部门", "哪些部门", "什么部门", "找谁", "谁负责", "谁管", "归哪", "which department",
                    "who is responsible", "which agency", "which bureau"), _UNIT),
    "materials": (("什么材料", "哪些材料", "材料", "带什么", "准备什么", "what documents", "materials"), _MATERIALS),
    "contact": (("电话是多少", "电话多少", "电话是什么", "什么电话", "哪个电话", "联系电话", "咨询电话", "服务电话", "热线电话",
                 "热线号码", "热线是多少", "号码是多少", "号码多少", "什么号码", "哪个号码", "什么地址", "哪个地址", "地址在哪",
                 "地址是多少", "地址是什么", "具体地址", "详细地址", "网址", "哪个网站", "什么网站", "网站是", "phone number",
                 "telephone number", "contact number", "hotline number", "emergency number", "what number",
                 "which number", "the address", "what address", "which address", "address of", "which website", "what website",
                 "the website", "website address", "web address", "url", "online portal", "which portal", "what portal"),
                _CONTACT),
}


# What each slot is called when an answer says it is not stated (a new slot needs a name in both, and in
# rag/extractive.py STATED_SLOTS when the 结论 line should quote it, SAID_UNSTATED when it should say it is missing).
SLOT_NAMES = {"amount": "具体金额或比例", "count": "具体数量", "figure": "具体数额", "deadline": "具体期限",
              "date": "具体日期或时间", "names": "具体名单", "department": "负责部门", "materials": "所需材料",
              "contact": "具体电话、地址或网址"}
SLOT_ENGLISH = {"amount": "the amount or ratio", "count": "the number", "figure": "the figure",
                "deadline": "the time limit", "date": "the date or time", "names": "which ones they are",
                "department": "the responsible department",
                "materials": "the materials required", "contact": "the phone number, address or website"}


def stating_pattern(slot: str, in_unit: re.Pattern | None, span: bool = False, cutoff: bool = False,
                    ratio: bool = False) -> re.Pattern:
    """What states the asked slot: a figure in the unit the question names for it, a span for a deadline asked
    as one, a cutoff for one asked as a cutoff, a share for an amount asked as one, else the slot's own pattern."""
    if in_unit is not None:
        return in_unit
    if slot == "amount" and ratio:
        return _RATIO
    if slot == "deadline" and span:
        return _SPAN
    return _CUTOFF if slot == "deadline" and cutoff else SLOTS[slot][1]


def asks_ratio(question: str) -> bool:
    """Whether the amount asked is a share (比例, 税率, 百分之几), not a sum of money."""
    q = question.lower()
    return bool(_ASKS_RATIO.search(q)) and not _ASKS_MONEY.search(q)


def states_ratio(text: str) -> bool:
    """Whether a text states a share (50%, 三成, 减半), not only a sum."""
    return bool(_RATIO.search(text))


def asks_cutoff(question: str) -> bool:
    """Whether the question asks by when (截止, 最晚, deadline) rather than how long."""
    lowered = question.lower()
    return bool(_ASKS_CUTOFF.search(lowered)) and not ASKS_SPAN.search(lowered)


def states_cutoff(text: str) -> bool:
    """Whether a text states a cutoff: a date, a time limit or an event, not only a lower bound (三年以上)."""
    return bool(_CUTOFF.search(text))


def asked_slots(question: str) -> list[str]:
    """Every kind of fact the question asks for (a question may ask for an amount and a department), in SLOTS
    order. Longer asking words are read first and blanked out, so the 多少 of 多少天 or the "how many" of "how many
    days" asks for nothing more; English words match whole ("rate" is not in "cooperate")."""
    text = _INDEFINITE.sub(" ", unasked_ji(question.lower()))
    asked: set[str] = set()
    for ask, slot, pattern in _ASKS:
        if ask in text and pattern.search(text):  # the plain test first: most questions hold few asking words
            asked.add(slot)
            text = pattern.sub(" ", text)
    if asked & {"amount", "count"}:
        asked.discard("figure")  # 最高多少钱: the money is the figure asked for
    return [slot for slot in SLOTS if slot in asked]


# 几 after these asks nothing: 好几家 (quite a few), 这几项 (these), 前几天 (the other day), 十几辆 (a dozen or so),
# 派了几辆车 (a done deed's "a few": asked, it would be 派了多少辆).
_INDEFINITE = re.compile(r"(?<=[好这那前头近十了])几")
# 几 before a measure word for things (几家企业, 几份材料) is "a few" in a clause that tells or asks yes or no; it asks
# how many only when any of these holds:
# - its clause ends the question or ends on a question mark, and is no yes/no question (可不可以请几家单位报价？);
# - an asking verb comes before it in its sentence (他问要准备几份材料，…);
# - it is what its clause ends on (需要几个人，几份材料？), or it asks what there is (有几家，要几个).
# 几 before a unit of time or age (几天, 几个月, 几岁) always asks: 交上去后几天办好，去哪里取？
_ASKED_TAIL = 4
_CLAUSE = re.compile(r"[^，,。；;！!？?\n]*[，,。；;！!？?\n]?")
_YES_NO = re.compile(r"(.)[不没]\1|吗|是否|有没有|是不是|可不可以")
_ASKING_VERB = re.compile(r"问|想知道|了解一下|咨询|请教|打听")
_JI_OF_THINGS = re.compile(r"几(?=家|位|辆|台|份|名|间|套|条|所|项|批|件|种|类|户|张|座|次|个(?!月|工作日|小时|星期|礼拜))")


def unasked_ji(question: str) -> str:
    """The question with each 几 of things that its clause does not ask blanked: 我们和几家单位合作，…
    and 找了几家机构咨询过，… say "a few", not "how many"."""
    out, sentence = [], ""
    for clause in _CLAUSE.findall(question):
        match = _JI_OF_THINGS.search(clause)
        if match:
            before, after = clause[: match.start()], clause[match.end():]
            ends_question = clause[-1:] in "？?" or clause[-1:] not in "，,。；;！!\n"
            asks = ((ends_question and not _YES_NO.search(clause))
                    or bool(_ASKING_VERB.search(sentence + before))
                    or len(after.rstrip("，,。；;！!\n")) <= _ASKED_TAIL
                    or before.endswith(("有", "要", "是")))
            if not asks:
                clause = _JI_OF_THINGS.sub(" ", clause)
        out.append(clause)
        sentence = "" if clause[-1:] in "。！!？?\n" else sentence + clause
    return "".join(out)


# English words that ask only in one use: "when" as a question word (when does it take effect; not "when
# filing"), "rate" as a noun (the rate; not "rate us").
_ENGLISH_ASKS = {
    "when": r"(?:^|[.?!]\s*|\b(?:by|until|since|and|or)\s+)when\b(?!\s+(?:we|i|you|he|she|they|it|our|my|your|their|"
            r"his|her|a|an|the|this|that|there|someone|somebody)\b)|\bwhen\s+(?:does|do|did|is|are|was|were|will|would|"
            r"can|could|should|must|shall)\b",
    "rate": r"\brate\b(?!\s+(?:us|them|me|it|him|her|our|their|your|his|its|the|a|an|this|that|these|those)\b)",
}
_ASKS = [(ask, slot, re.compile(_ENGLISH_ASKS.get(ask, rf"\b{re.escape(ask)}\b") if ask.isascii() else re.escape(ask)))
         for ask, slot in sorted(((ask, slot) for slot, (asks, _) in SLOTS.items() for ask in asks),
                                 key=lambda pair: -len(pair[0]))]
