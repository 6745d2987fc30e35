"""The extractive answerer (no LLM, deterministic): the passages of the best clauses that answer the question,
verbatim, each cited with [n], under a one-line 结论 that states the asked fact.

A clause is cut into passages: sentences, and enumerations kept whole (a lead sentence ending in "：" with the
items （一）（二）… that follow it), because a list answers only when all of it is there. Passages are scored by
how much of the question's information (IDF-weighted tokens) they contain, plus a bonus for each asked slot —
the kind of fact the question asks for (amount, department, deadline, conditions, penalty …) — they fill. For
every asked slot the answer carries at least one passage that fills it when the chosen clauses have one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from domain.validity import ASKS_TERM, UNSTATED, cn_date
from ingest.model import Clause
from ingest.tokenize import split_sentences, tokenize
from ingest.units import parse_trailer
from rag.answerability import salient_terms, term_found
from rag.citations import Departments, department_phrase, flat_validity
from rag.lookup import article_number
from rag.slots import (AMOUNT, SLOT_ENGLISH, SLOT_NAMES, SLOTS, asked_slots, asks_cutoff, asks_ratio, states_cutoff,
                       states_ratio)
from rag.translate import is_latin, to_chinese
from rag.types import Citation

_ITEM_MARKER = r"(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+[.．、](?!\d))"
_LEADING_MARKER = re.compile(rf"^\s*(?:第[一二三四五六七八九十百零〇两]+条|{_ITEM_MARKER})\s*")
_STARTS_ITEM = re.compile(rf"^\s*{_ITEM_MARKER}")
_ENUMERATION = re.compile(rf"^([^：:]*[：:])({_ITEM_MARKER}.*)$", re.S)
_FRAGMENT = re.compile(r"[^，,；：:。！？]+[，,；：:。！？]?")
_EXEMPTION = re.compile(r"不受[^，。；]{0,6}限制|不受此限")  # a bar lifted: 年龄不受限制, …的，不受此限
_SANCTION = re.compile(r"警告|吊销|没收|责令停(?:产|业)|暂扣|拘留|取消.{0,8}资格")

# Kinds of fact beyond the answerability slots (rag/answerability.py SLOTS: deadline, date, amount, count,
# figure, names, department, materials, contact), recognised to shape the answer only: adding them to SLOTS would change
# the fitted model's slot feature. (words that ask for it, what states it in a clause)
MORE_SLOTS: dict[str, tuple[tuple[str, ...], re.Pattern]] = {
    # 多大 asks a length or an area only of a range or a place: 规模多大 asks a sum, 多大年纪 an age.
    "measure": (("多宽", "多远", "多高", "多深", "多大范围", "范围多大", "多大面积", "面积多大", "多大地方", "几米", "多少米",
                 "距离", "how wide", "how far"),
                re.compile(r"\d+(?:\.\d+)?\s*(?:米|公里|千米|厘米|毫米|平方米|公顷|层)")),
    "condition": (("条件", "要求", "资格", "符合", "能不能办", "能申报", "能否申报", "可以申请", "能不能申请", "够不够",
                   "eligib", "condition", "requirement"),
                  re.compile(r"条件|符合|具备|具有|不低于|不少于|不超过|以上|以下|之一|达到")),
    "penalty": (("处罚", "罚款", "罚多少", "怎么罚", "后果", "法律责任", "会怎么样", "会怎样", "penalt", "a fine", "the fine",
                 "fine for", "fines", "fined", "what happens if", "consequence"),
                re.compile(r"罚款|处罚|吊销|责令|追究|撤销|取消|没收|处分|处\d")),
    "procedure": (("怎么办", "如何办", "怎么申请", "如何申请", "流程", "程序", "手续", "步骤", "交到哪", "向哪", "去哪",
                   "怎么兑付", "how to apply", "procedure"),
                  re.compile(r"申请|提交|受理|办理|审核|核对|报送|备案|登记|兑付")),
    "validity": (("有效期", "还有效", "有效吗", "失效", "到期", "施行", "还能申请", "还能不能申请",
                  "还能享受", "还能不能享受", "还用吗", "废止", "in force", "expire", "valid"),
                 re.compile(r"有效期|施行|废止|届满|之日起|\d{4}年\d{1,2}月\d{1,2}日")),
    # A question of permission (may I / is it allowed), not of existence (有没有优惠): a prohibition answers it,
    # and so does a right (有权拒绝 answers 能不能拒绝).
    "yesno": (("能不能", "能否", "可不可以", "可以吗", "行不行", "是否允许", "是否可以", "允许", "can i", "is it allowed"),
              re.compile(rf"不得|禁止|严禁|不能|不予|不准|不允许|可以|有权|应当|必须|限于|{_EXEMPTION.pattern}")),
    # Whether something is regulated at all (有没有规定, 有没有依据): a sentence that obliges, permits or forbids.
    "rule": (("有没有规定", "有没有相关规定", "是否有规定", "有什么规定", "有没有依据", "有什么依据", "依据是什么", "合不合理",
              "合理吗", "合法吗", "is there a rule"),
             re.compile(r"不得|禁止|严禁|应当|必须|可以|有权")),
    "definition": (("是什么", "什么是", "指什么", "是指", "含义", "定义", "何谓", "what is", "what does"),
                   re.compile(r"是指|所称|指的是")),
}
ANSWER_SLOTS: dict[str, tuple[tuple[str, ...], re.Pattern]] = {**SLOTS, **MORE_SLOTS}
# More ways of asking for an answerability slot than that model was fitted on (who issues, who explains).
MORE_ASKS: dict[str, tuple[str, ...]] = {
    "department": ("谁牵头", "牵头部门", "牵头单位", "哪个单位", "哪些单位", "什么单位", "哪个机构", "哪家单位",
                   "哪个局", "由谁", "谁来", "谁解释", "负责解释", "哪里管", "归谁", "向哪里", "找哪里", "向谁", "哪里投诉",
                   "哪里反映", "哪里举报"),
    # 规模多大 asks a sum (多大 alone is no longer a length, see "measure"); a plan's target is a figure to reach
    "figure": ("规模多大", "多大规模", "规模有多大", "什么目标", "目标是什么", "有没有目标", "数量目标", "target"),
    "deadline": ("时间要求", "时限要求", "有没有期限"),
    "amount": ("怎么补", "如何补贴", "怎么奖", "如何奖励", "补贴怎么算", "奖励怎么算", "what is the cap", "what's the cap",
               "the maximum amount", "up to how much", "how big a", "what reward", "what subsidy", "what support"),
}

GENERIC_CUES = re.compile(r"万元|%|补贴|奖励|不超过|最高|负责|申请|条件")
SLOT_WEIGHT = 0.12
TITLE_WORD_FACTOR = 0.3
MAX_UNITS_FIRST = 3
MAX_UNITS_OTHER = 2
# Clauses an answer quotes for the whole question: the best-ranked and those answering nearly as well. Dev set
# (1,442): 3 → 4 raised key facts 0.855 → 0.865 (multi-clause 0.707 → 0.733, department 0.920 → 0.929) and lost
# none, at 6 % longer answers and citation precision 0.522 → 0.514; 5 gave 5 more items their fact.
MAX_CLAUSES = 4
SHORT_CLAUSE_CHARS = 250  # a clause this short is quoted whole when it leads: about a minute read aloud
CANDIDATE_CLAUSES = 5
# A part of a question is answered from the clause its own retrieval ranks first, when that clause's best passage
# scores at least this share of the best-scoring passage of all candidates: the ranking reads meaning (反悔 →
# 解除承诺) the words miss. Dev set, multi-clause parts: 0.3 → 102, 0.5 → 107, 0.7 → 106 of 165 answered; words
# alone, 95.
OWN_RANKING_SHARE = 0.5
# Clauses a question's parts may add to those its whole chose (a part answered in a chosen clause adds none). Dev set
# (1,442): 1 → 2 gave 3 multi-clause answers their missing key fact (0.697 → 0.707) and took none away.
MAX_PART_CLAUSES = 2


@dataclass
class Extract:
    clause: Clause
    sentences: list[str]  # the chosen passages (sentences or whole enumerations), in clause order
    best: float


# Token sets remembered (~2 KB each): the corpus's passages and titles, scored question after question.
TOKEN_SET_CACHE = 16384


@lru_cache(maxsize=TOKEN_SET_CACHE)
def token_set(text: str) -> frozenset[str]:
    """The distinct tokens of a text, remembered. Answers score the same clause passages and document titles
    question after question; cutting them with jieba again each time was most of the answerer's time."""
    return frozenset(tokenize(text))


