"""Whether the documents answer a question, decided from evidence and explained.

Signals (each a number in a `Features` record, each with a reason when it speaks against answering):
* key-term coverage — the question's salient terms (after stripping framing, greetings, masked PII, names,
  places and function words) must be found, at character level or through the synonym map, in one supporting
  clause, its section headings or its document title; a term the whole corpus never uses is named in the
  reasons; for an English question, the share of its content words the corpus term map does not know, and
  whether it names a reviewed policy term none of whose Chinese forms the corpus uses (maternity leave);
* jurisdiction — a question about another city or province, or about the state's or the province's own
  policy, is not answered from Suzhou's documents (a rule, not a weight: the library holds no such policy);
* unknown things — when half or more of what a chat question is about (its nouns, and English words whose
  Chinese no document uses) is named by no document, it is refused whatever the retrieval scores (a rule; a
  hotline message's nouns describe the caller's situation too, so there only the parts that ask count);
* answer slot — a question asking for an amount, a count, a deadline, a date, which ones (哪9个), a department,
  materials or how to reach someone (a phone number, an address, a website) needs a supporting sentence that
  states that kind of fact (rag/slots.py) about the question's topic terms; when it asks only for figures or
  contact details and no clause states one, it is refused whatever the scores (a rule: "the policy exists but
  states no figure" is the true answer, and the refusal says so and shows the clause);
* retrieval — the dense cosine and BM25 coverage the retrievers reported.

They are combined by a logistic model (weights and one cutoff per language in `answerability.json`, fitted by
cross-validation on the dev golden set with `python -m eval.fit_answerability`). A direct lookup (文号,
document + 条) is always answered.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from domain.jurisdiction import CITY, CITY_SHORT, higher_levels_asked
from domain.places import ancestors, in_suzhou, places_named, suzhou_places
from domain.terms import load_absent_reviewed, load_absent_words, load_synonyms, load_term_map
from domain.validity import ASKS_VALIDITY
from rag.hotline import QUESTION_CUES, asking_sentences, find_questions
from rag.lookup import article_number, named_titles, penalty_links, titles_meant, unheld_titles
from ingest.model import Clause
from ingest.tokenize import normalise, split_sentences
from rag.retrieval import Ranking
from rag.slots import (ASKS_PENALTY, ASKS_SPAN, EXACT_SLOTS, FIGURE_SLOTS, SLOT_NAMES, asked_slots, asked_unit,
                       asked_unit_figure, asks_cutoff, asks_ratio, is_unit_word, stating_pattern)
from rag.substrings import SubstringIndex
from rag.translate import base_forms, english_phrases, is_latin, term_groups

MODEL_FILE = Path(__file__).with_name("answerability.json")
SUPPORT_DEPTH = 3  # clauses that may carry the answer
# A question's topic terms: those weighing at least this share of its rarest found term's IDF (dev set, 5-fold
# cross-validated refusal at the same false-refusal budget: 0.6 → 46.5 %, 0.9 → 44.6 %, any term → 42.6 %).
TOPIC_WEIGHT = 0.6
# A synonym this common (IDF below it: in one clause in thirteen or more, such as 申请, 办理, 企业) ties a figure to
# no topic (see `stated`). Dev set: 2.5 refused one more near-topic question than no such limit and nothing else
# moved; 3.0 also put a warning on a right answer.
BROAD_IDF = 2.5
UNKNOWN_MAJORITY = 0.5  # see `mostly_unknown`
MISTAGGED_PLACE_USES = 20  # a street or landmark is named a few times by the documents, if at all; 上市 254 times
# A figure's sentence must hold this share of the best-matching sentence's term weight (see `on_topic`; dev set,
# 10-seed cross-validated refusal at the same false-refusal budget: 0.35 → 76.0 %, 0.45 → 77.3 %, 0.55 → 75.8 %,
# 0.65 → 66.3 %, without the check 72.4 %).
ON_TOPIC = 0.45
COVERED = 0.5  # a clause holding half the question's term weight is about the question (see Decision.covered)

# Words that frame a question but name no topic: function and question words, hotline framing (callers, family,
# where they live, how to reach them), politeness, and words every policy question uses. Salient terms are what
# is left. General usage, not taken from any evaluation question.
FRAME_WORDS = frozenset(
    """的 地 得 了 着 过 和 与 及 以及 或 或者 等 在 对 为 是 将 按 由 把 被 并 其 之 于 以 从 向 给 则 而 即 如 这 那 该 此
    有 也 都 就 还 还有 又 吗 呢 吧 啊 呀 么 嘛 哦 噢 呗 什么 啥 哪些 哪个 哪里 哪儿 如何 怎么 怎样 怎么样 咋 咋办 多少 多久 几 是否
    干什么 干啥 干嘛 做什么 什么样 多长时间 多少时间 什么时间 什么时候 啥时候 百分之几 百分之多少 几成 哪几 哪几个 哪几家 哪几项 哪几种 哪几类 首先 名字 怎么说 叫什么
    事 事儿 这事 此事 这件事 那件事 两件事 几件事 这些事 那些事 这两件事
    请问 可以 能否 能 会 要 需要 才能 想 想问 想要 准备 打算 起码 至少 问问 问一下 咨询 了解 知道 告诉 我 我们 你 你们 他 她 他们 她们 它 自己 本人
    一下 一个 一些 这个 那个 这种 那种 这样 那样 现在 目前 今年 去年 明年 最近 已经 还是 但是 可是 因为 所以 如果 的话
    您好 你好 谢谢 感谢 麻烦 师傅 老师 领导 同志 市民 居民 群众 来电 来电人 致电 打电话 反映 反应 诉求 投诉 举报 电话 手机
    号码 网址 联系 联系方式 热线 情况 问题 事情 东西 方面 时候 一直 听说 听人 说是 大家 不够 不会 不用 不要 担心 害怕 觉得 感觉 怀疑 表示 称 问 讲 说 看看 帮忙 希望 要求
    住 住在 家住 居住 小区 街道 社区 附近 楼 号楼 单元 室 村 路 镇 区 市 县 省 市区 城区 老家 外地 本地 当地 这里 那里
    钱 爸 妈 哥 姐 弟 妹 男 女 儿 光是 就是 晚点 早点 赶紧 马上 到底 究竟 反正 其实 顺便
    家里 家 我家 家人 家庭 孩子 小孩 儿子 女儿 父亲 母亲 爸爸 妈妈 丈夫 妻子 老公 老婆 女婿 媳妇 老人 朋友 邻居 同事 老板
    老伴 爷爷 奶奶 外公 外婆 姥姥 姥爷 公公 婆婆 岳父 岳母 丈母娘 孙子 孙女 外孙 外孙女 侄子 侄女 外甥 外甥女 哥哥 姐姐 弟弟 妹妹
    表哥 表姐 表弟 表妹 堂哥 堂姐 堂弟 堂妹 叔叔 伯伯 舅舅 姑姑 亲戚 同学 学长 学姐 学弟 学妹 师兄 师姐 室友
    先生 女士 阿姨 大爷 大妈 大姐 大哥 小姐 老师傅 上班 工作 单位 公司 企业 厂 工厂 我们公司 我司 厂里 店 门店
    政策 规定 文件 相关 有关 具体 一般 应该 必须 怎么办 办法 有没有 没有 不是 是不是 能不能 可不可以 行不行 不能 可不可
    市里 本市 我市 全市 政府 国家 补贴 奖励 资助 支持 扶持 申请 办理 享受 拿 领 获得 条件 标准 流程 手续
    罚款 处罚 材料 部门 哪个部门 找 谁 负责 管 规定 措施 意见 方案 通知 办法 条例 文件 政策 规范 最多 最高 最少 多长 时间 一年 每年
    how what which who whom whose when where why is are was were be been being can could would should will shall
    may might must do does did done doing the a an of to for in on at by with about from into onto over under
    and or but if then than so as not no yes i we you he she they me us him her them my our your his their its
    it this that these those there here any some much many more most other another each every all both either
    please tell know want need needs get gets got give gives take takes make makes let lets say says said ask
    asks asked question questions answer help thanks thank hello dear sir madam mr mrs ms dr caller calls call
    called hotline message note forwarded phone number mobile email live lives living lived stay move moved moving
    work works working worked father mother dad mom mum husband wife son daughter kid kids friend friends neighbour
    neighbours neighbor neighbors colleague colleagues boss
    job company companies firm business enterprise enterprises our own currently current now still already
    also just only even really very quite about around near nearly approx approximately per every year years
    month months week weeks day days today time times last next new old first second third one two three
    policy policies rule rules regulation regulations document documents suzhou city municipal government
    local china chinese people person someone anyone something anything there's what's it's we're i'm i've
    don't doesn't isn't aren't can't won't""".split()
) | {CITY, CITY_SHORT}
_NAME_TAGS = ("nr", "nrfg", "nrt")  # person names
_PLACE_TAGS = ("ns", "nsf")
_NOUN_TAGS = ("n", "vn", "j", "x")  # nouns, verbal nouns, abbreviations, user-dictionary terms
_KEEP_TAGS = ("n", "nz", "vn", "nt", "nl", "ng", "an", "v", "eng", "l", "i", "j", "x")  # x: user-dictionary terms
_MASKED = re.compile(r"\*")
# A sentence speaking of its own document (本办法自…施行) is about what the document's title names — when the
# question asks how long the document is valid, not how long something under it takes.
_SELF_REFERENCE = re.compile(r"本《?(?:办法|规定|措施|意见|方案|计划|文件|细则|条例|通知|政策|决定)")
@dataclass(frozen=True)
class Features:
    """The evidence for one question, each in 0..1 (see the module docstring)."""

    best_cosine: float
    lexical_coverage: float
    clause_coverage: float  # IDF-weighted share of salient terms found in the single best supporting clause
    sentence_coverage: float  # the same in its single best sentence (an answer is a sentence, not a clause)
    slot_missing: float  # share of the asked kinds of fact (amount, deadline …) no supporting clause states
    foreign_share: float  # share of place mentions in the question that are outside Suzhou
    latin: float  # 1: an English question
    english_absent: float  # share of an English question's content words that name what the corpus never mentions
    unknown_things: float  # IDF-weighted share of the question's nouns (and absent English words) no document uses
    figure_unstated: float  # 1: it asks only for exact facts (a sum, a count, a phone number) no supporting clause states
    # For the rules only, not the model's inputs:
    # 1: an English question names a reviewed policy term no document uses (maternity leave). A weight of the
    # model until its English cutoff fell near 0 on a larger dev set; as a rule, dev cross-validated English
    # refusal rose from 0.437 to 0.505 (12 of the 13 dev questions naming one are unanswerable).
    absent_term: float = 0.0
    # unknown_things over the parts of the question that ask (问这项津贴每月发多少), not its story
    # (as a weight of the model it lowered dev cross-validated refusal, 0.737 → 0.663 for Chinese).
    asked_unknown: float = 0.0

    NAMES = ("best_cosine", "lexical_coverage", "clause_coverage", "sentence_coverage", "slot_missing",
             "foreign_share", "latin", "english_absent", "unknown_things", "figure_unstated")  # the model's inputs

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in self.NAMES]


@dataclass
class Decision:
    answerable: bool
    probability: float  # of being answerable, by the fitted model
    reasons: list[str] = field(default_factory=list)  # why not (Chinese, shown to users)
    terms: list[str] = field(default_factory=list)  # the question's salient terms, what coverage counts
    missing_terms: list[str] = field(default_factory=list)  # salient terms no supporting clause contains
    foreign_places: list[str] = field(default_factory=list)
    missing_slot: str | None = None
    features: dict = field(default_factory=dict)
    unknown_terms: list[str] = field(default_factory=list)  # salient terms no document of the library uses
    # Asked kinds of fact no supporting clause states about the question's topic: an answer says so for each
    # rather than quote a figure about something else.
    unstated_slots: list[str] = field(default_factory=list)
    # Refused although clauses are about what was asked: only the asked facts are unstated — "the policy exists
    # but states no figure", said as such (not as "nothing found"), with those clauses (`covering`, their ids).
    covered: bool = False
    covering: list[str] = field(default_factory=list)
    unheld_documents: list[str] = field(default_factory=list)  # named in 《》; no document here is or names it
    # Answered on weak evidence: the probability lies below the model's caution line, where a tenth of the dev set's
    # answerable questions lie and many of its unanswerable ones that are answered. The answer says so.
    tentative: bool = False


@dataclass(frozen=True)
class Model:
    """A logistic model over `Features.NAMES`: P(answerable) = σ(bias + Σ weight·feature), answered at ≥ the
    cutoff of the question's language. Each language has its own cutoff: English evidence is weaker (terms come
    through the term map), and one shared cutoff would refuse English questions far more often by mistake."""

    weights: tuple[float, ...]
    bias: float
    cutoffs: dict[str, float]  # language ("zh", "en") → cutoff
    cautions: dict[str, float]  # language → the probability below which an answer is tentative (≥ its cutoff)
    features: tuple[str, ...] = Features.NAMES

    def probability(self, features: Features) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def cutoff(self, features: Features) -> float:
        return self.cutoffs[language_of(features)]

    def caution(self, features: Features) -> float:
        return self.cautions[language_of(features)]

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "Model":
        raw = json.loads(path.read_text(encoding="utf-8"))
        if (tuple(raw["features"]) != Features.NAMES or set(raw.get("cutoffs", {})) != set(LANGUAGES)
                or set(raw.get("cautions", {})) != set(LANGUAGES)):
            raise ValueError(f"{path}: fitted on {raw['features']} with cutoffs {raw.get('cutoffs')} and cautions "
                             f"{raw.get('cautions')}, the code has {Features.NAMES} and languages {LANGUAGES}; refit "
                             f"it (python -m eval.fit_answerability)")
        return cls(tuple(raw["weights"]), raw["bias"], dict(raw["cutoffs"]), dict(raw["cautions"]),
                   tuple(raw["features"]))


LANGUAGES = ("zh", "en")


def language_of(features: Features) -> str:
    """The language whose cutoff applies: "en" for an English question, else "zh"."""
    return "en" if features.latin else "zh"


class Answerability:
    """Decides, for a question and its ranking, whether the documents answer it, and why not."""

    def __init__(self, clauses: dict[str, Clause], idf, model: Model | None = None,
                 cutoff: float | None = None) -> None:
        self.clauses = clauses
        self.idf = idf  # token → IDF weight (the BM25 table's)
        self._model = model
        self.cutoff = cutoff  # overrides the fitted cutoffs of both languages (settings.answer_cutoff)
        # Indexed: every question asks whether its terms occur anywhere in it (a scan each, at 20× the corpus).
        self.corpus = SubstringIndex(_compact("".join(_context(c) for c in clauses.values())))
        self.penalties = penalty_links(clauses.values())  # (doc, article) → the articles setting its penalty
        # Documents the library holds, and those its documents name (a regulation another one lists with its start
        # date can be asked about): a question naming neither asks about a document nothing here speaks of.
        self.held = sorted({c.doc.get("doc_title") or "" for c in clauses.values()} - {""})
        self.mentioned = sorted({title for c in clauses.values() for title in named_titles(c.text)} - set(self.held))

    def decide(self, question: str, ranking: Ranking, nouns_are_topics: bool = True, message: str = "") -> Decision:
        """`nouns_are_topics`: the question's nouns are what it asks about (a chat question), not the setting a
        caller describes in everyday words the documents need not use (a hotline message's 体育馆, 交通卡).
        `message`: the whole input the question comes from, when more than the question (see `features`)."""
        if not ranking.hits:
            return Decision(False, 0.0, ["未检索到任何条款"])
        features, details = self.features(question, ranking, message)
        if ranking.direct:  # the question named the clause (文号, document + 条): it is what was asked for
            return Decision(True, 1.0, terms=details["terms"], features=asdict(features))
        refusal = dict(reasons=details["reasons"], terms=details["terms"], missing_terms=details["missing"],
                       missing_slot=details["slot"], features=asdict(features), unknown_terms=details["unknown"],
                       unstated_slots=details["unstated"])
        if details["only_foreign"] and details["foreign"]:  # the library holds no other place's policy
            return Decision(False, 0.0, foreign_places=details["foreign"], **refusal)
        if details["unheld"]:  # nor of a document none of its documents even names (a national law)
            return Decision(False, 0.0, unheld_documents=details["unheld"], **refusal)
        if ruled_out(features, nouns_are_topics):
            covered = fact_unstated(features) and bool(details["covering"]) and not details["unknown"]
            return Decision(False, 0.0, covered=covered, covering=details["covering"] if covered else [], **refusal)
        model = self.model
        probability = model.probability(features)
        answerable = probability >= (model.cutoff(features) if self.cutoff is None else self.cutoff)
        foreign = details["foreign"] if features.foreign_share > 0.5 else []
        if answerable:
            return Decision(True, round(probability, 4), terms=details["terms"], missing_terms=details["missing"],
                            features=asdict(features), missing_slot=details["slot"], unstated_slots=details["unstated"],
                            unknown_terms=details["unknown"],
                            tentative=self.cutoff is None and probability < model.caution(features))
        return Decision(False, round(probability, 4), foreign_places=foreign, **refusal)

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = Model.load()
        return self._model

    def features(self, question: str, ranking: Ranking, message: str = "") -> tuple[Features, dict]:
        """The evidence for a question. A document the whole `message` names in 《》 is what the question's facts
        must be stated about, though named before the asking (…依照《X》处理。请问该规定对…怎么罚？)."""
        whole, as_asked, question = message or question, question, asking_part(question)
        ids = ranking.support or [h.id for h in ranking.hits]
        support = [self.clauses[cid] for cid in ids[:SUPPORT_DEPTH] if cid in self.clauses]
        support_text = _readable("".join(_context(c) for c in support))
        terms = self._plain(salient_terms(question))
        terms += [run for run in split_words(question) if run not in terms and run in self.corpus]
        terms += [word for word in name_like_words(question) if word not in terms and word in self.corpus]
        terms += [word for word in lone_nouns(question) if word not in terms and word not in self.corpus]
        terms += [word for word in place_like_words(question)
                  if word not in terms and self.corpus.count(word) >= MISTAGGED_PLACE_USES]
        forms = term_forms(question)  # an English phrase is found by any of its corpus terms
        weights = {t: self._weight(t) for t in terms}
        total = sum(weights.values()) or 1.0
        found = {t for t in terms if term_found(t, support_text, forms)}
        per_clause = [sum(weights[t] for t in terms if term_found(t, _readable(_context(c)), forms)) / total
                      for c in support]
        # Clauses about what was asked: holding half its term weight (none when it names no topic at all).
        covering = [c.id for c, share in zip(support, per_clause) if terms and share >= COVERED]
        by_clause = [[_readable(sentence) for sentence in split_sentences(c.text)] for c in support]
        shares = [[sum(weights[t] for t in terms if term_found(t, s, forms)) / total for s in clause_sentences]
                  for clause_sentences in by_clause]
        sentences = [sentence for clause_sentences in by_clause for sentence in clause_sentences]
        per_sentence = [share for clause_shares in shares for share in clause_shares]
        in_context = [share for clause_sentences, clause_shares in zip(by_clause, shares, strict=True)
                      for share in with_leads(clause_sentences, clause_shares)]
        unknown = {t for t in terms if not term_found(t, self.corpus, forms)}
        unknown -= miscut_words(question, self.corpus, unknown)
        foreign, only_foreign = foreign_places(question)
        # The fact must be stated about what the question is about: its most specific terms, not 每月 or 企业.
        # Terms found only in a title or heading name the document, not the fact: the text's terms come first.
        texts = _readable("".join(c.text for c in support))
        # The unit asked in (多少个工作日) is what the figure is counted in, not what it is about: 80个工作日 for
        # approving a building project does not say how many working days another procedure takes.
        unit = asked_unit(question)
        about = [t for t in found if not is_unit_word(t, unit)] or list(found)
        in_text = [t for t in about if term_found(t, texts, forms)] or about
        topic = [t for t in in_text if weights[t] >= TOPIC_WEIGHT * max(weights[u] for u in in_text)]
        asked = asked_slots(question)
        topic_forms = self._named_forms(whole) or [form for t in topic for form in forms.get(t, (t,))]
        validity = bool(ASKS_VALIDITY.search(question))
        span = bool(ASKS_SPAN.search(question.lower()))
        ratio, cutoff = asks_ratio(question), asks_cutoff(question)
        # A regulation fines the breach of an article in a penalty article of its own
        # (违反本办法第二十六条规定的，…罚款): asked what a breach costs, that article states it about the
        # supporting one it enforces.
        enforcing = self._enforcing(support) if ASKS_PENALTY.search(question.lower()) else {}
        for clause_id, enforced in enforcing.items():
            for sentence in split_sentences(self.clauses[clause_id].text):
                sentences.append(_compact(sentence))
                in_context.append(sum(weights[t] for t in terms
                                      if term_found(t, _compact(sentence + enforced), forms)) / total)
        slot_support = support + [self.clauses[clause_id] for clause_id in enforcing]
        in_unit = {slot: asked_unit_figure(question, slot) for slot in asked}
        broad = self._broad_synonyms(topic_forms)
        unstated = [slot for slot in asked
                    if not stated(slot, topic_forms, slot_support, validity, span, in_unit[slot], enforcing, cutoff,
                                  ratio, broad)
                    or (slot in FIGURE_SLOTS or in_unit[slot] is not None)
                    and not on_topic(stating_pattern(slot, in_unit[slot], ratio=ratio), sentences, in_context)]
        slot = unstated[0] if unstated else None
        slot_missing = slot is not None
        english = [t for t in terms if t.isascii()]  # English words whose Chinese no document uses stay as themselves
        things = nouns_of(question) if unknown else set()
        share_foreign = foreign_share(question)
        features = Features(
            best_cosine=ranking.evidence.get("best_cosine", 0.0),
            lexical_coverage=ranking.evidence.get("lexical_coverage", 0.0),
            clause_coverage=max(per_clause, default=0.0) if terms else 1.0,
            sentence_coverage=max(per_sentence, default=0.0) if terms else 1.0,
            slot_missing=len(unstated) / len(asked) if asked else 0.0,
            foreign_share=share_foreign,
            latin=float(is_latin(question)),
            english_absent=len(english) / len(terms) if terms else 0.0,
            unknown_things=sum(weights[t] for t in unknown if t.isascii() or t in things) / total,
            figure_unstated=float(bool(asked) and set(asked) <= EXACT_SLOTS and len(unstated) == len(asked)),
            absent_term=float(bool(absent_policy_terms(english, question))),
            asked_unknown=self.asked_unknown(question),
        )
        missing = [t for t in terms if t not in found]
        # Refused outright only for a document the asking names: one named in a caller's story (朋友说按《X》…) may
        # be no more than the setting of a question the documents do answer.
        named = named_titles(as_asked)
        unheld = unheld_titles(as_asked, self.held + self.mentioned) if named else []
        unheld = unheld if len(unheld) == len(named) else []  # one named document is held: it is about that one
        reasons = [f"本库未收录《{title}》，现有文件也未提及" for title in unheld]
        if foreign and (only_foreign or share_foreign > 0.5):
            reasons.append(f"问题涉及{'、'.join(foreign)}，本库仅收录{CITY}及所辖地区的政策文件")
        if unknown:
            reasons.append(f"现有文件均未提及“{'”“'.join(sorted(unknown, key=terms.index))}”")
        elif missing:
            reasons.append(f"检索到的条款未涉及“{'”“'.join(missing)}”")
        if slot_missing:
            reasons.append(f"相关条款未写明{SLOT_NAMES[slot]}")
        if not reasons:
            reasons.append("检索到的条款与问题不够相关")
        return features, {"reasons": reasons, "terms": terms, "missing": missing, "foreign": foreign,
                          "only_foreign": only_foreign, "unheld": unheld,
                          "unstated": unstated, "covering": covering,
                          "slot": slot if slot_missing else None, "unknown": [t for t in terms if t in unknown]}

    def _named_forms(self, question: str) -> list[str]:
        """When the question names in 《》 only documents the library does not hold but its documents name (a
        regulation listed with its start date, one being drafted), the titles they name it by: what it asks must be
        stated about that document, in a sentence naming it — not about the document that mentions it."""
        named = named_titles(question)
        if not named or any(titles_meant(title, self.held) for title in named):
            return []
        return [_compact(full) for title in named for full in titles_meant(title, self.mentioned)]

    def _enforcing(self, support: list[Clause]) -> dict[str, str]:
        """The penalty articles of the supporting articles, not themselves supporting: id → the text of the
        article each enforces."""
        ids = {c.id for c in support}
        out: dict[str, str] = {}
        for clause in support:
            article = article_number(clause.label)
            for clause_id in self.penalties.get((clause.doc_id, article), []) if article else []:
                if clause_id not in ids and clause_id in self.clauses:
                    out.setdefault(clause_id, clause.text)
        return out

    def asked_unknown(self, message: str) -> float:
        """The IDF-weighted share of the nouns in the parts of a message that ask (问这项津贴每月发多少) that no
        document names. A hotline caller's story is told in everyday words the documents need not use, but the
        words of the asking itself name the topic (see `mostly_unknown`)."""
        asking = "，".join(part for part in _PART.findall("\n".join(find_questions(message)))
                          if any(cue in part.lower() for cue in QUESTION_CUES))
        terms = self._plain(salient_terms(asking))
        terms += [word for word in lone_nouns(asking) if word not in terms and word not in self.corpus]
        if not terms:
            return 0.0
        forms = term_forms(asking)
        unknown = {t for t in terms if not term_found(t, self.corpus, forms)}
        unknown -= miscut_words(asking, self.corpus, unknown)
        things = nouns_of(asking) if unknown else set()
        weights = {t: self._weight(t) for t in terms}
        return sum(weights[t] for t in unknown if t in things) / sum(weights.values())

    def _plain(self, terms: list[str]) -> list[str]:
        """Each term no document uses, in the written form of its spoken one: a noun's suffix dropped (车子 → 车,
        事儿 → 事; 电子 or 院子, words the documents use, stay whole) and a verb's 掉 as 除 (拆掉 → 拆除, 扣掉 → 扣除)."""
        written = [self._written(term) if term not in self.corpus else term for term in terms]
        # A verb with its complement (交到, 拿到, 办完, 办好, 拿走) names no thing: unknown to the documents, it is no topic. Nor
        # does a negated word the documents do not use (不算, 没什么, 不能自己): it is how the caller asks, while
        # the documents' own 不动产 and 不正当 stay terms.
        return [t for t in written if t in self.corpus
                or not (len(t) == 2 and t[1] in _COMPLEMENTS or t[0] in _NEGATIONS)]

    def _written(self, term: str) -> str:
        if len(term) == 2 and term[1] in "子儿" and term[0] in self.corpus:
            return term[0]
        if len(term) == 2 and term[1] == "掉" and term[0] + "除" in self.corpus:
            return term[0] + "除"
        return term

    def _broad_synonyms(self, terms: list[str]) -> frozenset[str]:
        """The terms' synonyms that are broad words of the documents (报名 → 申请): found beside a figure, they do
        not show the figure is about what was asked."""
        synonyms = load_synonyms()
        return frozenset(s for t in terms for s in synonyms.get(t, ()) if self._weight(s) < BROAD_IDF)

    def _weight(self, term: str) -> float:
        """A term's IDF; a term no document uses (an absent English word too) weighs as the rarest word."""
        return max(self.idf(term), 1.0)


