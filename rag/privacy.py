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
# Names. A Chinese name is a surname (the common ones below cover the great majority of callers) and one or two
# given-name characters. A name is masked where a message marks it as one: after an introduction (我叫/我是/本人/
# 姓名：/联系人：/来电人：/市民 …), before 先生/女士/同志 when a given name is there (张先生 alone names no one),
# and as a signature (a last line that is only a name, or a name after —— or before a date). The surname stays.
_SURNAMES = (
    "欧阳|司马|诸葛|上官|东方|皇甫|慕容|令狐|夏侯|尉迟|公孙|长孙|宇文|司徒|端木|"
    "[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝]"
)
# Characters no given name is made of here: they end place and organisation words (苏州人, 王府井, 张家港的 …).
_NOT_GIVEN = "市区县镇乡村省州人企业公司店厂局委办院所站部门中心街路港湾的了在是想要和与及也都就还先生女士老板家"
_NAME_AT = rf"(?P<surname>{_SURNAMES})(?P<given>[^\W\d_A-Za-z{_NOT_GIVEN}]{{1,2}})"
_INTRO = r"(?:我叫|我是|本人|姓名|联系人|来电人|来信人|反映人|投诉人|举报人|申请人|当事人|市民|居民|业主|网民|群众)[:：]?\s*"
# After the name: punctuation, the end, or a word that follows a caller's name in a record.
_AFTER = r"(?=[，,。；;、：:\s（(）)]|$|来电|来信|反映|投诉|咨询|称|表示|说|先生|女士|同志|电话|手机|联系|身份证|住)"
_INTRODUCED = re.compile(rf"(?P<intro>{_INTRO}){_NAME_AT}{_AFTER}")
_TITLED = re.compile(rf"{_NAME_AT}(?=先生|女士|同志)")
_SIGNED = re.compile(
    rf"(?m)(?:(?<=——)|(?<=—)|(?<=署名[:：])|(?<=落款[:：])|^)\s*{_NAME_AT}\s*"
    r"(?=\s*(?:\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{4}[-./]\d{1,2}[-./]\d{1,2})?\s*$)"
)
_NOT_NAMES = {"谢谢", "谢谢您", "此致", "敬礼", "您好", "你好", "万分", "感谢", "祝好", "许可", "周末", "明天", "全体",
              "应当", "关于", "成本", "高新", "安全", "文明", "常州", "江阴", "宁波", "温州", "金华"}
# Addresses: the house, building, unit and room numbers (人民路88号3幢2单元501室 → 人民路**号*幢*单元***室) and
# the 3-2-501 shorthand; road and estate names stay, so staff can still tell which area a call is about.
_HOUSE = re.compile(r"(?<=[路街巷弄道里村组])\d+(?:-\d+)?(?=号)")
_BUILDING = re.compile(r"(?<![\d.])\d+(?=\s*(?:号楼|幢|栋|座|单元|室|层|楼(?![盘市])))")
_ADDRESS_CODE = re.compile(r"(?<=[苑园村庭居城坊府湾寓舍区厦])\d{1,3}-\d{1,3}(?:-\d{1,4})?")


def mask_pii(text: str) -> str:
    """`text` with phone numbers, ID cards, bank cards, emails, names and house/building/room numbers masked."""
    text = text.translate(_FULL_WIDTH_DIGITS)
    text = _ID_CARD.sub(lambda m: f"{m[1]}********{m[2]}", text)
    text = _BANK_CARD.sub(_mask_card, text)
    text = _MOBILE.sub(lambda m: f"{m[1]}****{m[2]}", text)
    text = _LANDLINE.sub(lambda m: f"{m[1]}-****{m[2]}", text)
    text = _EMAIL.sub(lambda m: f"{m[1]}***{m[2]}", text)
    text = _INTRODUCED.sub(_mask_name, text)
    text = _TITLED.sub(_mask_name, text)
    text = _mask_signature(text)
    text = _HOUSE.sub(_stars, text)
    text = _BUILDING.sub(_stars, text)
    return _ADDRESS_CODE.sub(lambda m: re.sub(r"\d", "*", m[0]), text)


def _mask_card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match[0])
    return f"{digits[:4]} **** **** {digits[-4:]}"


def _stars(match: re.Match) -> str:
    return "*" * len(match[0])


def _mask_name(match: re.Match) -> str:
    surname, given = match["surname"], match["given"]
    if surname + given in _NOT_NAMES:
        return match[0]
    start = match.start("surname") - match.start()
    return f"{match[0][:start]}{surname}{'*' * len(given)}"


def _mask_signature(text: str) -> str:
    """A name signed under the message: after ——/署名：, before a date, or alone on the last line."""
    lines = text.rstrip().split("\n")
    last = len(lines) - 1

    def sign(number: int, line: str) -> str:
        match = _SIGNED.search(line)
        if match is None or match["surname"] + match["given"] in _NOT_NAMES:
            return line
        signed = line[: match.start()].endswith(("—", "：", ":")) or re.search(r"\d", line[match.end():])
        if not signed and number != last:
            return line
        return line[: match.start("given")] + "*" * len(match["given"]) + line[match.end("given"):]

    masked = "\n".join(sign(n, line) for n, line in enumerate(lines))
    return masked + text[len(text.rstrip()):]