# When the policy itself starts asks its validity; when a thing in it starts (申请书哪天开始生效) does not.
_DOCUMENT_STARTS = re.compile(r"(?:政策|办法|规定|措施|意见|方案|计划|文件|条例|细则)[^，。？?]{0,6}(?:什么时候|哪天|何时)开始")
# 有补贴吗？ / 有没有奖励？ asks, if there is one, how much: the 结论 states the sum the clause grants.
_ASKS_BENEFIT = re.compile(r"有(?:没有)?[^，。？?；]{0,8}(?:补贴|补助|奖励|资助|奖补|支持|扶持)(?:吗|么|没有|呢)|"
                           r"有没有[^，。？?；]{0,8}(?:补贴|补助|奖励|资助|奖补|支持|扶持)")
# 违规了怎么处理？ (and 查出来怎么处理？) asks for the penalty as much as 怎么罚 does.
_BREACH_HANDLED = re.compile(r"(?:违(?:规|反|法|章)|查出|查到|查实)[^。？?！!]{0,12}(?:怎么|如何|咋)(?:处理|处置|办)")


def answer_slots(question: str) -> list[str]:
    """Every kind of fact the question asks for: the answerability slots, then the answer-shaping ones."""
    q = question.lower()
    asked = asked_slots(question)
    asked += [slot for slot, asks in MORE_ASKS.items() if slot not in asked and any(a in q for a in asks)]
    asked += [slot for slot, (asks, _) in MORE_SLOTS.items() if any(a in q for a in asks)]
    if (ASKS_TERM.search(question) or _DOCUMENT_STARTS.search(question)) and "validity" not in asked:
        asked.append("validity")
    if "validity" in asked and "date" in asked:
        asked.remove("date")  # 到哪天为止？ is answered by the validity statement's date, not by any date quoted
    if "amount" not in asked and _ASKS_BENEFIT.search(question):
        asked.append("amount")
    if "penalty" not in asked and _BREACH_HANDLED.search(question):
        asked.append("penalty")
    if "yesno" not in asked and re.search(r"(?:能|可以|可|行|允许)[^，。？?]{0,15}吗[？?。！!\s]*$", question.strip()):
        asked.append("yesno")
    return asked


def fills(passage: str, slot: str) -> bool:
    return bool(ANSWER_SLOTS[slot][1].search(passage))


def sets_penalty(passage: str) -> bool:
    """A passage that sets a penalty — a fine with its figure (并处五千元以上罚款) or a sanction such as 吊销 —
    not one that refers elsewhere (按有关规定实施处罚, 依照第26条处罚)."""
    return fills(passage, "penalty") and bool(AMOUNT.search(passage) or _SANCTION.search(passage))