def ruled_out(features: Features, nouns_are_topics: bool) -> bool:
    """The rules that refuse whatever the model says: a chat question mostly about things no document names,
    an English question naming a policy term no document uses (maternity leave, minimum wage), or a question
    asking for figures no supporting clause states — the policy may exist, but it does not say what was asked,
    and the answer says exactly that."""
    return mostly_unknown(features, nouns_are_topics) or features.absent_term >= 1.0 or fact_unstated(features)


def fact_unstated(features: Features) -> bool:
    """The question asks only for figures or contact details (EXACT_SLOTS) and no supporting clause states one
    about its topic (see `ruled_out`). Only those: a number with its unit, a phone number or an address is
    unambiguous evidence, while a deadline (什么时候 may ask when, not how long) or materials (材料交到哪里 asks where) can be asked and stated in too many ways for a rule; those
    stay the model's `slot_missing`."""
    return features.figure_unstated >= 1.0


def mostly_unknown(features: Features, nouns_are_topics: bool = True) -> bool:
    """A rule, not a weight: when at least half of what a question is about (its nouns, IDF-weighted) is named
    by no document, the documents do not cover it, however close the nearest clause looks. A hotline message's
    nouns describe the caller's situation too: there only the parts that ask count (`asked_unknown`)."""
    share = features.unknown_things if nouns_are_topics else features.asked_unknown
    return share >= UNKNOWN_MAJORITY


