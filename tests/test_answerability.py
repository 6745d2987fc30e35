"""Answerability: each signal on its own, the fitted model's file, and — on the real corpus — a near-topic question,
another city's policy, an English off-topic question and a two-part message answered in part."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from rag import answerability as A
from rag import slots as S
from domain.terms import load_absent_reviewed
from domain.validity import ASKS_VALIDITY
from rag.answerability import Answerability, Features, Model, foreign_places, foreign_share, salient_terms
from rag.retrieval import Ranking
from rag.runtime import make_assistant
from rag.slots import asked_slots
from rag.types import Retrieved
from settings import Settings
from stubs.fake_index import FakeIndex, clause, doc_meta, sample_clauses

# --- salient terms ------------------------------------------------------------------------------------------


def test_salient_terms_drop_hotline_framing_names_places_and_masked_numbers():
    terms = salient_terms("市民张建国来电反映：住姑苏区，家里的煤气罐漏气了，电话139****5678，请问找哪个部门？")
    assert "煤气罐" in terms
    assert not {"市民", "张建国", "来电", "反映", "姑苏区", "电话", "部门", "家里"} & set(terms)
    assert not any("*" in t or t.isdigit() for t in terms)


@pytest.mark.parametrize("question", ["能不能晚点交罚款？", "光是咨询就打了好几个热线，热线什么时候合并？"])
def test_a_colloquial_adverb_jieba_tags_as_a_noun_is_no_topic_term(question):
    assert not {"晚点", "光是"} & set(salient_terms(question))  # jieba tags both n: no thing the documents lack


def test_the_modal_caineng_of_a_question_is_no_topic_term():
    """怎么才能… (what must I do to…): 才能 here is a modal, not the noun "talent" that no document uses."""
    terms = salient_terms("软管已经换好了，怎么才能恢复用气？")
    assert "才能" not in terms and "软管" in terms


def test_a_demonstrative_with_a_measure_word_is_no_topic_term():
    """这两块 points back at what the question named (jieba keeps it whole as a noun): no document names it."""
    assert salient_terms("研发投入和人才引进这两块有什么政策？") == salient_terms("研发投入和人才引进有什么政策？")
    assert "这两块" in [word for word, _ in A._tagged("这两块有什么政策？")]  # why the rule is needed


def test_family_words_name_no_topic_in_english_as_in_chinese():
    assert "father" not in salient_terms("My father runs a small shop. Is there a rent subsidy for it?")


def test_the_people_of_a_callers_story_name_no_topic():
    """老伴, 表弟, 学长 are who the caller speaks of, like 老公 or 邻居; the documents need not name them."""
    terms = salient_terms("我老伴和表弟听学长说有长期护理保险，怎么申请？")
    assert not {"老伴", "表弟", "学长"} & set(terms)
    assert "护理" in "".join(terms)


def test_asking_words_with_a_locative_or_a_complement_are_not_topic_terms():
    """镇上 is 镇 (a word of the caller's setting), 还有 is a connective, and 顺延到 is 顺延 with a complement:
    none is a second topic term the documents would have to use."""
    terms = salient_terms("还有厂里的设备检测证书去年到期了，能顺延吗？顺延到哪天？镇上有没有办理点？")
    assert not {"还有", "厂里", "镇上", "顺延到"} & set(terms)
    assert {"设备", "顺延"} <= set(terms)


def test_salient_terms_of_an_english_question_come_through_the_term_map():
    terms = salient_terms("How much subsidy can a specialized and sophisticated SME get in Wujiang District?")
    assert "专精特新" in terms
    assert "吴江区" not in terms and "wujiang" not in terms  # a place is a jurisdiction, not a topic


def test_english_word_whose_chinese_the_corpus_lacks_stays_as_an_unknown_term_and_a_map_gap_is_left_out():
    terms = salient_terms("Which kindergarten is available for my child?")
    assert "kindergarten" in terms and "available" not in terms


def test_nouns_of_a_question_are_the_things_it_asks_about_not_its_verbs():
    nouns = A.nouns_of("我打算问一下出租车起步价多少钱")
    assert {"出租车", "起步价"} <= nouns and "打算" not in nouns


def test_half_the_question_unknown_is_refused_by_rule():
    features = Features(0.9, 0.5, 0.9, 0.9, 0.0, 0.0, 0.0, 0.0, unknown_things=0.5, figure_unstated=0.0,
                        absent_term=0.0, asked_unknown=0.0)
    assert A.mostly_unknown(features)
    assert not A.mostly_unknown(Features(0.9, 0.5, 0.9, 0.9, 0.0, 0.0, 0.0, 0.0, unknown_things=0.4,
                                         figure_unstated=0.0, absent_term=0.0, asked_unknown=0.0))
    # a hotline message: its story's nouns do not count, the nouns of what it asks do
    assert not A.mostly_unknown(features, nouns_are_topics=False)
    assert A.mostly_unknown(replace(features, unknown_things=0.1, asked_unknown=0.6), nouns_are_topics=False)


# --- jurisdiction -----------------------------------------------------------------------------------------------


def test_another_city_named_alone_is_foreign():
    assert foreign_places("杭州对跨境电商有什么补贴？") == (["杭州市"], True)
    assert foreign_places("What subsidies does Hangzhou give?")[0] == ["杭州市"]


@pytest.mark.parametrize(("question", "foreign"), [
    ("公司准备赴港上市，市里怎么奖励？", []),
    ("Our board wants a Hong Kong IPO next year; does Suzhou reward firms listing in Hong Kong?", []),
    ("香港居民在苏州创业有补贴吗？", []),
    ("香港的最低工资是多少？", ["香港特别行政区"]),
])
def test_hong_kong_as_a_listing_venue_or_a_person_s_home_is_no_jurisdiction_asked_about(question, foreign):
    assert foreign_places(question)[0] == foreign


def test_a_place_name_inside_another_word_names_no_place():
    # 推荐算法国家标准 is 推荐 + 算法 + 国家标准: 法国 is no country asked about; 法国的养老金 is.
    assert foreign_places("推荐算法国家标准什么时候出？") == ([], True)
    assert foreign_share("推荐算法国家标准什么时候出？") == 0.0
    assert foreign_places("法国的养老金怎么领？")[0] == ["法国"]


def test_a_suzhou_question_naming_another_place_on_the_way_is_not_foreign_only():
    names, only = foreign_places("我从杭州搬到苏州工作，落户苏州要什么条件？")
    assert names == [] and not only  # where the caller came from is no jurisdiction asked about
    assert foreign_share("我从杭州搬到苏州工作，落户苏州要什么条件？") < 0.5


def test_an_english_question_choosing_between_cities_that_asks_about_the_other_one_is_about_that_city():
    question = "Our board is weighing Ningbo against Suzhou for a battery plant. What land subsidy does Ningbo offer?"
    assert foreign_share(question) == 1.0
    assert foreign_share("We moved from Ningbo last year. What land subsidy does Suzhou offer?") == 0.0


@pytest.mark.parametrize(("question", "level"), [
    ("国家这轮家电以旧换新补贴按售价多少比例补？", "国家层面"),
    ("国家层面对小微企业有没有出台新的贷款贴息政策？", "国家层面"),
    ("国家层面跨境电商零售进口的年度交易限值是多少？", "国家层面"),  # 层面 names the level whatever follows
    ("新能源汽车购置税国家现在怎么规定的？", "国家层面"),
    ("省级层面对专精特新企业奖励多少？", "江苏省"),
    ("省里按保费的多少比例给补贴？", "江苏省"),
    ("What is the national corporate income tax rate for small firms?", "国家层面"),
    ("What does the Jiangsu provincial government pay for a new R&D centre?", "江苏省"),
])
def test_a_question_about_the_states_or_the_provinces_own_policy_is_about_documents_the_library_lacks(question, level):
    assert foreign_places(question) == ([level], True)


@pytest.mark.parametrize("question", [
    "我们刚被评上省级工业设计中心，市里奖励多少钱？",  # a grade, not a policy-maker
    "对经国家认定的首台（套）装备，奖励多少？",  # recognised by the state, rewarded by the city
    "国家级开发区赋权清单赋予的权力能在开发区以外实施吗？",
    "国家对首台套有保险补偿，苏州还有没有配套奖励？",  # asks about Suzhou's policy too
    "Under the policy supporting the national AI pilot zone, what is the subsidy for a proof-of-concept centre?",
])
def test_a_grade_a_recognition_or_a_suzhou_question_is_no_higher_level_policy(question):
    assert foreign_places(question)[0] == []


@pytest.mark.parametrize(("question", "foreign"), [
    ("我们公司的设计总监今年拿了德国红点奖，他能不能报市里的领军人才？", []),  # an award's origin
    ("We export to Germany. Is there a Suzhou subsidy for exhibitions?", []),  # a market
    ("我们有美国客户，出口退税怎么办？", []),  # customers
    ("法国、意大利的供应商多，进口设备有补贴吗？", []),  # suppliers, of a list of countries
    ("德国的企业所得税税率是多少？", ["德国"]), ("日本的公司注册要多少钱？", ["日本"]),  # 的 + a word of theirs
    ("We run a public overseas warehouse in Germany. What share of the storage fee is subsidised?", []),  # a site
    ("德国对新能源车有什么补贴？", ["德国"]), ("What subsidy does Germany give for solar panels?", ["德国"]),
    ("新加坡公积金缴费比例是多少？", ["新加坡"]), ("德国的养老金怎么领？", ["德国"]),
    ("What is the minimum wage in Japan?", ["日本"]), ("Japan's minimum wage?", ["日本"]),
])
def test_a_foreign_country_is_the_jurisdiction_asked_about_unless_named_as_an_origin_or_market(question, foreign):
    assert foreign_places(question)[0] == foreign


def test_a_long_run_of_list_words_after_a_country_is_read_at_once():
    import time

    start = time.perf_counter()
    foreign_places("德国" + "和与及" * 700 + "吗")
    assert time.perf_counter() - start < 0.5  # no backtracking over every way to split the run


def test_suzhou_province_and_country_are_no_foreign_place():
    assert foreign_places("江苏省和苏州市对专精特新企业有什么奖励？")[0] == []


# --- answer slot -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("question, slots", [
    ("补贴最高多少钱？", ["amount"]), ("多少个工作日办结？", ["deadline"]), ("找哪个部门？", ["department"]),
    ("要准备哪些材料？", ["materials"]), ("这个政策是什么意思？", []), ("到2027年要建多少家养老院？", ["count"]),
    ("覆盖目标是多少？", ["figure"]), ("有效期多少年？", ["deadline"]), ("能拿多少补贴？找哪个部门？", ["amount", "department"]),
    ("How many copies are made?", ["count"]), ("How many days does approval take?", ["deadline"]),
    ("How do software firms cooperate with universities?", []),  # "rate" is no word of "cooperate"
    ("几月几号开放领取？截止日期是哪天？", ["deadline", "date"]), ("工作日几点上班？", ["date"]),
    ("有哪几点要求？", []), ("What time does the office open?", ["date"]), ("放宽到几点可以进城区？", ["date"]),
    ("我们有好几家门店，能不能一起办？", []), ("十几辆车要年检，找哪个部门？", ["department"]),  # indefinite 几
    ("厂里派了几辆车去接人，补贴找哪个部门？", ["department"]), ("几辆车能申请？", ["count"]),  # a done deed's 几
    ("打分有没有时间限制？", ["deadline"]), ("申报企业的员工人数有没有下限？", ["figure"]),
    ("What is the minimum registered capital?", ["figure"]),
    ("What documents are no longer needed when filing a record?", ["materials"]),  # "when" joining, not asking
    ("When does the commitment letter take effect?", ["deadline"]),
    ("How long does the client have to rate us?", ["deadline"]), ("What is the interest rate?", ["amount"]),
    ("What's the fine for refusing a passenger?", ["amount"]), ("Is it fine to apply twice?", []),
    ("单位缴费比例是百分之几？", ["amount"]), ("买了服务以后能报回来几成？", ["amount"]),
    ("公积金最高能贷多少？", ["amount"]), ("押金能退多少？", ["amount"]), ("医药费能报销多少？", ["amount"]),
    ("纳税要花多少时间？", ["deadline"]),  # time spent, not money
    # 几 in a clause that tells, or in a yes/no question, is "a few"; asked, it ends the clause or follows 有/要/问.
    ("我们拉上下游几家企业一起搞联合体，市里给不给经费？", []), ("能不能让几家施工队比价？", []),
    ("我们给几家大厂配套供货，有没有融资渠道？", []), ("需要几个人，几份材料？", ["count", "materials"]),
    ("他问要准备几份材料，在哪里交", ["count", "materials"]), ("有几家企业入选，分别是哪些？", ["count", "names"]),
    ("When we go to the counter, do we still bring the paper licence?", []),  # a "when" clause, asking nothing
])
def test_asked_slots_are_recognised_longest_asking_words_first(question, slots):
    assert asked_slots(question) == slots


# --- the decision on a hand-made index --------------------------------------------------------------------------


def ranking_of(index: FakeIndex, ids: list[str], cosine: float = 0.9) -> Ranking:
    hits = [Retrieved(n, cid, index.clauses[cid].citation, "", index.clauses[cid].label, index.clauses[cid].text, 1.0)
            for n, cid in enumerate(ids, start=1)]
    return Ranking(hits=hits, evidence={"best_cosine": cosine, "lexical_coverage": 0.5})


@pytest.fixture()
def fake() -> tuple[FakeIndex, Answerability]:
    index = FakeIndex(sample_clauses())
    return index, Answerability(index.clauses, lambda token: 1.0)


def test_a_chat_question_mostly_about_unknown_things_is_refused_by_rule_and_so_is_a_hotline_message_asking_about_them(
        fake):
    index, check = fake
    ranking = ranking_of(index, list(index.clauses)[:3])
    assert check.decide("契税怎么算？", ranking).features["unknown_things"] == 1.0
    by_rule = check.decide("契税怎么算？", ranking, nouns_are_topics=True)
    assert not by_rule.answerable and by_rule.probability == 0.0 and by_rule.unknown_terms == ["契税"]
    message = "市民来电，家住体育馆旁边，上个月刚买了房，问契税怎么算。"
    assert check.decide(message, ranking, nouns_are_topics=False).probability == 0.0  # it asks about 契税


def test_a_hotline_callers_story_in_everyday_words_goes_to_the_model_when_the_asking_names_known_topics(fake):
    index, check = fake
    ranking = ranking_of(index, list(index.clauses)[:3])
    message = "市民来电，家住体育馆旁边，饭店用交通卡付款。问燃气管道保护范围有多大？"
    assert check.asked_unknown(message) == 0.0  # 体育馆 and 交通卡 are the story, not the asking
    assert check.decide(message, ranking, nouns_are_topics=False).probability > 0.0


def test_term_the_corpus_never_uses_lowers_coverage_and_is_named_in_the_reasons(fake):
    index, check = fake
    top = list(index.clauses)[:3]
    features, details = check.features("契税怎么算？", ranking_of(index, top))
    assert features.clause_coverage == 0.0
    assert any("契税" in r for r in details["reasons"])


def test_missing_figure_is_a_missing_slot(fake):
    index, check = fake
    wordy = [cid for cid, c in index.clauses.items() if not S.AMOUNT.search(c.text)][:1]
    features, details = check.features("这项补贴最高多少钱？", ranking_of(index, wordy))
    assert features.slot_missing == 1.0 and details["slot"] == "amount"


def test_a_count_is_stated_by_a_number_of_things_and_money_is_not_stated_by_a_count():
    doc = doc_meta("苏州市养老服务若干措施")
    homes = clause(doc, "一、（二）", "到2027年，全市建成60家以上智慧养老院。")
    assert A.stated("count", ["养老院"], [homes])
    assert not A.stated("amount", ["养老院"], [homes])  # 多少钱 is not answered by 60家


def test_a_sentence_about_its_own_document_states_its_validity_for_the_title_s_topic():
    doc = doc_meta("苏州市软件产业高质量发展若干政策措施")
    closing = clause(doc, "施行与解释", "本措施自2025年2月1日起施行，有效期至2027年12月31日。")
    assert A.stated("deadline", ["软件产业"], [closing], validity=True)
    assert not A.stated("deadline", ["燃气"], [closing], validity=True)
    assert not A.stated("deadline", ["软件产业"], [closing])  # how long an application takes: not this date


def topic_index() -> tuple[FakeIndex, Answerability]:
    doc = doc_meta("苏州市工业设计中心认定管理办法")
    index = FakeIndex([clause(doc, "第五条", "市工信局负责工业设计中心的认定。对新认定的工业设计中心给予资金支持。"),
                       clause(doc, "第六条", "工业设计中心每两年复核一次。")])
    return index, Answerability(index.clauses, lambda token: 1.0)


def test_every_asked_fact_unstated_is_refused_by_rule_and_called_covered():
    index, check = topic_index()
    decision = check.decide("工业设计中心认定后资金支持多少钱？", ranking_of(index, list(index.clauses), cosine=0.99))
    assert not decision.answerable and decision.probability == 0.0
    assert decision.covered and decision.unstated_slots == ["amount"] and decision.covering
    assert any("未写明具体金额" in r for r in decision.reasons)


def test_one_of_two_asked_facts_stated_goes_to_the_model_not_the_rule():
    index, check = topic_index()
    decision = check.decide("工业设计中心认定后资金支持多少钱？找哪个部门？", ranking_of(index, list(index.clauses)))
    assert decision.features["slot_missing"] == 0.5 and decision.probability > 0.0
    assert decision.unstated_slots == ["amount"]


def test_a_sum_for_something_else_in_the_clause_does_not_state_the_sum_asked_for():
    doc = doc_meta("苏州市促进会展经济发展若干措施")
    index = FakeIndex([clause(doc, "三、（五）", "对在苏举办的国际性专业展会给予展位费补贴，最高50万元。"
                              "支持会展企业引进品牌展会项目，协助主办单位申报一次性奖励。")])
    check = Answerability(index.clauses, lambda token: 1.0)
    ranking = ranking_of(index, list(index.clauses), cosine=0.99)
    asked = check.decide("会展企业引进品牌展会项目，申报一次性奖励能拿多少钱？", ranking)
    assert not asked.answerable and asked.unstated_slots == ["amount"]  # 50万元 is the booth-fee subsidy's cap
    assert check.decide("在苏举办国际性专业展会，展位费补贴最高多少钱？", ranking).unstated_slots == []


def test_a_question_naming_no_topic_of_its_own_takes_the_sentence_before_it():
    index, check = topic_index()
    ranking = ranking_of(index, list(index.clauses))
    assert A.asking_part("我们刚通过工业设计中心认定。能补多少？") == "我们刚通过工业设计中心认定。能补多少？"
    assert A.asking_part("工业设计中心认定找哪个部门？今天天气不错。") == "工业设计中心认定找哪个部门？"
    decision = check.decide("我们刚通过工业设计中心认定。多久复核一次？", ranking)
    assert "deadline" not in decision.unstated_slots  # 每两年 is stated, about the topic of the sentence before


def test_direct_lookup_is_always_answerable(fake):
    index, check = fake
    ranking = ranking_of(index, list(index.clauses)[:1], cosine=0.0)
    ranking.direct = True
    assert check.decide("契税减免", ranking).answerable


def test_model_file_lists_the_code_features_and_cutoffs_fitted_within_the_false_refusal_budget():
    raw = json.loads(A.MODEL_FILE.read_text(encoding="utf-8"))
    model = Model.load()
    assert tuple(raw["features"]) == Features.NAMES and len(model.weights) == len(Features.NAMES)
    assert set(model.cutoffs) == {"zh", "en"} and all(0.0 < c < 1.0 for c in model.cutoffs.values())
    assert raw["fitted_on"]["golden"] == "dev.jsonl"
    for language in ("zh", "en"):
        assert raw["cross_validated"][language]["false_refusal_rate"] <= raw["fitted_on"]["max_false_refusal"]


def test_an_english_question_naming_a_reviewed_term_no_document_uses_is_ruled_out(fake):
    """"maternity leave" is a reviewed policy term (产假) no document uses: the question is about it. A stray
    word whose every CC-CEDICT Chinese the corpus lacks is absent too, but no reviewed term."""
    assert "maternity leave" in load_absent_reviewed() and "kennel" not in load_absent_reviewed()
    assert A.absent_policy_terms(["maternity leave", "kennel"]) == ["maternity leave"]
    index, check = fake
    ranking = ranking_of(index, list(index.clauses)[:1])
    features, _ = check.features("How many days of maternity leave do employees get in Suzhou?", ranking)
    assert features.absent_term == 1.0 and A.ruled_out(features, nouns_are_topics=True)
    features, _ = check.features("How many days does gas pipeline approval take in Suzhou?", ranking)
    assert features.absent_term == 0.0


@pytest.mark.parametrize(("question", "named"), [
    ("How many days of annual paid leave does a new hire get?", ["annual leave"]),  # a word between the two
    ("What is the annual leave entitlement?", ["annual leave"]),
    ("Is the leave annual or monthly?", []),  # the words out of order name no term
    ("Who sets the minimum for wage subsidies?", []),  # a preposition between them: two things, not one term
    ("什么是年假？", []),  # a Chinese question's absent terms weigh in unknown_things
])
def test_a_reviewed_absent_term_is_found_with_a_word_between_its_words(question, named):
    assert "annual leave" in load_absent_reviewed() and "minimum wage" in load_absent_reviewed()
    assert A.absent_policy_terms([], question) == named


def test_model_file_caution_lines_lie_above_the_cutoffs_within_their_budget():
    from eval.fit_answerability import CAUTION_SHARE

    raw = json.loads(A.MODEL_FILE.read_text(encoding="utf-8"))
    model = Model.load()
    for language in ("zh", "en"):
        assert model.cutoffs[language] <= model.cautions[language] < 1.0
        flagged = raw["cross_validated_cautions"][language]
        assert flagged["false_refusal_rate"] <= CAUTION_SHARE  # answerable questions refused or marked tentative
        assert flagged["refusal_accuracy"] > raw["cross_validated"][language]["refusal_accuracy"]


def _even_odds(cutoff: float, caution: float) -> Model:
    """A model giving every question probability 0.5, answered at `cutoff`, tentative below `caution`."""
    return Model(tuple([0.0] * len(Features.NAMES)), 0.0, {"zh": cutoff, "en": cutoff}, {"zh": caution, "en": caution})


@pytest.mark.parametrize(("caution", "tentative"), [(0.6, True), (0.45, False)])
def test_an_answer_below_the_caution_line_is_tentative_and_names_what_its_clauses_lack(caution, tentative):
    index = FakeIndex(sample_clauses())
    check = Answerability(index.clauses, lambda token: 1.0, model=_even_odds(0.4, caution))
    decision = check.decide("燃气管道的保护范围内能不能种树？", ranking_of(index, list(index.clauses)[:3]))
    assert decision.answerable and decision.probability == 0.5
    assert decision.tentative is tentative


def test_a_fixed_cutoff_from_the_settings_marks_no_answer_tentative():
    index = FakeIndex(sample_clauses())
    check = Answerability(index.clauses, lambda token: 1.0, model=_even_odds(0.4, 0.6), cutoff=0.4)
    decision = check.decide("燃气管道的保护范围内能不能种树？", ranking_of(index, list(index.clauses)[:3]))
    assert decision.answerable and not decision.tentative


def test_each_language_is_judged_at_its_own_cutoff():
    model = Model(tuple([0.0] * len(Features.NAMES)), 0.0, {"zh": 0.6, "en": 0.4}, {"zh": 0.6, "en": 0.4})  # p = 0.5
    chinese = Features(0.9, 0.5, 0.9, 0.9, 0.0, 0.0, latin=0.0, english_absent=0.0, unknown_things=0.0,
                       figure_unstated=0.0, absent_term=0.0, asked_unknown=0.0)
    english = Features(0.9, 0.5, 0.9, 0.9, 0.0, 0.0, latin=1.0, english_absent=0.0, unknown_things=0.0,
                       figure_unstated=0.0, absent_term=0.0, asked_unknown=0.0)
    assert model.probability(chinese) < model.cutoff(chinese)
    assert model.probability(english) >= model.cutoff(english)


def test_cutoff_choice_respects_the_false_refusal_budget_with_a_margin_either_side():
    from eval.fit_answerability import choose_cutoff

    probabilities = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9])
    labels = np.array([0, 0, 1, 0, 1, 1, 1])
    assert choose_cutoff(probabilities, labels, 0.0) == pytest.approx(0.25)  # refuses 0.1 and 0.2, no answerable
    assert choose_cutoff(probabilities, labels, 0.25) == pytest.approx(0.65)  # all three, one of four answerable


def test_cutoff_choice_gives_up_no_answerable_question_for_nothing():
    from eval.fit_answerability import choose_cutoff

    probabilities = np.array([0.1, 0.5, 0.9])
    labels = np.array([0, 1, 1])  # refusing 0.5 as well would refuse no more unanswerable questions
    assert choose_cutoff(probabilities, labels, 0.5) == pytest.approx(0.3)


def test_logistic_fit_separates_separable_data():
    from eval.fit_answerability import fit_logistic, predict

    x = np.array([[0.1], [0.2], [0.3], [0.7], [0.8], [0.9]])
    y = np.array([0.0, 0, 0, 1, 1, 1])
    weights, bias = fit_logistic(x, y)
    assert (predict(x, weights, bias) >= 0.5).tolist() == [False] * 3 + [True] * 3


def test_the_fit_command_refuses_the_holdout_set():
    from eval.fit_answerability import main

    assert main(["--golden", "eval/golden/holdout.jsonl"]) == 2


# --- the real corpus --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(corpus_index, embeddings):
    return make_assistant(Settings.from_env(today=date(2026, 6, 1), llm_base_url=None), embeddings, corpus_index)


@pytest.mark.model
def test_real_corpus_deadline_the_policy_never_states_is_refused_not_answered_with_a_conditions_span(assistant):
    """The chip-certification measure states a grant and a cap but no application deadline; a span elsewhere in
    the quoted clauses (企业设立三年以上) is a condition on the applicant, not a deadline."""
    answer = assistant.ask("What is the deadline to apply for the automotive chip certification subsidy?")
    assert answer.refused and not answer.answerable
    assert any("期限" in reason for reason in answer.reasons)
    assert "三年以上" not in answer.text


@pytest.mark.model
def test_real_corpus_question_on_a_tax_no_document_mentions_is_refused_with_the_reason(assistant):
    answer = assistant.ask("苏州交契税能打折吗？")
    assert answer.refused and not answer.answerable
    assert any("契税" in reason for reason in answer.reasons)
    assert "不直接回答该问题" in answer.text  # nearby clauses are shown, labelled as not answering


@pytest.mark.model
def test_real_corpus_another_citys_policy_is_not_answered_from_suzhou_documents(assistant):
    answer = assistant.ask("杭州对跨境电商独立站有什么补贴？")
    assert answer.refused and not answer.citations
    assert "本库仅收录苏州市" in answer.text and "苏州市的相关规定" in answer.text


@pytest.mark.model
def test_real_corpus_national_policy_is_not_answered_from_suzhou_documents(assistant):
    answer = assistant.ask("国家对首台（套）重大技术装备保险补偿，保费能补贴多少比例？")
    assert answer.refused and not answer.citations
    assert "问题涉及国家层面" in answer.text and "苏州市的相关规定（仅供参考，并非国家层面的政策）" in answer.text


@pytest.mark.model
def test_real_corpus_english_off_topic_question_is_refused(assistant):
    # "maternity leave" is one thing (产假, which no document mentions), not "leave" (离开) for employees
    answer = assistant.ask("What is the maternity leave policy for employees?")
    assert answer.refused and any("maternity leave" in reason for reason in answer.reasons)


@pytest.mark.model
def test_real_corpus_english_question_about_things_no_document_mentions_is_refused_in_english(assistant):
    answer = assistant.ask("Can I bring my cat on the metro?")
    assert answer.refused and any("cat" in r for r in answer.reasons)
    assert answer.text.startswith("The policy documents here do not answer this question directly")
    assert "no document mentions “cat”" in answer.text and "Related clauses (they do not answer the question):" in answer.text


@pytest.mark.model
def test_real_corpus_english_question_about_another_city_is_told_whose_documents_the_library_holds(assistant):
    answer = assistant.ask("What subsidies does Hangzhou give for cross-border e-commerce?")
    assert answer.refused and not answer.citations
    assert "Hangzhou (杭州市)" in answer.text and "Suzhou and its districts only" in answer.text
    assert "Suzhou's related rules (for reference only, not the policy of Hangzhou (杭州市)):" in answer.text


@pytest.mark.model
def test_real_corpus_question_mostly_about_what_no_document_names_is_refused_however_close_a_clause_looks(assistant):
    answer = assistant.ask("苏州买房契税有补贴吗？")  # the nearest clauses are housing subsidies for talent
    assert answer.refused and any("契税" in r for r in answer.reasons)
    assert "（有效，有效期至" in answer.text and "（有效（" not in answer.text  # nearby clauses: no nested brackets


@pytest.mark.model
def test_real_corpus_follow_up_after_a_question_about_another_city_is_about_that_city_too(assistant):
    # 要不要交满社保 names no place: it asks about 南京's rule, which the library does not hold either.
    answer = assistant.ask("市民来电：我想问问南京那边本科学历人才落户年龄限制是多少？要不要交满社保才行？", mode="hotline")
    assert answer.refused and "南京" in answer.text


@pytest.mark.model
def test_real_corpus_bare_follow_up_does_not_turn_an_uncovered_message_into_a_partial_answer(assistant):
    # 什么时候开始报名 would find some clause about registering for something; the school is what was asked.
    answer = assistant.ask("市民来电：孩子今年要上初中，想问民办初中摇号是怎么摇的？什么时候开始报名？", mode="hotline")
    assert answer.refused and not answer.citations


@pytest.mark.model
def test_real_corpus_two_part_message_is_answered_in_part(assistant):
    message = "市民来电：我们公司汽车芯片过了车规认证，能补贴多少？另外杭州对跨境电商独立站有什么补贴？"
    answer = assistant.ask(message, mode="hotline")
    assert not answer.refused and "50%" in answer.body
    assert "杭州" in answer.body and "未在现有政策文件中找到" in answer.body
    assert "未在现有政策文件中找到" in answer.reply_script


@pytest.mark.model
def test_real_corpus_a_chat_question_s_part_about_what_no_document_names_is_said_to_be_uncovered(assistant):
    answer = assistant.ask("我们公司汽车芯片过了车规认证，能拿多少补贴？另外苏州的最低工资标准是多少？")
    assert not answer.refused and "50%" in answer.body
    assert "另外，关于“苏州的最低工资标准是多少”，未在现有政策文件中找到相关规定。" in answer.body


@pytest.mark.model
def test_real_corpus_a_question_continuing_an_uncovered_one_does_not_make_the_message_half_covered(assistant):
    # 什么时候报名？ alone would find the 中介超市's 报名 article; it asks about the 小学 of the question before it
    message = "市民来电：我家孩子今年6岁，想问苏州小学报名需要哪些材料？什么时候报名？"
    answer = assistant.ask(message, mode="hotline")
    assert answer.refused and any("小学" in reason for reason in answer.reasons)


@pytest.mark.model
def test_real_corpus_covered_question_is_still_answered(assistant):
    answer = assistant.ask("燃气管道设施的保护范围是怎么规定的？")
    assert not answer.refused and answer.answerable
    assert answer.citations[0].citation == "《苏州市燃气管理办法》第三十五条"


def test_refusal_for_an_unstated_fact_says_the_clauses_cover_the_topic_in_either_language():
    from rag.frames import REFUSAL_PREFIX, ChineseFrame, EnglishFrame

    covered = A.Decision(False, 0.0, ["相关条款未写明具体金额或比例"], missing_slot="amount", covered=True,
                         unstated_slots=["amount"], covering=["d:一"])
    on_topic = Retrieved(1, "d:一", "《某办法》一", "某办法", "一", "…", 1.0)
    other = Retrieved(2, "d:二", "《某办法》二", "某办法", "二", "…", 0.5)
    listed = ChineseFrame().refusal(covered, [on_topic, other], date(2026, 6, 1))
    assert listed.index("涉及该事项的条款：\n- 《某办法》一") < listed.index("其他可能相关的条款：\n- 《某办法》二")
    chinese = ChineseFrame().refusal(covered, [], date(2026, 6, 1))
    assert chinese.startswith(REFUSAL_PREFIX) and "相关条款涉及该事项，但没有写明具体金额或比例" in chinese
    english = EnglishFrame().refusal(covered, [], date(2026, 6, 1))
    assert "the clauses on this topic do not state the amount or ratio" in english
    nothing = A.Decision(False, 0.0, ["现有文件均未提及“契税”"], unknown_terms=["契税"])
    assert "涉及该事项" not in ChineseFrame().refusal(nothing, [], date(2026, 6, 1))


def test_an_unstated_fact_about_a_term_no_document_uses_is_not_called_covered(fake):
    index, check = fake
    wordy = [cid for cid, c in index.clauses.items() if not S.AMOUNT.search(c.text)][:1]
    decision = check.decide("契税最高多少钱？", ranking_of(index, wordy, cosine=0.99))
    assert not decision.answerable and not decision.covered


def test_an_english_term_is_found_by_any_corpus_term_of_its_phrase():
    forms = A.term_forms("How much subsidy can we get?")
    group = forms["补贴"]
    assert len(group) > 1 and all(A.term_found("补贴", f"给予{form}。", forms) for form in group)
    phrase = {"首台套": ("首台套", "首台（套）")}
    assert A.term_found("首台套", "认定为首台（套）重大装备的", phrase)  # the clause words it the other way
    assert not A.term_found("首台套", "认定为首台（套）重大装备的")
    assert A.term_forms("补贴多少？") == {}


def test_a_word_jieba_splits_into_characters_is_a_term_where_the_corpus_uses_it_whole():
    assert "以工代训" in A.split_words("以工代训补贴每人每月能拿多少钱？")


def test_a_run_of_single_characters_naming_a_place_is_no_term():
    # jieba cuts 在相城 into single characters; the place is the jurisdiction's signal, as a place word is
    assert not [run for run in A.split_words("想在相城开个店，执照几天能拿到？") if "相城" in run]
    doc = doc_meta("关于深化放管服改革的实施方案")
    index = FakeIndex([clause(doc, "二、", "开展以工代训的，根据吸纳人数给予企业以工代训补贴。"),
                       clause(doc, "三、", "人力资源机构输送劳动力的，按照每人500元标准给予规模输送补贴。")])
    check = Answerability(index.clauses, lambda token: 1.0)
    decision = check.decide("以工代训补贴每人每月能拿多少钱？", ranking_of(index, list(index.clauses)))
    assert decision.unstated_slots == ["amount"]  # the 500元 is another subsidy's


def test_a_self_reference_may_quote_the_document_s_short_name():
    doc = doc_meta("苏州市跨境电商高质量发展若干政策措施")
    closing = clause(doc, "六、（二十）", "本《措施》自印发之日起施行，有效期至2026年12月31日。")
    assert A.stated("deadline", ["跨境电商"], [closing], validity=True)


def test_rates_by_language_judge_each_question_at_its_own_language_s_cutoff():
    from eval.fit_answerability import by_language

    probabilities = np.array([0.3, 0.3, 0.6, 0.6])
    labels = np.array([0, 1, 0, 1])
    languages = np.array(["zh", "zh", "en", "en"])
    rates = by_language(probabilities, labels, languages, {"zh": 0.2, "en": 0.7})
    assert rates["zh"] == {"refusal_accuracy": 0.0, "false_refusal_rate": 0.0}
    assert rates["en"] == {"refusal_accuracy": 1.0, "false_refusal_rate": 1.0}
    assert rates["refusal_accuracy"] == 0.5 and rates["false_refusal_rate"] == 0.5


def test_a_word_jieba_takes_for_a_name_is_a_term_where_the_corpus_uses_it():
    assert "博士后" in A.name_like_words("新引进的博士后有什么补贴？")  # jieba tags it nr
    doc = doc_meta("关于加快人才集聚的若干措施")
    index = FakeIndex([clause(doc, "一、", "对新设立的博士后科研工作站给予50万元资助。"),
                       clause(doc, "二、", "对新引进的博士给予5万元生活补贴。")])
    check = Answerability(index.clauses, lambda token: 1.0)
    question, (station, doctors) = "市民张建国来电，问新引进的博士后有什么补贴？", list(index.clauses)
    _, details = check.features(question, ranking_of(index, [doctors]))
    assert "博士后" in details["missing"]  # the 博士 clause does not cover 博士后
    _, details = check.features(question, ranking_of(index, [station]))
    assert "博士后" not in details["missing"]
    assert "张建国" not in details["missing"] + details["unknown"]  # a caller's name stays a name


def test_which_ones_by_number_is_stated_by_a_list_naming_them_not_by_the_count():
    doc = doc_meta("关于促进银发经济高质量发展的若干措施")
    count_only = clause(doc, "二、（五）", "建设首批9个银发经济实验室，支持康复辅具研发。")
    named = clause(doc, "二、（六）", "首批银发经济实验室为康复辅具实验室、智慧养老实验室、适老化改造实验室等。")
    assert asked_slots("这批实验室是哪几家？") == ["names"]
    assert asked_slots("重点细分领域是哪几个？") == ["names"]
    assert not A.stated("names", ["银发经济实验室"], [count_only])
    assert A.stated("names", ["银发经济实验室"], [named])


def test_how_long_is_stated_by_a_span_or_a_date_but_when_also_by_an_event():
    doc = doc_meta("苏州市燃气管理办法")
    meter = clause(doc, "第二十八条", "管道燃气的用气量，应当以经检定合格、并且在有效期内的燃气计量装置的记录为准。")
    signed = clause(doc, "第九条", "告知承诺书经双方签章后生效，自签章之日起施行。")
    inspection = clause(doc, "第三十条", "燃气计量装置应当每6年检定一次。")
    assert not A.stated("deadline", ["燃气计量装置"], [meter], span=True)  # 有效期内 is no span
    assert A.stated("deadline", ["燃气计量装置"], [inspection], span=True)
    assert A.stated("deadline", ["告知承诺书"], [signed])  # "when does it take effect": on signing
    signed_only = clause(doc, "第九条", "告知承诺书经行政审批部门和申请人双方签章后生效。")
    assert A.stated("deadline", ["告知承诺书"], [signed_only])  # the event alone answers "when"
    assert not A.stated("deadline", ["告知承诺书"], [signed_only], span=True)  # but not "how long"
    assert S.ASKS_SPAN.search("燃气表多久检定一次？") and not S.ASKS_SPAN.search("什么时候生效？")
    assert S.ASKS_SPAN.search("how long is the licence valid?")


def test_a_date_or_time_of_day_is_stated_only_by_one_not_by_how_often():
    doc = doc_meta("关于进一步促进科技创新券发展实施意见")
    yearly = clause(doc, "三、（二）", "符合条件的企业在平台注册后，每年初从平台上领取科技创新券，年内可分次使用。")
    dated = clause(doc, "三、（三）", "科技创新券每年3月1日起开放领取，12月31日前使用完毕。")
    assert not A.stated("date", ["科技创新券"], [yearly])  # 每年初: how often, not which day
    assert A.stated("date", ["科技创新券"], [dated])
    hours = clause(doc_meta("政务服务中心管理办法"), "第五条", "政务服务中心工作时间为周一至周五上午9:00至下午5:00。")
    assert A.stated("date", ["政务服务中心"], [hours])


def test_a_not_a_question_forms_name_no_topic():
    terms = A.salient_terms("上海交的社保能不能合并算？够不够落户？这算不算拒载？")
    assert "合并" in terms and "落户" in terms and "拒载" in terms
    assert not {"够不够", "算不算", "能不能"} & set(terms)


def test_a_word_cut_across_a_word_boundary_is_no_unknown_thing():
    corpus = "在燃气设施保护范围内，禁止种植深根植物。告知承诺书经双方签章后生效。" * 2
    assert A.miscut_words("燃气管道保护范围内能不能种树？", corpus) == {"内能"}  # 范围内 is the corpus's word
    assert "书签" in A.miscut_words("告知承诺书签了以后什么时候生效？", corpus)  # 承诺书 签
    assert A.miscut_words("苏州买房契税有补贴吗？", corpus) == set()  # 契税 is a word of its own
    common = corpus + "苏州中心。" + "苏州市" * 40  # 苏州中 occurs, but as a sliver of the documents' 苏州
    assert A.miscut_words("苏州中考政策有什么变化？", common) == set()


@pytest.mark.model
def test_real_corpus_chinese_question_about_a_compound_no_document_uses_is_refused(assistant):
    # 公租房 would fall apart into 公 + 租房 (a word the documents use); the tokenizer keeps it whole
    answer = assistant.ask("苏州的公租房怎么申请？")
    assert answer.refused and any("公租房" in reason for reason in answer.reasons)


def test_colloquial_question_words_are_no_topic_terms():
    terms = salient_terms("管道漏气以后物业首先要干什么？这种事归哪几个部门管？")
    assert not {"干什么", "哪几个", "首先"} & set(terms) and "漏气" in terms


@pytest.mark.model
def test_real_corpus_a_follow_up_its_clauses_share_no_word_with_does_not_make_an_uncovered_message_answered(assistant):
    answer = assistant.ask("居民来电：小区物业费一平米多少钱？晚上有没有加价？", mode="hotline")
    assert answer.refused and any("物业费" in r for r in answer.reasons)


def test_an_enumerations_items_state_figures_about_what_the_lead_names():
    doc = doc_meta("苏州市燃气管理办法")
    ranges = clause(doc, "第三十五条", "燃气管道设施的保护范围为：\n（一）低压管道的管壁外缘两侧1米范围内的区域；\n"
                                     "（二）中压管道的管壁外缘两侧2米范围内的区域。")
    assert A.stated("figure", ["保护范围"], [ranges])
    assert not A.stated("figure", ["保护范围"], [clause(doc, "第三十六条", "保护范围内禁止堆放物品。管道埋深1米。")])


def test_a_sentence_pointing_back_is_about_what_the_sentences_before_it_name():
    sentences = ["加强跨境电商标杆企业培育。", "鼓励企业开拓市场。", "对符合条件的企业每年给予最高150万元的奖励。"]
    assert A.with_leads(sentences, [1.0, 0.0, 0.0]) == [1.0, 0.0, 1.0]
    # 其他 names other things; it points back at nothing.
    assert A.with_leads(["加强标杆企业培育。", "其他企业给予10万元奖励。"], [1.0, 0.0]) == [1.0, 0.0]


def test_a_term_is_found_across_a_short_aside_in_a_clause():
    doc = doc_meta("苏州市关于推动跨境电子商务高质量发展的若干政策措施")
    item = clause(doc, "（十五）", "对成效明显的电商培训（实训）基地每年给予30万元奖励。")
    assert A.stated("figure", ["培训基地"], [item])
    assert not A.stated("figure", ["服务中心"], [item])
    # A long aside is a remark of its own (a responsible unit), not part of a term.
    assert not A.term_found("培训基地", A._readable("培训（由市商务局负责）基地"))


def test_the_cutoff_keeps_the_false_refusal_budget_on_average_over_shuffled_cross_validations():
    from eval.fit_answerability import stable_cutoff

    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    # Two shuffles: the first would allow a cutoff of 0.45, the second only one below 0.3 (its answerable 0.3).
    splits = [np.array([0.9, 0.8, 0.7, 0.5, 0.1, 0.2, 0.3, 0.4]), np.array([0.9, 0.8, 0.7, 0.3, 0.1, 0.2, 0.25, 0.4])]
    cutoff = stable_cutoff(splits, y, max_false_refusal=0.0)
    assert all(not (p[y == 1] < cutoff).any() for p in splits) and cutoff > 0.25


def test_words_pointing_back_at_the_callers_story_are_no_topic_terms():
    terms = salient_terms("他问按那份行动方案，这两件事怎么说？")
    assert not {"两件事", "这两件事", "怎么说"} & set(terms) and terms
    assert salient_terms("这个产业园叫什么名字？") == ["产业园"]


def test_a_figure_asked_in_a_unit_of_its_own_is_stated_only_in_that_unit():
    doc = doc_meta("苏州市人才落户管理办法")
    months = clause(doc, "第五条", "申请人才落户的，应当在本市连续缴纳社会保险满6个月。")
    days = clause(doc, "第十二条", "受理后，人才落户申请应当在5个工作日内办结。")
    asked = S.asked_unit_figure("人才落户交材料以后多少个工作日能批下来？", "deadline")
    assert not A.stated("deadline", ["人才落户"], [months], span=True, in_unit=asked)
    assert A.stated("deadline", ["人才落户"], [days], span=True, in_unit=asked)
    assert A.stated("deadline", ["人才落户"], [months], span=True)  # 多久 asks for any span
    assert A.stated("deadline", ["人才落户"], [days], span=True, in_unit=S.asked_unit_figure("几天能办好？", "deadline"))
    taxis = clause(doc_meta("苏州市客运出租汽车管理办法"), "第八条", "出租汽车企业应当有50辆以上的车辆，并设有60家服务网点。")
    assert A.stated("count", ["出租汽车"], [taxis], in_unit=S.asked_unit_figure("出租汽车公司至少要多少辆车？", "count"))
    assert not A.stated("count", ["出租汽车"], [taxis], in_unit=S.asked_unit_figure("出租汽车公司要雇多少人？", "count"))


def test_the_unit_a_figure_is_asked_in_does_not_make_another_matters_figure_the_answer():
    """80个工作日 for approving building projects is counted in the asked unit, but is no answer to how many
    working days a gas licence takes: the unit says what a figure is counted in, not what it is about."""
    gas, business = doc_meta("苏州市燃气管理办法"), doc_meta("苏州市优化营商环境创新行动")
    index = FakeIndex([clause(gas, "第十五条", "从事燃气经营活动的，应当依法取得燃气经营许可证。"),
                       clause(business, "三、21.", "工程建设项目从立项到竣工验收，审批时间控制在80个工作日内。")])
    decision = Answerability(index.clauses, lambda token: 1.0).decide("经营许可证要多少个工作日能办好？",
                                                                       ranking_of(index, list(index.clauses)))
    assert "deadline" in decision.unstated_slots


def test_a_broad_synonym_beside_a_figure_does_not_tie_the_figure_to_the_topic():
    """报名 may be said 申请 (synonyms.tsv), but where most clauses say 申请, 2个工作日 of checking an application
    does not say how long signing up stays open. The same synonym, rare in the documents, still does."""
    doc = doc_meta("苏州市网上中介服务超市管理办法")
    index = FakeIndex([clause(doc, "第十五条", "运营机构收到入驻申请后，应当在2个工作日内完成核对。")])
    ranking = ranking_of(index, list(index.clauses))

    def decided(broad_idf: float):
        idf = {"申请": broad_idf}.get
        return Answerability(index.clauses, lambda token: idf(token, 6.0)).decide("展会报名多少天内能办完？", ranking)

    assert "deadline" in decided(1.2).unstated_slots  # 申请 in most clauses: broad
    assert "deadline" not in decided(6.0).unstated_slots


def test_a_time_of_day_is_stated_only_by_a_clock_time_not_by_a_date():
    doc = doc_meta("关于加快推进政务服务便利化的实施方案")
    dated = clause(doc, "三、（四）", "2023年起政务服务大厅推行周末不打烊服务。")
    timed = clause(doc, "三、（五）", "政务服务大厅周六上午9:00至12:00提供延时服务。")
    for question in ("政务服务大厅周六几点开？", "What time does the government service hall open on Saturdays?"):
        asked = S.asked_unit_figure(question, "date")
        assert not A.stated("date", ["政务服务大厅"], [dated], in_unit=asked)
        assert A.stated("date", ["政务服务大厅"], [timed], in_unit=asked)
    assert S.asked_unit_figure("申请有几点要求？", "date") is None  # 几点 here counts points, it asks no time
    # A question asking a date and a span: the span's unit is not the date's, nor the time of day the span's.
    assert S.asked_unit_figure("哪天开始受理，多少个工作日办完？", "date") is None
    assert S.asked_unit_figure("几点开门，要排多久？", "deadline") is None


def test_a_phone_number_address_or_website_is_asked_and_stated_only_letter_for_letter():
    assert asked_slots("报修该拨哪个号码？线下窗口地址在哪？") == ["contact"]
    assert asked_slots("Which website do we apply on?") == ["contact"]
    assert "contact" not in asked_slots("我打电话给出租车公司投诉了，多少天内必须答复？")
    assert "contact" not in asked_slots("We are building a DTC website. Is there a subsidy?")
    doc = doc_meta("苏州市燃气管理办法")
    names_it = clause(doc, "第十九条", "燃气经营企业应当设立并公布二十四小时服务电话。")
    gives_it = clause(doc_meta("苏州市优化营商环境创新行动2020"), "四、41.", "依托“12345”热线，提供24小时咨询、投诉服务。")
    assert not A.stated("contact", ["服务电话"], [names_it])
    assert A.stated("contact", ["投诉"], [gives_it])


@pytest.mark.model
def test_real_corpus_a_phone_number_no_clause_states_is_refused_and_the_clause_shown(assistant):
    answer = assistant.ask("燃气企业的服务电话是多少？")  # 第十九条: 设立并公布二十四小时服务电话, no number
    assert answer.refused and any("电话、地址或网址" in reason for reason in answer.reasons)
    assert "涉及该事项" in answer.text and "《苏州市燃气管理办法》第十九条" in [r.citation for r in answer.retrieved]


def test_a_colloquial_noun_no_document_uses_counts_in_its_plain_form():
    doc = doc_meta("苏州市客运出租汽车管理办法")
    index = FakeIndex([clause(doc, "第八条", "申请从事出租汽车经营的，应当有符合规定数量的车辆。"),
                       clause(doc, "第九条", "车辆应当安装电子计价器，办理有关事项；不得擅自拆除顶灯。")])
    check = Answerability(index.clauses, lambda token: 1.0)
    assert check._plain(["车子", "电子", "事儿", "鞋子"]) == ["车", "电子", "事", "鞋子"]
    assert check._plain(["拆掉", "扔掉"]) == ["拆除", "扔掉"]  # 扔除 is no word of the documents
    decision = check.decide("开出租汽车公司，车子起码得有多少辆？", ranking_of(index, list(index.clauses)))
    assert not decision.unknown_terms  # neither the spoken 车子 nor the hedge 起码 is a thing no document names


def test_what_a_breach_costs_is_stated_by_the_penalty_article_enforcing_the_supporting_one():
    doc = doc_meta("苏州市客运出租汽车管理办法")
    refusing = clause(doc, "第二十六条", "第二十六条 出租汽车驾驶员不得拒绝乘客的运送要求。", kind="article")
    fine = clause(doc, "第三十八条", "第三十八条 违反本办法第二十六条规定的，由道路运输管理机构处100元以上1000元以下罚款。",
                  kind="article")
    question = "出租汽车驾驶员拒绝乘客的运送要求，要罚多少钱？"
    with_fine = FakeIndex([refusing, fine])
    decision = Answerability(with_fine.clauses, lambda token: 1.0).decide(question, ranking_of(with_fine, [refusing.id]))
    assert "amount" not in decision.unstated_slots
    alone = FakeIndex([refusing])  # the regulation sets no fine for it: the sum is unstated
    decision = Answerability(alone.clauses, lambda token: 1.0).decide(question, ranking_of(alone, [refusing.id]))
    assert "amount" in decision.unstated_slots and not decision.answerable


def test_a_verb_with_its_complement_no_document_uses_is_no_topic():
    doc = doc_meta("苏州市人才落户管理办法")
    index = FakeIndex([clause(doc, "第九条", "申请人应当向所在单位注册地的公共就业和人才服务机构提交申请材料，材料齐全的当场办完。")])
    check = Answerability(index.clauses, lambda token: 1.0)
    assert check._plain(["交到", "拿到", "办理", "办完"]) == ["办理", "办完"]  # 办完 is the documents' word
    assert check._plain(["办好", "拿走", "材料"]) == ["材料"]
    decision = check.decide("落户材料交到哪里？", ranking_of(index, list(index.clauses)))
    assert "交到" not in decision.terms and not decision.unknown_terms


def test_a_negated_word_no_document_uses_is_how_the_caller_asks_not_a_topic():
    doc = doc_meta("关于进一步优化营商环境的实施意见")
    index = FakeIndex([clause(doc, "一、", "推进不动产登记、交易和缴税一窗受理，坚决查处不正当竞争行为。")])
    check = Answerability(index.clauses, lambda token: 1.0)
    assert check._plain(["不算", "不能自己", "没什么", "不动产", "不正当"]) == ["不动产", "不正当"]
    decision = check.decide("不动产登记能不能自己在网上办？", ranking_of(index, list(index.clauses)))
    assert "不动产" in decision.terms and not any(t.startswith("不") and t != "不动产" for t in decision.terms)


def test_words_of_intent_are_no_topic_terms():
    terms = salient_terms("我们准备包车接工人回来，打算申请交通补贴，起码要多少人？")
    assert not {"准备", "打算", "起码"} & set(terms) and {"包车", "工人"} <= set(terms)


def test_asking_for_a_length_of_time_names_no_topic():
    terms = salient_terms("诉讼费退费要多长时间？什么时候能到账？")
    assert not {"多长时间", "什么时候"} & set(terms) and "诉讼费" in terms


def test_a_place_someone_comes_from_or_travels_to_is_no_jurisdiction_asked_about():
    assert foreign_share("厂里派车去四川接工人回来复工，吴中区对包车有补贴吗？") == 0.0
    assert foreign_share("我是湖南人，户口在湖南，在相城区上班，能申请人才落户吗？") == 0.0
    assert foreign_places("老家在江西，想问苏州的人才落户条件") == ([], False)
    assert foreign_share("成都对包车返岗有补贴吗？") == 1.0  # the place whose policy is asked about
    assert foreign_places("成都的人才补贴比苏州高吗？") == (["成都市"], True)  # 苏州 is named to compare with
    assert foreign_share("Is Chengdu's talent subsidy higher than Suzhou's?") == 1.0
    assert foreign_share("苏州的人才补贴比成都高吗？") == 0.0
    assert foreign_share("之前在武汉交了两年社保，武汉缴纳的能不能接续算？") == 0.0  # where it was paid
    assert foreign_share("落户时武汉那段社保能算进去吗？") == 0.0  # a time spent there
    assert foreign_share("南京那边交的养老保险在苏州认不认？") == 0.0  # paid there, with 那边 between
    assert foreign_places("南京那边对养老护理员有什么补贴？")[0] == ["南京市"]  # 那边 alone leaves it asked about
    assert foreign_places("想对接杭州、义乌的跨境电商资源，行动计划里哪个部门负责？")[0] == []  # partners, listed
    assert foreign_places("杭州、义乌对跨境电商有什么补贴？")[0] == ["杭州市", "义乌市"]
    assert foreign_share("Do my Wuhan years count toward the Suzhou requirement?") == 0.0
    assert foreign_places("成都人才落户要什么条件？") == (["成都市"], True)
    # English: where someone worked or lived, and someone's own thing from a place (her Chengdu pension)
    assert foreign_share("She worked in Chengdu until spring. Do her Chengdu social insurance months count?") == 0.0
    assert foreign_share("Can our Chengdu subsidiary also apply?") == 0.0
    assert foreign_places("What does Chengdu give for talent hukou?") == (["成都市"], True)


def test_a_time_limit_asked_in_its_unit_must_be_stated_about_what_was_asked():
    doc = doc_meta("苏州市停车服务平台管理办法")
    index = FakeIndex([clause(doc, "第二十条", "车主可以在停车结束后20个工作日内进行服务评价。"
                                              "停车场对评价结果有异议的，可以书面向平台管理部门提出，平台管理部门会同行业主管部门进行复核。")])
    check = Answerability(index.clauses, lambda token: 1.0)
    ranking = ranking_of(index, list(index.clauses))
    assert check.decide("停车场对评价结果有异议，平台管理部门多少个工作日内完成复核？", ranking).unstated_slots == ["deadline"]
    assert check.decide("车主多少个工作日内可以进行服务评价？", ranking).unstated_slots == []


def test_a_one_character_noun_no_document_uses_is_an_unknown_thing_and_one_they_use_is_no_term(fake):
    index, check = fake
    ranking = ranking_of(index, list(index.clauses)[:3])
    assert "狗" in A.lone_nouns("家里的狗没打疫苗会罚多少钱？") and "钱" not in A.lone_nouns("会罚多少钱？")
    decision = check.decide("市民来电，问家里的狗没打疫苗会罚多少钱？", ranking, nouns_are_topics=False)
    assert "狗" in decision.unknown_terms and not decision.answerable
    assert A.lone_nouns("家里的气怎么收费？") == ["气"]
    assert "气" not in check.features("家里的气怎么收费？", ranking)[1]["terms"]  # the documents use it: too common


@pytest.mark.parametrize(("question", "asks"), [
    ("那个意见是从哪天开始执行的？", True), ("这些措施什么时候起实施？", True), ("这个办法还有效吗？", True),
    ("这个条例是从什么时候开始实行的？", True),
    ("补贴怎么执行？", False), ("申请流程是什么？", False), ("这个项目什么时候开始实施？", False),  # not a document
    ("补贴什么时候执行到位？", False),
])
def test_since_when_a_document_applies_is_a_validity_question(question, asks):
    assert bool(ASKS_VALIDITY.search(question)) == asks


def test_a_word_jieba_takes_for_a_place_is_a_term_where_the_corpus_uses_it_often():
    assert "上市" in A.place_like_words("区里那笔上市奖励多久能拿到？")  # jieba tags it ns
    assert A.place_like_words("我在平江路开了个店，有补贴吗？") == ["平江"]
    doc = doc_meta("关于促进企业发展的实施意见")  # the title does not use it: only the texts count

    def terms_with(uses: int) -> list[str]:
        clauses = [clause(doc, f"{n}.", f"对在境内外上市的企业给予{n}00万元奖励。") for n in range(1, uses + 1)]
        index = FakeIndex(clauses + [clause(doc, "九十九.", "对新设立的研发机构给予奖励。")])
        check = Answerability(index.clauses, lambda token: 1.0)
        return check.features("区里那笔上市奖励多久能拿到？", ranking_of(index, list(index.clauses)[:3]))[1]["terms"]

    assert "上市" in terms_with(A.MISTAGGED_PLACE_USES)
    assert "上市" not in terms_with(A.MISTAGGED_PLACE_USES - 1)  # as rare as a street: taken for the place jieba says


def test_an_english_synonym_is_found_as_a_word_of_its_own():
    assert A.term_found("上市", A._compact("对在境内外实现IPO的企业给予奖励"))  # 上市 → IPO, lower-cased text
    assert not A.term_found("上市", A._compact("与WIPO在华机构合作"))


@pytest.mark.parametrize(("question", "slots"), [
    ("申请后几天能批下来，去哪里领？", ["deadline"]), ("几月份开始申报，到哪里申报？", ["date"]),
    ("孩子几岁可以入学，要什么材料？", ["deadline", "materials"]), ("补贴几个月内能到账，找哪个部门？", ["deadline", "department"]),
])
def test_ji_before_a_unit_of_time_or_age_asks_even_in_a_clause_that_goes_on(question, slots):
    assert asked_slots(question) == slots


@pytest.mark.parametrize(("question", "slots"), [
    ("小孩多大以内可以免票？", ["deadline"]), ("多大年纪可以申请？", ["deadline"]),
    ("Is there an age limit for applicants?", ["deadline"]), ("How old must the applicant be?", ["deadline"]),
    ("这个基金规模多大？", []), ("能盖多大面积？", []),
])
def test_an_age_asked_with_duo_da_is_a_span_slot_but_a_size_is_not(question, slots):
    assert asked_slots(question) == slots


@pytest.mark.parametrize(("question", "level"), [
    ("在国家层面有没有相关补贴政策？", ["国家层面"]), ("在省级层面有什么支持？", ["江苏省"]),
    ("工伤赔偿是不是按国家统一标准？", []), ("我们是国家高新技术企业，补贴多少？", []),
])
def test_a_higher_level_is_asked_about_by_its_own_policy_not_by_a_standard_or_grade(question, level):
    from domain.jurisdiction import higher_levels_asked

    assert higher_levels_asked(question) == level


def test_a_place_list_after_a_verb_is_read_in_linear_time():
    # Nested repetition over 和 once took seconds per extra character; a chat question may be 2,000 characters.
    assert foreign_places("到" + "和" * 400 + "的杭州有补贴吗？") == (["杭州市"], True)
    assert foreign_places("到底上海和杭州哪个人才补贴高？")[0] == ["上海市", "杭州市"]  # 到 of 到底 lists nothing


@pytest.mark.parametrize(("question", "quoted"), [
    ("另外苏州的最低工资标准是多少", "苏州的最低工资标准是多少"), ("还有，公租房怎么申请", "公租房怎么申请"),
    ("二是他要是没按时换，会停气吗", "他要是没按时换，会停气吗"), ("And what is the minimum wage?", "what is the minimum wage?"),
    ("还有没有人才公寓？", "还有没有人才公寓？"), ("第二批名单什么时候公布？", "第二批名单什么时候公布？"),
    ("其次是什么？", "其次是什么？"), ("Android phones", "Android phones"), ("另外一家公司的补贴", "另外一家公司的补贴"),
])
def test_the_uncovered_note_quotes_a_further_question_without_its_connective_and_nothing_more(question, quoted):
    from rag.assistant import _CONNECTIVE

    assert _CONNECTIVE.sub("", question) == quoted


def test_a_document_named_in_book_title_marks_that_the_library_neither_holds_nor_mentions_is_refused_as_such():
    doc = doc_meta("苏州市燃气管理办法")
    index = FakeIndex([clause(doc, "第五条", "市燃气管理部门负责全市燃气管理工作。", kind="article"),
                       clause(doc, "第三十八条", "违反本办法规定的，处1000元以上5000元以下罚款。", kind="article")])
    check = Answerability(index.clauses, lambda token: 1.0)
    ranking = ranking_of(index, list(index.clauses))
    decision = check.decide("按《中华人民共和国广告法》，燃气广告违规罚多少钱？", ranking)
    assert not decision.answerable and decision.unheld_documents == ["中华人民共和国广告法"]
    assert not check.decide("按《燃气办法》，违规罚多少钱？", ranking).unheld_documents  # a shortened held title
    assert not check.decide("按《苏州市燃气管理条例》，违规罚多少钱？", ranking).unheld_documents  # a misnamed one
    story = check.decide("违规罚多少钱？", ranking, message="朋友说按《中华人民共和国广告法》要罚。违规罚多少钱？")
    assert not story.unheld_documents  # named in the story, not in what is asked


def test_a_fact_about_a_document_the_library_only_mentions_must_be_stated_in_a_sentence_naming_it():
    plan = doc_meta("苏州市年度执法检查计划")
    listing = clause(plan, "一、", "检查下列法规的实施情况：1．《苏州市甲乙条例》（自2024年5月1日起施行）；"
                                  "2．《苏州市丙丁条例》（正在起草）。各地按要求罚款100元以上500元以下。")
    index = FakeIndex([listing])
    check = Answerability(index.clauses, lambda token: 1.0)
    ranking = ranking_of(index, [listing.id])
    # The fine in the clause is not the mentioned regulation's: no sentence naming 《苏州市丙丁条例》 states one.
    message = "店主称执法人员依照《苏州市丙丁条例》处理。请问该规定罚款金额多少钱？"
    decision = check.decide("请问该规定罚款金额多少钱？", ranking, nouns_are_topics=False, message=message)
    assert "amount" in decision.unstated_slots and not decision.answerable
    assert "date" not in check.decide("《甲乙条例》哪天开始施行？", ranking).unstated_slots


def test_a_month_or_weekday_named_in_an_english_question_is_no_topic_the_documents_lack():
    assert not A.is_absent("december") and not A.is_absent("friday")
    assert "december" not in A.english_terms("does the subsidy still apply after december 2026?")
    assert A.is_absent("kindergarten")  # a topic word the corpus lacks still is one