def passages(text: str, label: str = "") -> list[str]:
    """A clause's text as answer passages: each sentence, except that a sentence ending in "：" and the items
    following it (on their own lines or inline, with their continuation sentences) form one passage. The
    clause's own label at its start (第十五条) is dropped: the answer's lead-in already names it."""
    pieces = []  # (line number, sentence)
    for line_no, line in enumerate(text.splitlines()):
        pieces += [(line_no, s) for s in split_sentences(line)]
    out: list[str] = []
    i = 0
    while i < len(pieces):
        line_no, sentence = pieces[i]
        j = i + 1
        if sentence.rstrip().endswith(("：", ":")) and j < len(pieces) and _STARTS_ITEM.match(pieces[j][1]):
            last_line = line_no
            while j < len(pieces) and (_STARTS_ITEM.match(pieces[j][1]) or pieces[j][0] == last_line and j > i + 1):
                last_line = pieces[j][0]
                j += 1
        out.append("".join(s for _, s in pieces[i:j]))
        i = j
    if out and label:
        out[0] = re.sub(rf"^{re.escape(label)}\s*", "", out[0]) or out[0]
    return [p for p in out if p.strip()]


def term_weights(question: str, idf: Callable[[str], float]) -> dict[str, float]:
    """The question's words with their IDF, to find the passages that share them; an English question's words
    are its Chinese pseudo-query's (rag/translate.py), since the passages are Chinese."""
    text = f"{question} {to_chinese(question)}" if is_latin(question) else question
    return {t: idf(t) for t in token_set(text)}


def score_passage(passage: str, query_weights: dict[str, float], slots: list[str]) -> float:
    """Share of the question's IDF mass the passage contains, plus a bonus per asked slot it fills. An
    enumeration answers as well as its best item read with its lead: the words of all its items together
    would outscore every plain sentence."""
    enumeration = _ENUMERATION.match(passage)
    if enumeration:
        lead, items = enumeration[1], re.split(rf"(?={_ITEM_MARKER})", enumeration[2])
        return max(_score_text(lead + item, query_weights, slots) for item in items if item.strip())
    return _score_text(passage, query_weights, slots)


def _score_text(passage: str, query_weights: dict[str, float], slots: list[str]) -> float:
    total = sum(query_weights.values())
    present = token_set(passage)
    overlap = sum(w for t, w in query_weights.items() if t in present) / total if total else 0.0
    if slots:
        bonus = sum(1 for slot in slots if fills(passage, slot))
    else:
        bonus = len(set(GENERIC_CUES.findall(passage)))
    return overlap + SLOT_WEIGHT * min(bonus, 3)


def extract(
    question: str,
    clauses: list[Clause],
    idf: Callable[[str], float],
    whole_first: bool = False,
    firsts: dict[str, str] | None = None,
) -> list[Extract]:
    """The answering passages of up to MAX_CLAUSES clauses, in ranking order: the best-ranked clause, then
    those among the next CANDIDATE_CLAUSES whose best passage answers nearly as well (a question of several
    parts is often answered by a clause ranked fourth). The first clause is quoted whole when it is short (a
    question's second part is often answered by the sentence its words miss: 乱收费可以拒交吗？ by 有权拒绝),
    or when `whole_first`: the question named that clause, so it wants the clause itself. `firsts`: the clause id
    each of the question's parts, ranked on its own, put first."""
    query_weights = term_weights(question, idf)
    slots = answer_slots(question)
    found: list[Extract] = []
    for position, clause in enumerate(clauses[:CANDIDATE_CLAUSES]):
        units = passages(clause.text, clause.label)
        if not units:
            continue
        if position == 0 and (whole_first or len(clause.text) <= SHORT_CLAUSE_CHARS):
            # Quoted whole. A named clause leads whatever its words; a short one keeps its best passage's score,
            # against which the next clauses are weighed.
            best = 1.0 if whole_first else _extract_one(clause, units, query_weights, slots, MAX_UNITS_FIRST).best
            found.append(Extract(clause, units, best))
            continue
        limit = MAX_UNITS_FIRST if not found else MAX_UNITS_OTHER
        found.append(_extract_one(clause, units, query_weights, slots, limit))
    if not found:
        return []
    first, rest = found[0], found[1:]
    neighbours = {ex.clause.id for ex in rest if continues(first.clause, ex.clause)}
    strong = sorted((ex for ex in rest if ex.best >= 0.8 * first.best or ex.clause.id in neighbours),
                    key=lambda ex: (ex.clause.id not in neighbours, -ex.best))[: MAX_CLAUSES - 1]
    kept = {ex.clause.id for ex in strong}  # weaker clauses add noise, not an answer
    chosen = [first] + [_whole_if_short(ex) if ex.clause.id in neighbours else ex
                        for ex in rest if ex.clause.id in kept]
    return _for_each_part(question, clauses[:CANDIDATE_CLAUSES], chosen, idf, firsts or {})


def one_per_clause(extracts: list[Extract], whole: Callable[[Clause], Clause]) -> list[Extract]:
    """Each extract on the `whole` clause it is a window of, windows of one clause merged into one extract at the
    first one's place: a long clause is one source, cited once and opened whole."""
    merged: list[Extract] = []
    at: dict[str, int] = {}
    for ex in extracts:
        clause = whole(ex.clause)
        if clause.id not in at:
            at[clause.id] = len(merged)
            merged.append(Extract(clause, ex.sentences, ex.best))
            continue
        kept = merged[at[clause.id]]
        quoted = sorted(set(kept.sentences) | set(ex.sentences), key=clause.text.find)
        merged[at[clause.id]] = Extract(clause, quoted, max(kept.best, ex.best))
    return merged


def _whole_if_short(ex: Extract) -> Extract:
    """A short article carrying the leading one's matter on is read whole: it is there for what the question's
    words miss (施工时共同制定保护措施; 位置不明的，应当人工探挖)."""
    if len(ex.clause.text) > SHORT_CLAUSE_CHARS:
        return ex
    return Extract(ex.clause, passages(ex.clause.text, ex.clause.label), ex.best)