_PART = re.compile(r"[^，,。！？?!；;、\n]+[，,。！？?!；;、]?")  # the parts of a sentence between its commas


def asking_part(question: str) -> str:
    """The sentences of a question that ask — words around them (今天天气不错…) are not what the documents must
    cover — unless they name no topic of their own (…通过了车规级认证。能补贴多少？): then the whole question."""
    asking = "\n".join(find_questions(question))
    return asking if asking != question and salient_terms(asking) else question


# A-not-A question forms (够不够, 算不算, 有没有, 可不可以) ask whether; they name no topic.
_A_NOT_A = re.compile(r"^(.)[不没]\1.?$")


_LOCATIVE = re.compile(r"^(.+?)[里上内]$")
_COMPLEMENTS = "到了着过完好走"
_NEGATIONS = "不没"


# A demonstrative with a measure word (这两块, 那几项, 这三点) points back at what the question named before: it
# names nothing itself. jieba keeps some whole as nouns.
_DEICTIC = re.compile(r"^[这那][一两二三四五六七八九十几]*[个块项点件条种类样些份批家位张所]$")


def _frame_word(word: str) -> bool:
    """A word of the asking, not of the topic; with a locative after it too (店里, 镇上 as 店, 镇)."""
    located = _LOCATIVE.match(word)
    return word in FRAME_WORDS or bool(located) and located[1] in FRAME_WORDS or bool(_DEICTIC.match(word))