def continues(clause: Clause, other: Clause) -> bool:
    """Whether `other` is the article right before or after `clause` in the same regulation: ranked near it, it
    carries the same matter on (开工前查明管线 → 施工时共同制定保护措施、人工探挖; 组织竣工验收、15日内备案 →
    移交竣工资料), though it shares fewer of the question's words."""
    first, then = article_number(clause.label), article_number(other.label)
    return clause.doc_id == other.doc_id and first is not None and then is not None and abs(then - first) == 1


def _for_each_part(question: str, clauses: list[Clause], chosen: list[Extract],
                   idf: Callable[[str], float], firsts: dict[str, str]) -> list[Extract]:
    """A question of several parts (…多久走访一次？…多久调研一次？) gets, for each part, the passages that answer
    that part best: in a clause already chosen, added to its quote; else that clause (MAX_PART_CLAUSES such
    clauses in all). The part's own first-ranked clause answers it unless its words fit another clause's passage
    far better."""
    from rag.hotline import find_questions

    parts = [p for p in find_questions(question) if p.strip() != question.strip()]
    if len(parts) < 2:
        return chosen
    chosen, added = list(chosen), []
    for part in parts:
        weights = term_weights(part, idf)
        slots = answer_slots(part)
        scored = [_extract_one(c, units, weights, slots, MAX_UNITS_OTHER)
                  for c in clauses if (units := passages(c.text, c.label))]
        best = max(scored, key=lambda ex: ex.best, default=None)
        if best is None:
            continue
        own = next((ex for ex in scored if ex.clause.id == firsts.get(part.strip())), None)
        if own is not None and own.best >= OWN_RANKING_SHARE * best.best:
            best = own
        same = [i for i, ex in enumerate(chosen) if ex.clause.id == best.clause.id]
        if same:
            chosen[same[0]] = _with_sentences(chosen[same[0]], best.sentences)
        elif all(best.clause.id != ex.clause.id for ex in added):
            added.append(best)
    return chosen + added[:MAX_PART_CLAUSES]


def _with_sentences(ex: Extract, more: list[str]) -> Extract:
    """The extract with `more` of its clause's passages quoted too, all in clause order."""
    units = passages(ex.clause.text, ex.clause.label)
    return Extract(ex.clause, [u for u in units if u in ex.sentences or u in more], ex.best)


def _extract_one(clause: Clause, units: list[str], query_weights: dict[str, float], slots: list[str],
                 limit: int) -> Extract:
    # Words of the document's title name the document, which every passage of the clause is about: they
    # choose the clause, not the passage.
    title = token_set(clause.doc.get("doc_title") or "")
    weights = {t: w * (TITLE_WORD_FACTOR if t in title else 1.0) for t, w in query_weights.items()}
    scored = [(score_passage(u, weights, slots), i, u) for i, u in enumerate(units)]
    # A trailer or heading may match best (a 责任单位 trailer fills the department slot) but answers nothing.
    answering = [x for x in scored if _substantive(x[2])] or scored
    best = max(score for score, _, _ in answering)
    top = sorted(answering, key=lambda x: (-x[0], x[1]))[:limit]
    chosen = [x for x in top if x[0] >= 0.5 * best] or top[:1]
    chosen += _slot_fillers(scored, chosen, slots)
    closing = closing_trailers(units, [i for _, i, _ in chosen], clause)
    chosen += [x for x in scored if x not in chosen and x[1] in closing]
    return Extract(clause, [u for _, _, u in sorted(chosen, key=lambda x: x[1])], best)


def _slot_fillers(scored: list[tuple[float, int, str]], chosen: list[tuple[float, int, str]],
                  slots: list[str]) -> list[tuple[float, int, str]]:
    """For each asked slot the chosen passages leave unfilled, the clause's best passage that fills it. The
    department is named by its own answer line (rag/citations.py), from the clause's 责任单位 trailer."""
    added: list[tuple[float, int, str]] = []
    for slot in slots:
        if slot in ("department", "yesno") or any(fills(u, slot) for _, _, u in chosen + added):
            continue
        candidates = [x for x in scored if x not in chosen + added and fills(x[2], slot) and _substantive(x[2])]
        if candidates:
            added.append(max(candidates, key=lambda x: (x[0], -x[1])))
    return added


_TRAILER = re.compile(r"^[（(][^（()）]*(?:责任单位|责任部门|牵头|负责)[^（()）]*[)）][。；]?$")


def _substantive(passage: str) -> bool:
    """A heading ("（四）推动汽车电子高质量发展。") or a 责任单位 trailer carries no answer on its own; any other
    sentence does, however short ("有效期为三年。")."""
    if _TRAILER.match(passage.strip()):
        return False
    if _STARTS_ITEM.match(passage):
        rest = _LEADING_MARKER.sub("", passage)
        return len(rest) > 20 or bool(re.search(r"\d", rest))
    return True


def is_trailer(passage: str, clause: Clause) -> bool:
    """A 责任单位 trailer: by its words (责任单位, 牵头 …), or a bare list of bodies ingest read as one
    (（市人社局、市财政局）)."""
    text = passage.strip()
    return bool(_TRAILER.match(text)) or text.rstrip("。；;") in clause.trailers_raw


def closing_trailers(units: list[str], chosen: list[int], clause: Clause) -> set[int]:
    """The 责任单位 trailers closing the chosen passages' measures: for each, the first trailer from it on. A clause
    of several measures closes each with its own (…保函代替履约保证金。（责任单位：市财政局…）下一项…（责任单位：…）):
    the quoted measure's trailer says who is responsible for it; the others' would name bodies of measures not quoted."""
    found = {i for i, u in enumerate(units) if is_trailer(u, clause)}
    return {min((j for j in found if j >= i), default=-1) for i in chosen} - {-1}