def salient_terms(question: str) -> list[str]:
    """The question's topic words, Chinese and English-through-the-term-map, in order, without repeats."""
    text = normalise(_MASKED.sub(" ", question))
    terms: list[str] = []
    for word, tag in _pos_cut(text):
        word = word.strip()
        if len(word) < 2 or _frame_word(word) or _A_NOT_A.match(word) or not re.search(r"[a-z\u4e00-\u9fff]", word):
            continue
        if tag.startswith(_NAME_TAGS) or tag in _PLACE_TAGS or places_named(word):
            continue
        if word.isascii():
            continue  # English words are taken through the term map below, as phrases
        if tag.startswith(_KEEP_TAGS) and word not in terms:
            terms.append(word)
    # 顺延到 is 顺延 with a verb complement: one term, not a second unknown one.
    terms = [t for t in terms if not (t[-1] in _COMPLEMENTS and t[:-1] in terms)]
    if is_latin(question):
        terms += [t for t in english_terms(_MASKED.sub(" ", question)) if t not in terms]
    return terms


def split_words(question: str) -> list[str]:
    """Words jieba does not know fall apart into single characters (以工代训 → 以 工 代 训): each run of three or
    more such characters (two are mostly particles: 条的, 能拿), to be taken as a term where the corpus uses it
    whole. A run naming a place (在相城 from 在 相 城) is the jurisdiction's signal, not a term, as a place word is."""
    runs, current = [], ""
    for word, _ in _tagged(question):
        if len(word) == 1 and "\u4e00" <= word <= "\u9fff":
            current += word
            continue
        runs.append(current)
        current = ""
    runs.append(current)
    return [run for run in runs if len(run) >= 3 and not places_named(run)]


def place_like_words(question: str) -> list[str]:
    """Words jieba tags as places that the gazetteer does not know (上市, 上门 are so tagged): where the documents
    use one often (MISTAGGED_PLACE_USES), it is a word of theirs, not a place, and a term of the question."""
    return list(dict.fromkeys(word for word, tag in _tagged(question)
                              if len(word) >= 2 and tag in _PLACE_TAGS and not places_named(word)
                              and not _frame_word(word)))


def lone_nouns(question: str) -> list[str]:
    """One-character nouns (狗, 猫, 税): too common to be terms where the documents use them, but one that no
    document uses at all, not even inside a word, is a thing they do not cover (the caller's 狗)."""
    return list(dict.fromkeys(word for word, tag in _tagged(question)
                              if len(word) == 1 and tag == "n" and "\u4e00" <= word <= "\u9fff"
                              and not _frame_word(word)))


def name_like_words(question: str) -> list[str]:
    """Words jieba tags as person names (博士后, 养老院 and 幼儿园 are tagged so too): a caller's name is never a
    word of the policy documents, so one the corpus uses is a term of theirs, not a name."""
    return [word for word, tag in _tagged(question)
            if len(word) >= 2 and tag.startswith(_NAME_TAGS) and not places_named(word)]


def miscut_words(question: str, corpus: str | SubstringIndex, candidates: set[str] | None = None) -> set[str]:
    """Two-character words jieba cut across a word boundary (范围内能不能 → 范围 内能 不能): a character of them
    belongs with its neighbour, and together they make a word the documents use (范围内). Such a word is not a
    thing the question names, let alone one no document mentions. `candidates`: only these words are looked at
    (the ones the corpus lacks; searching a large corpus for every word of every question is not free)."""
    cut = [word for word, _ in _tagged(question)]
    out = set()
    for i, word in enumerate(cut):
        if len(word) != 2 or (candidates is not None and word not in candidates) or word in corpus:
            continue
        before, after = (cut[i - 1] if i else ""), (cut[i + 1] if i + 1 < len(cut) else "")
        if (len(before) >= 2 and _belongs(before + word[0], before, corpus)) or \
                (len(after) >= 2 and _belongs(word[1] + after, after, corpus)):
            out.add(word)
    return out