def quoted_units(ex: Extract) -> list[str]:
    """The bodies responsible for what the extract quotes, when its clause closes several measures with a trailer
    each and only some are quoted: those of the quoted trailers (`closing_trailers`) and the units the clause
    inherits. Empty otherwise — one trailer, all of them quoted, or a quoted passage after the last — and the
    clause's own units apply."""
    clause = ex.clause
    quoted = [s for s in ex.sentences if is_trailer(s, clause)]
    if len(clause.trailers_raw) < 2 or len(quoted) >= len(clause.trailers_raw) or not ex.sentences \
            or not is_trailer(ex.sentences[-1], clause):
        return []
    found = (parse_trailer(s.strip()) for s in quoted)
    return list(dict.fromkeys([unit for trailer in found if trailer for unit in trailer.units] + clause.inherited_units))


def compose(extracts: list[Extract], leads: dict[str, str], numbers: dict[str, int]) -> str:
    """Answer text: per clause, its lead-in (根据《…》label：) and its passages, each ending in [n]."""
    parts = []
    for ex in extracts:
        n = numbers[ex.clause.id]
        quoted = ex.sentences[:-1] + [re.sub(r"[；;，,]$", "。", ex.sentences[-1])] if ex.sentences else []
        body = "".join(with_marker(s, n) for s in quoted)  # a quote cut before the clause's next item ends in 。
        parts.append(f"{leads[ex.clause.id]}{body}")
    return "\n".join(parts)


def with_marker(sentence: str, n: int) -> str:
    """Put [n] before the sentence's final punctuation, or after it when there is none."""
    if sentence and sentence[-1] in "。；！？":
        return f"{sentence[:-1]}[{n}]{sentence[-1]}"
    return f"{sentence}[{n}]"


# --- the 结论 line -------------------------------------------------------------------------------------------

# The asked facts the 结论 states, in this order (lists — conditions, materials, steps — are left to the quotes;
# the department and validity come from the citations, see rag/assistant.py).
STATED_SLOTS = ("validity", "amount", "count", "figure", "measure", "deadline", "penalty", "definition", "yesno")
# … and those whose absence it says (所引条款未写明具体日期或时间). A date or a list is not quoted as the answer:
# the fragment sharing most words with the question may be another document's date (…2007年发布的…同时废止).
SAID_UNSTATED = (*STATED_SLOTS, "date", "names", "contact")
MAX_STATED = 3
GRANTED_SLOTS = ("amount", "figure", "penalty")
_GRANTS = re.compile(r"给予|奖励|补贴|补助|资助|贴息|最高|罚款|处\d")
GRANT_BONUS = 0.3


def _only_bounds(fragment: str) -> bool:
    """Every figure of the fragment is a bar to reach (设备投入5000万元以上), none an amount granted."""
    found = quantities(fragment)
    bounds = {b.quantity.start for b in thresholds(fragment) if b.lower}
    return bool(found) and all(q.start in bounds for q in found)


_NEGATIVE = re.compile(r"不得|禁止|严禁|不能|不予|不准|不允许")


@dataclass
class Finding:
    """The fragment of a quoted passage that states one asked fact."""

    slot: str
    text: str
    n: int  # the citation number of its clause
    lead: str  # the passage's lead sentence when the fragment is an item of an enumeration


def findings(question: str, extracts: list[Extract], numbers: dict[str, int],
             idf: Callable[[str], float], unstated: Iterable[str] = ()) -> list[Finding]:
    """For each asked slot (up to MAX_STATED), the quoted fragment that states it best: one that fills the slot
    and shares most of the question's information, in the earliest clause that has one. A slot the clauses do
    not state about the question's topic (`unstated`, from the answerability decision) gets none: a figure
    about another subsidy is no answer."""
    query_weights = term_weights(question, idf)
    asked = [slot for slot in answer_slots(question) if slot not in unstated]
    action = max(asked_action(question), key=idf, default=None)  # its most specific word: 宠物, not 拒绝
    cutoff = asks_cutoff(question)
    ratio = asks_ratio(question)
    out: list[Finding] = []
    for slot in [s for s in STATED_SLOTS if s in asked][:MAX_STATED]:
        # 按有关规定实施处罚 only refers elsewhere: not the penalty when another passage sets one.
        setting_only = slot == "penalty" and any(sets_penalty(p) for ex in extracts for p in ex.sentences)
        for ex in extracts:
            title = token_set(ex.clause.doc.get("doc_title") or "")
            weights = {t: w * (TITLE_WORD_FACTOR if t in title else 1.0) for t, w in query_weights.items()}
            total = sum(weights.values()) or 1.0
            candidates = []
            for passage in ex.sentences:
                lead = passage.split("：", 1)[0] if "：" in passage else ""
                fragments = [f.strip("，,；;：:。 ") for f in _FRAGMENT.findall(passage.removeprefix(lead))]
                for i, fragment in enumerate(fragments):
                    negative_item = slot == "yesno" and bool(_NEGATIVE.search(lead))
                    if not (fills(fragment, slot) or negative_item) or len(fragment) < 4 or \
                            any(fragment in f.text for f in out):
                        continue
                    # A fact often runs on into the next fragment (…50%给予补贴，单个企业最高补贴100万元).
                    following = fragments[i + 1] if i + 1 < len(fragments) else ""
                    if following and fragment.endswith("的") and not _STARTS_ITEM.match(following):
                        fragment = f"{fragment}，{following}"  # a condition (…以工代训的) says nothing without what follows
                    elif following and fills(following, slot) and not negative_item and not _STARTS_ITEM.match(following):
                        fragment = f"{fragment}，{following}"
                        # … and on to the cap on the whole grant after it (按500元/人给予补贴，每家最多不超过5万元),
                        # not to the next item's (乙类服务最高不超过130万元)
                        after = fragments[i + 2] if i + 2 < len(fragments) else ""
                        if after and fills(after, slot) and _CAP.match(after):
                            fragment = f"{fragment}，{after}"
                    if setting_only and not sets_penalty(fragment):
                        continue
                    # 能不能种树？ is answered by a rule about planting, not by any 可以 of the clause.
                    if slot == "yesno" and action and not term_found(action, lead + fragment):
                        continue
                    if slot == "deadline" and cutoff and not states_cutoff(fragment):
                        continue  # 设立三年以上 is a condition, not the deadline asked
                    if slot == "amount" and ratio and not states_ratio(fragment):
                        continue  # 税率 is a share: 月销售额10万元以下 is no answer
                    # … and its subject often stands in the fragment before (对于获得高新技术企业认定的企业，…给予
                    # 最高100万元奖补): it tells which figure of the sentence is the one asked about.
                    subject = fragments[i - 1] if i and not fills(fragments[i - 1], slot) else ""
                    present = token_set(fragment)
                    overlap = sum(w for t, w in weights.items() if t in present) / total
                    with_subject = sum(w for t, w in weights.items() if t in present | token_set(subject)) / total
                    if with_subject > overlap:
                        fragment, overlap = f"{subject}，{fragment}", with_subject
                    if slot in GRANTED_SLOTS:  # the figure granted (or fined), not the bar to reach it
                        overlap += GRANT_BONUS * (bool(_GRANTS.search(fragment)) + bool(quantities(fragment))
                                                  - 2 * _only_bounds(fragment))
                    candidates.append((overlap, -len(candidates), fragment, lead))
            if candidates:
                _, _, fragment, lead = max(candidates)
                out.append(Finding(slot, fragment, numbers[ex.clause.id], lead))
                break
    return out