MISCUT_COHESION = 0.1


def _belongs(glued: str, neighbour: str, corpus: str | SubstringIndex) -> bool:
    """Whether the documents write the neighbour with that character attached often enough for it to be part
    of one word: 范围内 is over a quarter of their 范围, 承诺书 an eighth of their 承诺, while 苏州中 (苏州中心,
    苏州中院) is 3 % of their 苏州 — 苏州中考 is 苏州 and 中考."""
    together = _count(glued, corpus)
    return together >= 2 and together >= MISCUT_COHESION * _count(neighbour, corpus)


@lru_cache(maxsize=4096)
def _count(text: str, corpus: str | SubstringIndex) -> int:
    return corpus.count(text)


def is_absent(word: str) -> bool:
    """An English word or reviewed phrase (or its base form) whose every Chinese rendering the corpus lacks."""
    absent = load_absent_words()
    return word in absent or any(b in absent for b in base_forms(word))


def absent_policy_terms(english: list[str], question: str = "") -> list[str]:
    """Of an English question's absent words and phrases (`english`), the reviewed policy terms (maternity leave
    → 产假): named on purpose, they make the question about what no document mentions, where an absent
    CC-CEDICT gloss may be a loose reading of an everyday word. A Chinese question's absent terms weigh in
    `unknown_things`; their share of its nouns already says this (as a feature of its own, dev cross-validated
    refusal of Chinese questions fell, 0.747 → 0.663)."""
    reviewed = load_absent_reviewed()
    named = [t for t in english if t in reviewed or any(b in reviewed for b in base_forms(t))]
    return named + [t for t in _interrupted_terms(question) if t not in named]


def _interrupted_terms(question: str) -> list[str]:
    """Reviewed absent terms of several words named with a word between theirs (minimum monthly wage, annual paid
    leave): the term map reads such a question word by word (最低, 每月, 工资), each a word the corpus uses."""
    if not question or not is_latin(question):
        return []
    text = " ".join(question.lower().split())
    return [term for term, pattern in _reviewed_patterns() if pattern.search(text)]


@cache
def _reviewed_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """Each reviewed term of several words, as its words in order with at most one other word between each pair,
    not a preposition or a conjunction (minimum for wage is no minimum wage), and a plural ending on the last."""
    out = []
    for term in sorted(load_absent_reviewed()):
        words = term.split()
        if len(words) > 1:
            body = r"(?:\s+(?!(?:of|for|to|in|on|at|by|with|from|and|or)\b)[a-z'-]+)?\s+".join(re.escape(w) for w in words)
            out.append((term, re.compile(rf"\b{body}(?:s|es)?\b")))
    return tuple(out)


def term_forms(question: str) -> dict[str, tuple[str, ...]]:
    """For an English question, each mapped term with the other corpus terms of its phrase (subsidy → 补贴,
    补助: rag/translate.py term groups); a clause saying either has it. Empty for a Chinese question."""
    if not is_latin(question):
        return {}
    return {group[0]: tuple(group) for group in term_groups(question)}


def english_terms(question: str) -> list[str]:
    """English phrases of a question mapped to corpus terms (longest phrase first). An English word whose every
    Chinese rendering is absent from the corpus (domain/data/en_absent.txt: kindergarten, overtime) stays as
    itself — a term no document uses; a word the map merely lacks (available, major) is left out. Capitalised
    words inside a sentence are names, and places are the jurisdiction signal's, not topic words."""
    out: list[str] = []
    for phrase in english_phrases(question):
        if all(w in FRAME_WORDS or any(b in FRAME_WORDS for b in base_forms(w)) for w in phrase.words):
            continue  # policy, company, phone …: words every question to this assistant uses
        word = " ".join(phrase.words)
        if phrase.terms:
            if not places_named(phrase.terms[0]):
                out.append(phrase.terms[0])
        elif is_absent(word) and not phrase.capitalised and not places_named(word):
            out.append(word)
    return out