def each_part_findings(question: str, extracts: list[Extract], numbers: dict[str, int],
                       idf: Callable[[str], float], unstated: Iterable[str] = ()) -> list[Finding]:
    """The findings of the whole question, then the figures each of its parts asks that are not yet found, each
    chosen by its own part's words and holding the most specific of them: a question asking two sums (上市奖多少？贴息能贴多少？)
    is answered with both, where the whole question's one amount slot would state only one."""
    from rag.hotline import find_questions

    out = findings(question, extracts, numbers, idf, unstated)
    parts = [p for p in find_questions(question) if p.strip() != question.strip()]
    quoted = "".join(s for ex in extracts for s in ex.sentences)
    for part in parts if len(parts) > 1 else []:
        # Its most specific word the quoted clauses use (孵化 of 企业孵化器奖多少, not 企业; not a caller's word no
        # clause uses, which weighs as the rarest): an elliptical part (补多少？) names none, and any figure would do.
        topic = [t for t in salient_terms(part) if term_found(t, quoted)]
        specific = max(topic, key=idf, default=None)
        for finding in findings(part, extracts, numbers, idf, unstated) if topic else []:
            if finding.slot in FIGURE_FINDINGS and len(out) < MAX_STATED and \
                    term_found(specific, finding.lead + finding.text) and \
                    not any(finding.text in f.text or f.text in finding.text for f in out):
                out.append(finding)
    return out


# The slots a part's own finding may add: figures, whose fragment states the fact. A part's yes/no or definition
# fragment, chosen by a few words of an elliptical part (家属能随迁吗？), is too often about something else.
FIGURE_FINDINGS = ("amount", "count", "figure", "measure", "deadline", "penalty")


_CAP = re.compile(r"(?:每|单个|单家|单项|累计|合计|总额|最高|最多|不超过)[^，；。]*(?:最高|最多|不超过|封顶|上限)")
_ASKS_WHETHER = re.compile(r"能不能|能否|可不可以|是否允许|是否可以|允许|可以|能")


def asked_action(question: str) -> list[str]:
    """The topic words of what a yes/no question asks permission for: 种树 in 保护范围内能不能种树？ (the words
    after its first 能不能 / 可以 …, to the end of that sentence part); [] for a question naming none."""
    match = _ASKS_WHETHER.search(question)
    if match is None:
        return []
    return salient_terms(re.split(r"[，,。？?！!；;]", question[match.end():], maxsplit=1)[0])


def stated(finding: Finding) -> str:
    """One finding as a part of the 结论, its marker included; a yes/no question answered by a prohibition
    says 不可以 first."""
    quoted = f"{finding.text}[{finding.n}]"
    if finding.slot == "yesno" and (_NEGATIVE.search(finding.text) or _NEGATIVE.search(finding.lead)):
        context = f"{finding.lead}：" if finding.lead and not _NEGATIVE.search(finding.text) else ""
        return f"不可以——{context}{quoted}"
    return quoted


# --- a number in the question against the clause's threshold ---------------------------------------------------

# Units and their factor to the base unit of their kind. A comparison is only ever made within one kind:
# 6000万 against 5000万元, never against 50人 or 3年.
UNIT_KINDS: dict[str, tuple[str, float]] = {
    "亿元": ("money", 1e8), "亿": ("money", 1e8), "万元": ("money", 1e4), "万": ("money", 1e4), "元": ("money", 1),
    "%": ("percent", 1), "％": ("percent", 1), "周岁": ("age", 1), "岁": ("age", 1), "人": ("people", 1),
    "名": ("people", 1), "个月": ("months", 1), "年": ("years", 1), "件": ("items", 1), "米": ("metres", 1),
}
_UNITS = "|".join(sorted(UNIT_KINDS, key=len, reverse=True))
_QUANTITY = re.compile(rf"(\d+(?:\.\d+)?)\s*({_UNITS})")
_LOWER = ("及以上", "以上")
_LOWER_BEFORE = ("不低于", "不少于", "达到", "超过", "满")
_UPPER = ("以下", "以内")
_UPPER_BEFORE = ("不超过", "不高于", "低于", "未满")