def foreign_places(question: str) -> tuple[list[str], bool]:
    """Places outside Suzhou that a question names, and whether it names no Suzhou place at all (then it is
    about another place only). Suzhou's own province and country are no foreign place as places, but a question
    about their own policy (国家这轮补贴, 省里按…补) names a level of government whose documents the library
    does not hold, unless it asks about Suzhou's too."""
    home = {a.name for p in suzhou_places()[:1] for a in ancestors(p)}
    named = [p for p in places_named(question) if p.name not in home and _mentions(p, question)]
    foreign = [p.name for p in named if not in_suzhou(p)]
    only_foreign = len(foreign) == len(named)
    return foreign + (higher_levels_asked(question) if only_foreign else []), only_foreign


def foreign_share(question: str) -> float:
    """Share of the place mentions in the question sentence(s) that are outside Suzhou (0 when none is named):
    a caller who moved from 杭州 and asks about 苏州 is asking about Suzhou, one comparing 杭州 with 苏州 is
    mostly asking about 杭州, and so is one choosing between them that asks what 杭州 gives."""
    home = {a.name for p in suzhou_places()[:1] for a in ancestors(p)}
    asked = "".join(asking_sentences(question)) or question
    mentions = {p: _mentions(p, asked) for p in places_named(asked) if p.name not in home}
    total = sum(mentions.values())
    return sum(n for p, n in mentions.items() if not in_suzhou(p)) / total if total else 0.0


# A place named as where someone comes from or travels to (回四川接工人, 户口在湖南, 江西人), or as a partner to work
# with (对接宁波、温州的客商), is part of the story, not the jurisdiction asked about (杭州对…有什么补贴), and so is where
# something was paid or spent
# (在武汉缴纳的社保, the Wuhan years); one named to compare with (比苏州高吗, higher than Suzhou's) is
# not what the question asks about either.
_TRAVELLED_BEFORE = re.compile(r"(?:(?:去|到|回|从|来自|离开|户口在|户籍在|老家在|老家是|原籍|比|than|compared with|compared to|"
                               r"\b(?:from|worked in|lived in|studied in)|\b(?:my|our|his|her|their))"
                               r"|(?:对接|联合)(?:(?:(?![、和及与])[\u4e00-\u9fff]){1,8}[、和及与])*)\s*$")  # partners, listed
_TRAVELLED_AFTER = re.compile(r"(?:那边|那里|那儿|当地)?"  # the same after 那边: 南京那边交的养老保险
                              r"(?:老家|户口|户籍|籍|人(?![民才])|来的|过来|交的|缴的|交了|缴了|缴纳的|那段|那几年|期间|的时候|"
                              r"\s+(?:months|years)\b)")
# A foreign country (or Hong Kong, Macao) named as a thing's origin, market or site (日本的设计奖项, 美国客户, 出口到日本,
# 在德国设立的工厂, a warehouse in Germany), as where a company lists (赴港上市, a Hong Kong IPO) or as a person's home
# (香港居民) is no jurisdiction asked about; named otherwise (德国的养老金, Japan's minimum wage) it is.
_COUNTRY_AS_ORIGIN_BEFORE = re.compile(r"(?:出口|出口到|销往|卖到|发往|进口自|赴|\bexport(?:s|ed|ing)?\s+to|\bsell(?:s|ing)?\s+to|"
                                       r"\blist(?:s|ed|ing)?\s+in|"
                                       r"\bship(?:s|ped|ping)?\s+to|\b(?:warehouses?|offices?|subsidiar(?:y|ies)|"
                                       r"branch(?:es)?|plants?|factor(?:y|ies)|sites?)\s+in)\s*$")
_COUNTRY_AS_ORIGIN_AFTER = re.compile(r"[\u4e00-\u9fff]{0,4}?(?:奖|认证)|(?:[、和及与](?:(?![、和及与]|的)[\u4e00-\u9fff]){1,5})*"
                                      r"(?:的(?:客户|总部|工程师|专家|供应商|订单)|客户|市场|品牌|企业|公司|总部|工程师|专家|供应商|订单|建了|设立|"
                                      r"上市|居民|\s+(?:[a-z-]+\s+){0,2}?(?:award|prize|customers?|market|brand|compan(?:y|ies)|"
                                      r"firms?|engineers?|headquarters|partners?|suppliers?|clients?|ipo|listing|residents?)\b)")


_MARKETS = ("country", "sar")  # where a thing comes from, sells or lists (香港上市) as well as a jurisdiction


def _mentions(place, text: str) -> int:
    """How often the text names the place as a jurisdiction: not as where someone comes from or goes, nor, for a
    foreign country, as a thing's origin or market."""
    lowered = text.lower()
    starts = _word_starts(lowered)
    forms = sorted(set(place.surface_forms), key=len, reverse=True)
    count = 0
    for form in forms:  # longest first, each occurrence blanked so a shorter form does not count it again
        target = form.lower() if form.isascii() else form
        for match in re.finditer(re.escape(target), lowered):
            if not form.isascii() and match.start() not in starts:
                continue  # inside another word: 算法国家标准 names no 法国
            travelled = (_TRAVELLED_BEFORE.search(lowered, 0, match.start())
                         or _TRAVELLED_AFTER.match(lowered, match.end()))
            origin = place.level in _MARKETS and (_COUNTRY_AS_ORIGIN_BEFORE.search(lowered, 0, match.start())
                                                   or _COUNTRY_AS_ORIGIN_AFTER.match(lowered, match.end()))
            count += not (travelled or origin)
        lowered = lowered.replace(target, " " * len(target))
    return count


def _word_starts(text: str) -> frozenset[int]:
    """The positions where jieba starts a word in `text`."""
    starts, at = set(), 0
    for word, _ in _pos_cut(text):
        starts.add(at)
        at += len(word)
    return frozenset(starts)


def stated(slot: str, terms: list[str], support: list[Clause], validity: bool = False, span: bool = False,
           in_unit: re.Pattern | None = None, about: dict[str, str] | None = None, cutoff: bool = False,
           ratio: bool = False, broad: frozenset[str] = frozenset()) -> bool:
    """Whether a supporting clause states the asked kind of fact about what the question names: in one sentence
    with a question term (across a short aside: 培训（实训）基地 is a 培训基地), or in an enumeration's item whose
    lead has one (保护范围为：（一）…1米…); a figure
    elsewhere in the clause is about something else; any sentence when the
    question names no topic (能补多少？ after the sentence that named it). A department is stated for the whole
    clause (its 责任单位 trailer). When the question asks about validity (`validity`), a sentence about its own
    document (本办法自…起施行) is about what the title names. A deadline asked as a span (`span`: 多久, how long)
    needs a span or a date, not just words of time (在有效期内, 规定期限); one asked in a unit of its own
    (`in_unit`: 多少个工作日, 几辆) needs a figure in that unit. `about`: clause id → the text a clause's
    sentences are about besides their own (a penalty article's, the article it enforces). A `broad` synonym of a
    term (报名 → 申请) does not name it here: 2个工作日内 of checking an application says nothing of signing up."""
    pattern = stating_pattern(slot, in_unit, span, cutoff, ratio)
    for clause in support:
        if slot == "department":
            if pattern.search(clause.text):
                return True
            continue
        title = clause.doc.get("doc_title") or ""
        sentences = split_sentences(clause.text)
        for sentence, lead in zip(sentences, enumeration_leads(sentences), strict=True):
            if not pattern.search(sentence):
                continue
            context = sentence + ("" if lead is None else sentences[lead]) + (  # an item is about what its lead names
                title if validity and _SELF_REFERENCE.search(sentence) else "") + (about or {}).get(clause.id, "")
            if not terms or any(term_found(t, _readable(context), unless=broad) for t in terms):
                return True
    return False


_ITEM = re.compile(r"^(?:[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、]|[一二三四五六七八九十]+、)")


def enumeration_leads(sentences: list[str]) -> list[int | None]:
    """For each sentence, the index of the lead it is an enumeration item of (None when it is none): in 保护范围为：
    （一）低压管道…1米…；（二）中压管道…2米… the items' figures are about what the lead names."""
    leads: list[int | None] = []
    lead = None
    for i, sentence in enumerate(sentences):
        if lead is None or not _ITEM.match(sentence):
            lead = i if sentence.endswith(("：", ":")) else None
            leads.append(None)
        else:
            leads.append(lead)
    return leads


def with_leads(sentences: list[str], coverage: list[float]) -> list[float]:
    """Each sentence's coverage, an enumeration's items taking their lead's when it is higher, and a sentence
    that opens by pointing back (对符合条件的企业每年给予最高150万元的奖励) the best of the sentences before it: its
    figure is about what they name (加大跨境电商标杆企业培育力度…)."""
    out = [share if lead is None else max(share, coverage[lead])
           for share, lead in zip(coverage, enumeration_leads(sentences), strict=True)]
    return [max(share, *coverage[:i]) if i and _POINTS_BACK.match(sentence) else share
            for i, (sentence, share) in enumerate(zip(sentences, out, strict=True))]


# A sentence whose subject is what the sentences before it named: 对符合条件的企业, 上述项目, 对其.
_POINTS_BACK = re.compile(r"(?:对|给予|经)?(?:符合(?:上述|以上|相关)?条件的|上述|以上|前述|该类|其(?![他余]))")


def on_topic(pattern: re.Pattern, sentences: list[str], coverage: list[float]) -> bool:
    """Whether a sentence stating the asked kind of figure is about what the question asks as much as the
    sentences that best match it: holding at least ON_TOPIC of their share of the question's term weight. A
    clause answering 夜间文旅消费集聚区…申报一次性奖励 with no sum, beside a sum for another activity that shares
    only 文旅消费, states no sum for what was asked."""
    best = max(coverage, default=0.0)
    return any(pattern.search(s) and share >= ON_TOPIC * best for s, share in zip(sentences, coverage))


def term_found(term: str, text: str | SubstringIndex, forms: dict[str, tuple[str, ...]] | None = None,
               unless: frozenset[str] = frozenset()) -> bool:
    """The term, one of its other `forms` (an English phrase's corpus terms) or one of their synonyms (less those
    in `unless`) occurs in the (compacted, so lower-cased: IPO as ipo) text."""
    synonyms = load_synonyms()
    return any(form in text or any(_holds(text, s) for s in synonyms.get(form, ()) if s not in unless)
               for form in (forms or {}).get(term, (term,)))


def _holds(text: str | SubstringIndex, synonym: str) -> bool:
    """A synonym in compacted (so lower-cased) text; an English one as a word of its own: IPO, not the ipo of wipo."""
    if not synonym.isascii():
        return synonym in text
    if isinstance(text, SubstringIndex):  # the whole library: whether it uses the letters at all
        return synonym.lower() in text
    return _as_word(synonym.lower()).search(text) is not None


@lru_cache(maxsize=256)
def _as_word(word: str) -> re.Pattern:
    """Compiled once: term_found runs for every sentence of every supporting clause."""
    return re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])")


def _context(clause: Clause) -> str:
    """A clause with what frames it: its section headings and its document's title."""
    return clause.text + "".join(clause.section_path) + (clause.doc.get("doc_title") or "")


@lru_cache(maxsize=4096)
def _compact(text: str) -> str:
    """Remembered: the supporting clauses' texts and sentences recur question after question (NFKC-normalising
    them each time was a third of `features`)."""
    return re.sub(r"\s+", "", normalise(text))


# A short aside inside a term: 电商培训（实训）基地 is a 培训基地.
_ASIDE = re.compile(r"[（(][^（）()]{1,4}[）)]")  # compacted text has NFKC's ASCII brackets


@lru_cache(maxsize=4096)
def _readable(text: str) -> str:
    """The compacted text, followed by its reading without short asides when it has any, so that a question's term
    is found across one."""
    compact = _compact(text)
    return f"{compact}\n{_ASIDE.sub('', compact)}" if _ASIDE.search(compact) else compact


@cache
def _pos_tokenizer():
    import jieba.posseg

    from ingest.tokenize import _get_tokenizer

    return jieba.posseg.POSTokenizer(_get_tokenizer())


def nouns_of(question: str) -> set[str]:
    """The question's nouns (things it asks about: 契税, 起步价), as jieba tags them. A word no document uses
    is telling when it is a thing; a colloquial verb (打算, 拿到, 办完) is not."""
    return {word for word, tag in _tagged(question) if tag.startswith(_NOUN_TAGS)}


def _tagged(question: str) -> tuple[tuple[str, str], ...]:
    """A question's words with their jieba tags, its masking asterisks (138****1234) blanked and the text normalised."""
    return _pos_cut(normalise(_MASKED.sub(" ", question)))


@lru_cache(maxsize=4096)
def _pos_cut(text: str) -> tuple[tuple[str, str], ...]:
    # Without HMM new-word discovery: colloquial text would otherwise yield fragments (了找, 开不) that look like
    # terms no document uses; unknown character runs fall apart into single characters, which are skipped.
    # Remembered: one question's salient terms, nouns and split words all start from the same cut.
    return tuple((p.word, p.flag) for p in _pos_tokenizer().cut(text, HMM=False))