@dataclass(frozen=True)
class Quantity:
    value: float  # in the base unit of its kind
    kind: str
    text: str  # as written
    start: int
    end: int


def quantities(text: str) -> list[Quantity]:
    """Quantities written with a unit (6000万, 5000万元, 35周岁, 12%, 6个月); calendar years and 万 of another
    unit (3万平方米) are none."""
    out = []
    for m in _QUANTITY.finditer(text):
        number, unit = float(m[1]), m[2]
        following = text[m.end() : m.end() + 1]
        if unit == "年" and (number >= 1900 or following == "度"):
            continue  # 2024年 is a date
        if unit in ("万", "亿") and re.match(r"[\u4e00-\u9fff]", following):
            continue
        kind, factor = UNIT_KINDS[unit]
        out.append(Quantity(number * factor, kind, m[0].replace(" ", ""), m.start(), m.end()))
    return out


@dataclass(frozen=True)
class Threshold:
    quantity: Quantity
    lower: bool  # True: a figure must reach it (以上, 不低于); False: must stay within it (以下, 不超过)
    strict: bool = False  # a lower bound a figure must pass, not merely reach (超过35周岁: 35 is not over it)


def thresholds(text: str) -> list[Threshold]:
    """Bounds a clause sets: 5000万元以上, 不低于5%, 不超过50万元, 35周岁以下, 达到50人."""
    out = []
    for q in quantities(text):
        after = re.sub(r"^[（(]含[^)）]{0,4}[)）]", "", text[q.end : q.end + 8])
        before = text[max(0, q.start - 3) : q.start]
        word = max((w for w in _LOWER_BEFORE + _UPPER_BEFORE if before.endswith(w)), key=len, default="")
        if after.startswith(_LOWER) or word in _LOWER_BEFORE and word:
            out.append(Threshold(q, True, strict=word == "超过" and not after.startswith(_LOWER)))
        elif after.startswith(_UPPER) or word:
            out.append(Threshold(q, False))
    return out


_NAMES_A_BOUND = re.compile(r"(?:超过|超|过了|不到|低于|高于|大于|小于)$")
_BELOW = ("不到", "低于", "小于")
# A "；或者" goes on with the same item: its condition is the item's alternative (35周岁以下…；或者超过35周岁但不超过45周岁…).
_ITEM_START = re.compile(rf"[。\n]|[；;](?!或者)|{_ITEM_MARKER}")
_ALTERNATIVE = "或者"


def _item_of(text: str, start: int) -> str:
    """What the sentence or enumeration item a figure stands in is about: its words up to its first figure
    (（一）具有博士学位，年龄在55周岁…). The conditions after that figure (在苏州就业…；或者…) are no subject."""
    begin = _item_start(text, start)
    first = min((q.start for q in quantities(text[begin:start])), default=start - begin)
    return text[begin:begin + first]


def _item_start(text: str, start: int) -> int:
    return max((m.end() for m in _ITEM_START.finditer(text, 0, start)), default=0)


def _alternative_of(text: str, start: int) -> tuple[int, int]:
    """Which of its item's alternatives (…；或者…) a figure stands in: (the item's start, the alternative's number)."""
    begin = _item_start(text, start)
    return begin, text.count(_ALTERNATIVE, begin, start)


def _telling(value: float, alternatives: list[list[Threshold]]) -> list[Threshold]:
    """The bounds of one item worth telling a figure against: all of them when the item offers no alternative."""
    if len(alternatives) < 2:
        return [b for group in alternatives for b in group]
    met = [b for group in alternatives if all(_meets(value, b) for b in group) for b in group]
    return met or [b for group in alternatives for b in group if not _meets(value, b)]


def _verdict(value: float, bound: Threshold) -> str:
    written = bound.quantity.text
    if bound.lower:
        return (f"超过{written}的门槛" if value > bound.quantity.value else
                f"未超过{written}的门槛" if bound.strict and value == bound.quantity.value else
                f"达到{written}的门槛" if value == bound.quantity.value else f"未达到{written}的门槛")
    return f"在{written}的上限以内" if value <= bound.quantity.value else f"超过{written}的上限"


def _meets(value: float, bound: Threshold) -> bool:
    if bound.lower:
        return value > bound.quantity.value if bound.strict else value >= bound.quantity.value
    return value <= bound.quantity.value


def _context(text: str, start: int, width: int) -> set[str]:
    """The character pairs of the words written just before a figure, within its phrase: what it measures
    (设备投入, 研发投入, 员工)."""
    before = re.split(r"[，,、。；;！？!?]", text[max(0, start - width) : start])[-1]
    words = re.sub(r"[^\u4e00-\u9fff]", " ", before)
    return {words[i : i + 2] for i in range(len(words) - 1) if " " not in words[i : i + 2]} - _VAGUE_PAIRS


_VAGUE_PAIRS = frozenset({"达到", "超过", "不低", "低于", "不少", "少于", "不超", "以上", "以下", "最高", "给予", "对于"})


def comparison(question: str, quoted: str) -> str | None:
    """"6000万，超过5000万元的门槛" for a figure of the question and a bound of the same kind on the same thing
    in the quoted text; None when there is no such pair. Figures of different kinds are never compared, nor
    amounts of different things (设备投入6000万 against a subsidy capped at 500万元); an age is an age."""
    said: list[str] = []
    asked = token_set(question)
    figures = quantities(question)
    # 今年58岁，超过55岁还能办吗？ — beside the caller's own figure, one worded as a bound speaks of the rule.
    own = [q for q in figures if not _NAMES_A_BOUND.search(question[max(0, q.start - 2):q.start])]
    figures = [q for q in figures if q in own or not any(o.kind == q.kind for o in own)]
    for q in figures:
        near = _context(question, q.start, 8)
        bounds = [b for b in thresholds(quoted) if b.quantity.kind == q.kind and
                  (q.kind == "age" or not near.isdisjoint(_context(quoted, b.quantity.start, 16)))]
        # Of several bounds (博士55周岁以下、硕士50周岁以下…), those of the items the question speaks of (我有博士学位).
        shared = {id(b): len(asked & token_set(_item_of(quoted, b.quantity.start))) for b in bounds}
        best = max(shared.values(), default=0)
        worded = _NAMES_A_BOUND.search(question[max(0, q.start - 2):q.start])
        # 超过55岁 is more than 55, 不到35岁 less than 35: a figure just past the one written.
        value = q.value + (0.0 if not worded else -1e-6 if worded[0] in _BELOW else 1e-6)
        bounds = [b for b in bounds if shared[id(b)] == best]
        # An item offering alternatives (35周岁以下…；或者超过35周岁但不超过45周岁…) is told by the one whose every bound
        # the figure meets, not by the bound of another that the figure is past; when none is met, by the bounds
        # missed (a lower bound passed tells nothing then).
        items: dict[int, dict[int, list[Threshold]]] = {}
        for b in bounds:
            begin, alternative = _alternative_of(quoted, b.quantity.start)
            items.setdefault(begin, {}).setdefault(alternative, []).append(b)
        bounds = [b for alternatives in items.values() for b in _telling(value, list(alternatives.values()))]
        verdicts = list(dict.fromkeys(_verdict(value, b) for b in bounds))
        phrase = f"{worded[0] if worded else ''}{q.text}，{'、'.join(verdicts[:3])}"
        if verdicts and phrase not in said:
            said.append(phrase)
    return "；".join(said[:3]) if said else None


# --- the whole 结论 ----------------------------------------------------------------------------------------------


def validity_statement(citation: Citation) -> str:
    """《X》自…起施行，有效，有效期至… — what the 结论 says about the governing document's validity."""
    title = citation.doc.get("doc_title") or citation.citation
    start = citation.doc.get("effective_date")
    since = f"自{cn_date(start)}起施行，" if start and not citation.validity.startswith("尚未施行") else ""
    return f"《{title}》{since}{flat_validity(citation.validity)}"


def conclusion(question: str, extracts: list[Extract], numbers: dict[str, int], citations: list[Citation],
               idf: Callable[[str], float], departments: Departments | None = None,
               unstated: Iterable[str] = ()) -> str:
    """The one-line direct answer: an expired governing document first, then the validity, the department, the
    figure / deadline / penalty / yes-no fragments quoted with [n] — or, for an asked figure or deadline the
    clauses do not state (`unstated`), that they do not — and a figure of the question against the clause's
    threshold. Empty when the question asks for none of these (a clause lookup)."""
    asked = answer_slots(question)
    parts: list[str] = []
    governing = citations[0] if citations else None
    if governing is not None and governing.expired:
        parts.append(f"{validity_statement(governing)}，以下规定仅供参考，请以现行有效政策为准")
    elif governing is not None and "validity" in asked and (governing.validity != UNSTATED or
                                                            governing.doc.get("effective_date")):
        parts.append(validity_statement(governing))  # with no dates on record, the quoted text says it
    if departments is not None:
        parts.append(department_phrase(departments))
    parts += [stated(f) for f in each_part_findings(question, extracts, numbers, idf, unstated)]
    parts += [f"所引条款未写明{SLOT_NAMES[slot]}" for slot in unstated if slot in SAID_UNSTATED]
    compared = comparison(question, "".join(s for ex in extracts for s in ex.sentences))
    if compared:
        lifted = exemption(extracts, numbers) if _SHUT_OUT.search(compared) else None
        parts.append(f"按您所述：{compared}" + (f"，但另有规定：{lifted}" if lifted else ""))
    return "结论：" + "；".join(parts) + "。" if parts else ""


_SHUT_OUT = re.compile(r"超过.*上限|未达到")
MAX_EXEMPTION_CHARS = 120


def exemption(extracts: list[Extract], numbers: dict[str, int]) -> str | None:
    """A quoted sentence that lifts a bar (…在苏州就业的，年龄不受限制; …的，不受此限), with its [n]: a caller past
    a clause's limit is not told only that, when another quoted clause exempts such cases."""
    for ex in extracts:
        for sentence in ex.sentences:
            if _EXEMPTION.search(sentence) and len(sentence) <= MAX_EXEMPTION_CHARS:
                return with_marker(sentence.rstrip("；;，,"), numbers[ex.clause.id]).rstrip("。")
    return None


def english_conclusion(question: str, extracts: list[Extract], numbers: dict[str, int], citations: list[Citation],
                       idf: Callable[[str], float], expired_on: str | None = None,
                       unstated: Iterable[str] = ()) -> str:
    """The first line of an answer to an English question: an expired governing document first (`expired_on`,
    already in English), then the asked figures / deadline / penalty quoted verbatim in Chinese with [n], or
    that the clauses do not state them."""
    parts: list[str] = []
    governing = citations[0] if citations else None
    if governing is not None and governing.expired and expired_on:
        title = governing.doc.get("doc_title") or governing.citation
        parts.append(f"《{title}》 {expired_on}; what follows is for reference only")
    for finding in each_part_findings(question, extracts, numbers, idf, unstated):
        quoted = stated(finding)
        parts.append(quoted.replace("不可以——", "No — ", 1))
    parts += [f"the cited clauses do not state {SLOT_ENGLISH[slot]}" for slot in unstated if slot in SAID_UNSTATED]
    return "In short: " + "; ".join(parts) + "." if parts else ""
