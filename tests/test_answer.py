"""Answers: extractive sentences with [n] citations, marker validation, validity and jurisdiction, refusal,
unusable input, follow-up rewriting and the LCEL runnable."""

from __future__ import annotations

from datetime import date

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from rag.assistant import REFUSAL_PREFIX, Assistant
from rag.citations import check_markers
from rag.followup import carry_topic, is_elliptical
from rag.types import Answer
from domain.validity import validity_of
from settings import Settings
from stubs.fake_index import BigramEmbeddings, FakeIndex, sample_clauses

TODAY = date(2026, 6, 1)


@pytest.fixture()
def settings(tmp_path) -> Settings:
    # Bigram vectors are far apart in absolute terms; the real threshold is calibrated for e5 (see rag.refusal).
    # The rules' order: the learned order (rag/ranker.py) is fitted to the real corpus's measurements, not to
    # this hand-made index's; the real-corpus tests rank with it.
    return Settings(index_dir=tmp_path / "i", cache_dir=tmp_path / "c", today=TODAY,
                    learned_order=False)


@pytest.fixture()
def assistant(settings) -> Assistant:
    return Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings())


# --- extractive answers ----------------------------------------------------------------------------------


def test_extractive_answer_quotes_the_amount_sentence_with_its_citation(assistant):
    answer = assistant.ask("领军企业首次入选有什么奖励？")
    assert not answer.refused and answer.answerer == "extractive"
    assert "一次性奖励100万元[1]" in answer.text
    first = answer.citations[0]
    assert first.n == 1 and first.citation == "《关于苏州市加快培育生产性服务业领军企业的若干意见》五、（一）"
    assert "[1] 《关于苏州市加快培育生产性服务业领军企业的若干意见》五、（一）" in answer.text
    assert answer.responsible_units[:2] == ["市发改委", "市财政局"]


def test_extractive_answer_is_deterministic(assistant):
    first = assistant.ask("新建海外仓补助多少？")
    second = assistant.ask("新建海外仓补助多少？")
    assert first.text == second.text and [c.id for c in first.citations] == [c.id for c in second.citations]


def test_every_marker_of_an_extractive_answer_names_a_listed_citation(assistant):
    answer = assistant.ask("首台套机器人装备奖励多少")
    checked = check_markers(answer.text, len(answer.citations))
    assert checked.cited and not checked.invalid


def test_named_clause_is_quoted_whole(assistant):
    answer = assistant.ask("燃气管理办法第三十五条")
    assert "低压管道的管壁外缘两侧1米范围内的区域" in answer.text
    assert "中压管道的管壁外缘两侧2米范围内的区域" in answer.text


# --- citation validation -------------------------------------------------------------------------------------


def test_marker_beyond_the_retrieved_clauses_is_removed():
    checked = check_markers("对入选企业给予奖励100万元[1]。申报需注册满3年[7]。", available=5)
    assert "[7]" not in checked.text and "[1]" in checked.text
    assert checked.invalid == [7] and checked.cited == [1]


def test_sentence_without_a_valid_marker_is_flagged_unsupported():
    checked = check_markers("对入选企业给予奖励100万元[2]。此外企业还可享受税收减免政策。\n参考如下：", available=5)
    assert checked.unsupported == ["此外企业还可享受税收减免政策。"]


def test_grouped_and_full_width_markers_are_read():
    checked = check_markers("最高50万元【1】；条件见第三条[2,9]。", available=3)
    assert checked.text == "最高50万元[1]；条件见第三条[2]。" and checked.cited == [1, 2]


# --- validity and jurisdiction ---------------------------------------------------------------------------------


def test_validity_text_for_expired_current_and_undated_documents():
    assert validity_of({"valid_until": "2020-12-31"}, TODAY) == ("已过期（有效期至2020年12月31日）", True)
    assert validity_of({"valid_until": "2027-12-31"}, TODAY) == ("有效（有效期至2027年12月31日）", False)
    assert validity_of({"valid_until": None}, TODAY) == ("未注明有效期", False)
    assert validity_of({"effective_date": "2027-01-01"}, TODAY)[0] == "尚未施行（自2027年1月1日起施行）"


def test_expired_policy_is_marked_in_citation_and_notes(assistant):
    answer = assistant.ask("外贸企业稳定发展若干政策意见 海外仓补助", filters={"in_force": False})
    cited = [c for c in answer.citations if c.id == "trade2020:三、"]
    assert cited and cited[0].expired and cited[0].validity == "已过期（有效期至2020年12月31日）"
    assert any("已过期" in note and "关于支持外贸企业稳定发展的若干政策意见" in note for note in answer.validity_notes)


def test_answer_names_whose_policy_it_is(assistant):
    answer = assistant.ask("常熟住宿餐饮房租减免怎么规定")
    assert answer.citations[0].doc["jurisdiction"] == "常熟市"
    assert answer.jurisdictions[0] == "常熟市"
    assert "常熟市（非苏州市本级）" in answer.text


def test_answer_warns_when_the_policy_is_another_districts(assistant):
    answer = assistant.ask("姑苏区住宿餐饮房租减免怎么规定", filters={"jurisdiction": "常熟市"})
    assert answer.citations[0].doc["jurisdiction"] == "常熟市"
    assert "不一定适用于姑苏区" in answer.text


def test_city_wide_policy_is_not_flagged_as_another_places(assistant):
    answer = assistant.ask("姑苏区首台套机器人装备奖励多少")
    assert answer.citations[0].doc["jurisdiction"] == "苏州市"
    assert "不一定适用" not in answer.text


def test_a_district_whose_documents_the_library_lacks_is_told_so_beside_the_city_wide_answer(assistant):
    """昆山 holds no documents in the sample index: the city-wide rule is the answer there, said to apply, and the
    caller is told the library lacks 昆山's own."""
    answer = assistant.ask("昆山首台套机器人装备奖励多少")
    assert answer.citations[0].doc["jurisdiction"] == "苏州市"
    assert "本库未收录昆山市自己的政策文件" in answer.text and "市级政策在昆山市同样适用" in answer.text
    assert "未收录" not in assistant.ask("姑苏区首台套机器人装备奖励多少").text  # 姑苏区's documents are held


@pytest.mark.parametrize("question, unheld", [
    ("昆山对独角兽企业有什么奖励？", ["昆山市"]), ("住吴江区盛泽镇，想问房租减免", ["吴江区"]),  # a town by its district
    ("木渎镇的企业能申请吗？", ["吴中区"]), ("Does Kunshan give a subsidy?", ["昆山市"]),
    ("常熟住宿餐饮房租减免", []), ("上海对AI有补贴吗？", []), ("苏州有什么补贴？", []),  # held, foreign, the city
])
def test_places_named_whose_own_documents_are_not_held(question, unheld):
    from domain.jurisdiction import unheld_jurisdictions

    assert unheld_jurisdictions(question, ["苏州市", "常熟市", "姑苏区"]) == unheld


# --- refusal and unusable input ------------------------------------------------------------------------------


def test_uncovered_question_is_refused_with_nearest_clauses(assistant):
    answer = assistant.ask("火星移民的签证怎么办理？")
    assert answer.refused and answer.text.startswith(REFUSAL_PREFIX)
    assert "可能相关" in answer.text and not answer.citations and answer.retrieved


@pytest.mark.parametrize("question", ["", "   \n ", "？？！！……", "锟斤拷锟斤拷锟斤拷", "政策" * 1500, None])
def test_unusable_input_gives_a_refusal_with_a_notice(assistant, question):
    answer = assistant.ask(question)
    assert isinstance(answer, Answer) and answer.refused and answer.notices
    assert answer.text.startswith(REFUSAL_PREFIX)


# --- follow-ups ------------------------------------------------------------------------------------------------

HISTORY = [{"role": "user", "content": "本科学历可以落户苏州吗？"}, {"role": "assistant", "content": "可以[1]。"}]


def test_elliptical_follow_up_carries_the_previous_topic_over():
    assert is_elliptical("那大专呢？") and not is_elliptical("燃气管道的保护范围是多少")
    rewritten = carry_topic("那大专呢？", HISTORY)
    assert "落户" in rewritten and "大专" in rewritten and not rewritten.startswith("那")


def test_standalone_question_is_left_alone():
    assert carry_topic("燃气管道设施的保护范围是多少？", HISTORY) is None
    assert carry_topic("那大专呢？", None) is None


def test_chain_of_follow_ups_keeps_the_original_topic():
    history = HISTORY + [{"role": "user", "content": "那大专呢？"}, {"role": "assistant", "content": "…"}]
    assert "落户" in carry_topic("如果是博士呢？", history)


def test_follow_up_answer_reports_the_standalone_question(assistant):
    answer = assistant.ask("那新建的呢？", history=[{"role": "user", "content": "海外仓补助多少？"}])
    assert answer.standalone_question and "海外仓" in answer.standalone_question


def test_llm_rewrites_the_follow_up_when_configured(settings):
    chat = FakeListChatModel(responses=["苏州市大专学历人才落户的条件是什么？", "根据规定，年龄在35周岁以下[1]。"])
    assistant = Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings(), chat_model=chat)
    answer = assistant.ask("那大专呢？", history=HISTORY)
    assert answer.standalone_question == "苏州市大专学历人才落户的条件是什么？"


# --- answers on weak evidence ------------------------------------------------------------------------------------


def _judged_at_even_odds(assistant: Assistant, caution: float) -> Assistant:
    """The assistant with a model giving every question probability 0.5, answered, tentative below `caution`."""
    from rag.answerability import Features, Model

    assistant.answerability.cutoff = None
    assistant.answerability._model = Model(tuple([0.0] * len(Features.NAMES)), 0.0, {"zh": 0.4, "en": 0.4},
                                           {"zh": caution, "en": caution})
    return assistant


def test_an_answer_on_weak_evidence_is_given_with_a_notice_saying_so(assistant):
    answer = _judged_at_even_odds(assistant, 0.6).ask("燃气管道保护范围内能不能堆放物品？")
    assert not answer.refused and answer.answerable and answer.tentative and answer.citations
    notice = next(n for n in answer.notices if "对应不够明确" in n)
    assert notice in answer.reasons and notice not in answer.body  # shown as a warning, not as part of the answer


def test_an_answer_above_the_caution_line_carries_no_such_notice(assistant):
    answer = _judged_at_even_odds(assistant, 0.45).ask("燃气管道保护范围内能不能堆放物品？")
    assert not answer.refused and not answer.tentative
    assert not any("对应不够明确" in n for n in answer.notices)


def test_a_hotline_reply_on_weak_evidence_warns_the_operator_not_the_caller(assistant):
    message = "市民来电，家住姑苏区。问燃气管道保护范围内能不能堆放物品？"
    answer = _judged_at_even_odds(assistant, 0.6).ask(message, mode="hotline")
    assert answer.tentative and any("对应不够明确" in n for n in answer.notices)
    script = answer.reply_script
    assert "对应不够明确" not in script  # the operator's warning is not read out …
    # … but the caller is told the rules read out are related ones, and that the request goes on
    assert script.startswith("您好！您反映的问题，现有政策文件中没有找到直接对应的规定，以下相关规定仅供参考。关于")
    assert script.endswith("我们会将您的诉求转交相关主管部门进一步核实答复，感谢您的来电！")
    confident = _judged_at_even_odds(assistant, 0.45).ask(message, mode="hotline").reply_script
    assert "仅供参考" not in confident and "转交" not in confident


def test_a_question_answered_only_tentatively_does_not_carry_a_message_refused_as_a_whole():
    from rag.answerability import Decision
    from rag.assistant import _stands_on_its_own

    found = dict(terms=["燃气", "管道"], missing_terms=[], features={"clause_coverage": 0.8})
    assert _stands_on_its_own(Decision(True, 0.9, **found))
    assert not _stands_on_its_own(Decision(True, 0.5, tentative=True, **found))


def test_a_message_answered_in_part_on_weak_evidence_is_tentative(assistant):
    message = "市民来电，家住姑苏区。问燃气管道保护范围内能不能堆放物品？另外火星移民补贴怎么申请？"
    answer = _judged_at_even_odds(assistant, 0.6).ask(message, mode="hotline")
    assert not answer.refused and "火星" in answer.body  # the uncovered part is named …
    assert answer.tentative  # … and what is answered is answered on weak evidence


def test_a_message_each_of_whose_questions_stands_on_its_own_is_answered_though_the_whole_was_not(assistant,
                                                                                                  monkeypatch):
    """The whole message's first clauses may miss the one stating a question's fact (it is third for that
    question alone): when every question is answered with confidence on its own, the message is answered — with
    the operator's warning, as the whole's evidence spoke against it."""
    from rag.answerability import Decision

    found = dict(terms=["燃气", "管道"], missing_terms=[], features={"clause_coverage": 0.8})

    def decide(question, ranking, nouns_are_topics=True, message=""):
        whole = "\n" in question  # the hotline judges its questions joined, then each alone
        return Decision(False, 0.1, reasons=["相关条款未写明具体期限"]) if whole else Decision(True, 0.9, **found)

    monkeypatch.setattr(assistant.answerability, "decide", decide)
    message = "市民来电，家住姑苏区。问燃气管道保护范围内能不能堆放物品？管道燃气经营许可要什么条件？"
    answer = assistant.ask(message, mode="hotline")
    assert not answer.refused and answer.citations
    assert answer.tentative and any("对应不够明确" in n for n in answer.notices)


def test_an_llm_answer_on_weak_evidence_carries_the_notice_too(settings):
    chat = FakeListChatModel(responses=["燃气管道设施的保护范围由本办法规定[1]。"])
    assistant = Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings(), chat_model=chat)
    answer = _judged_at_even_odds(assistant, 0.6).ask("燃气管道保护范围内能不能堆放物品？")
    assert answer.answerer == "llm" and answer.tentative and any("对应不够明确" in n for n in answer.notices)


def test_an_english_answer_on_weak_evidence_warns_in_english(assistant):
    answer = _judged_at_even_odds(assistant, 0.6).ask("Can trees be planted within the gas pipeline protection zone?")
    assert not answer.refused and answer.tentative and any(n.startswith("The clauses below match the question only weakly")
                                    for n in answer.notices)


# --- the LCEL runnable -----------------------------------------------------------------------------------------


def test_runnable_answers_a_string_or_a_dict(assistant):
    runnable = assistant.as_runnable()
    by_string = runnable.invoke("新建海外仓补助多少？")
    by_dict = runnable.invoke({"question": "新建海外仓补助多少？", "k": 3})
    assert isinstance(by_string, Answer) and by_string.text == by_dict.text
    assert len(by_dict.retrieved) == 3


# --- the real corpus ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_assistant(corpus_index, embeddings) -> Assistant:
    settings = Settings.from_env(today=TODAY, llm_base_url=None)
    return Assistant(settings, corpus_index, embeddings)


def test_real_corpus_a_long_clause_asked_by_its_label_is_cited_once_and_whole(corpus_assistant):
    """A long clause is searched as windows; the answer cites it once, with its whole text to open."""
    clauses = corpus_assistant.index.clauses
    long_ones = sorted((c for c in clauses.values() if c.window.startswith("1/") and c.window != "1/1"
                        and c.kind in ("article", "item")), key=lambda c: c.id)[:4]
    assert long_ones
    for first in long_ones:
        last = clauses[f"{first.id}#{first.window.split('/')[1]}"]
        answer = corpus_assistant.ask(f"《{first.doc['doc_title']}》{first.label}是怎么规定的？")
        cited = [c for c in answer.citations if c.citation == first.citation]
        assert len(cited) == 1, first.citation
        assert cited[0].id == first.id and last.text[-30:] in cited[0].text


def test_real_corpus_clearly_uncovered_question_is_refused(corpus_assistant):
    answer = corpus_assistant.ask("火星移民有什么补贴？")
    assert answer.refused and answer.text.startswith(REFUSAL_PREFIX) and "可能相关" in answer.text


def test_real_corpus_answer_quotes_amounts_with_citation_and_validity(corpus_assistant):
    answer = corpus_assistant.ask("汽车芯片过了车规级认证，补贴能拿多少？")
    assert not answer.refused
    assert "50%" in answer.text and "100万元" in answer.text and "[1]" in answer.text
    assert answer.citations[0].validity == "有效（有效期至2027年12月31日）"
    assert "苏州市（市级）" in answer.text


def test_real_corpus_expired_policy_is_flagged(corpus_assistant):
    answer = corpus_assistant.ask("苏“惠外”新八条对出口信用保险有什么支持？")
    expired = [c for c in answer.citations if c.expired]
    assert expired and expired[0].validity == "已过期（有效期至2020年12月31日）"
    assert answer.validity_notes


def test_real_corpus_bm25_only_retrieval_answers_a_covered_question_and_refuses_one_in_words_it_never_uses(
        corpus_assistant):
    """Without dense retrieval there is no cosine; lexical coverage alone decides (a weak signal: 补贴 in
    火星移民有什么补贴 already covers 19 % of that question's IDF mass)."""
    covered = corpus_assistant.ask("汽车芯片车规级认证补贴多少？", retrieval="bm25")
    assert not covered.refused and "50%" in covered.text
    assert corpus_assistant.ask("火星移民？", retrieval="bm25").refused


def test_real_corpus_text_appended_to_a_question_does_not_bury_its_answer(corpus_assistant):
    plain = corpus_assistant.ask("燃气经营许可证怎么申请？")
    padded = corpus_assistant.ask("燃气经营许可证怎么申请？另外我再说一句，今天天气不错，我们单位下午还要开会讨论别的事情")
    assert not padded.refused
    assert plain.citations[0].citation in [c.citation for c in padded.citations]


def test_citation_of_a_paged_source_names_its_page():
    from dataclasses import replace

    from rag.citations import citation_list, make_citation

    clause = sample_clauses()[0]
    paged = make_citation(1, replace(clause, page=3), TODAY)
    assert paged.page == 3 and "（第3页）" in citation_list([paged])
    assert "页" not in citation_list([make_citation(1, clause, TODAY)])


def test_low_confidence_ocr_clause_is_marked_for_checking_against_the_original():
    from dataclasses import replace

    from ingest.ocr import REVIEW_NOTE
    from rag.citations import make_citation
    from web.render import citation_chip

    clause = sample_clauses()[0]
    assert REVIEW_NOTE in citation_chip(make_citation(1, replace(clause, ocr_confidence=0.5), TODAY))
    assert REVIEW_NOTE not in citation_chip(make_citation(1, replace(clause, ocr_confidence=0.99), TODAY))
    assert REVIEW_NOTE not in citation_chip(make_citation(1, clause, TODAY))


def test_department_question_names_the_clause_trailer_units_in_the_answer():
    from dataclasses import replace

    from rag.citations import departments_asked, make_citation
    from rag.frames import CHINESE

    clause = replace(sample_clauses()[0], responsible_units=["市工信局"])
    line = CHINESE.departments(departments_asked("能补贴多少？找哪个部门？", [make_citation(1, clause, TODAY)]))
    assert line.startswith("负责部门：市工信局") and "责任单位" in line and line.endswith("[1]。")
    assert CHINESE.departments(departments_asked("能补贴多少？", [make_citation(1, clause, TODAY)])) == ""


def test_department_question_without_a_trailer_takes_the_body_the_clause_charges_or_says_none():
    from dataclasses import replace

    from rag.citations import departments_asked, make_citation
    from rag.frames import CHINESE

    def department_sentence(asked, citations):
        return CHINESE.departments(departments_asked(asked, citations))

    charged = replace(sample_clauses()[0], text="第五条 市燃气管理部门负责本市燃气管理工作。", responsible_units=[],
                      lead_units=[], inherited_units=[])
    assert "市燃气管理部门" in department_sentence("归哪个部门管？", [make_citation(1, charged, TODAY)])
    silent = replace(charged, text="第九条 禁止在管道上方堆放物品。")
    assert "未写明负责部门" in department_sentence("谁负责？找哪个部门？", [make_citation(1, silent, TODAY)])


def test_a_message_asking_several_things_gets_the_department_of_the_thing_it_asks_that_of():
    from dataclasses import replace

    from rag.citations import departments_asked, make_citation

    base = sample_clauses()[0]
    fees = replace(base, id="a", text="对参加境外展会的企业给予展位费补贴。", responsible_units=["市商务局"])
    training = replace(base, id="b", text="加大电工职业技能培训，推动职业技能等级认定。", responsible_units=["市人社局"])
    asked = "我们去国外参展能补贴多少？另外电工的职业技能培训归哪个部门管？"
    found = departments_asked(asked, [make_citation(1, fees, TODAY), make_citation(2, training, TODAY)])
    assert found.units == ["市人社局"]


def test_the_body_the_relevant_clause_names_outranks_an_unrelated_clauses_trailer():
    from dataclasses import replace

    from rag.citations import departments_of, make_citation, units_in_text

    base = sample_clauses()[0]
    licence = replace(base, id="a", text="申请从事客运经营的，应当向道路运输管理机构提出申请。", responsible_units=[],
                      lead_units=[], inherited_units=[])
    other = replace(base, id="b", text="督促上市公司健全内控制度。", responsible_units=["市金融监管局"])
    assert departments_of([make_citation(1, licence, TODAY), make_citation(2, other, TODAY)]).units == ["道路运输管理机构"]
    assert units_in_text("由超市管理部门以及行业主管部门复核。") == ["超市管理部门", "行业主管部门"]


@pytest.mark.model
def test_real_corpus_department_question_names_the_department_in_the_answer_text(corpus_assistant):
    answer = corpus_assistant.ask("我们公司汽车芯片过了车规认证，能拿多少补贴？找哪个部门？")
    assert "市工信局" in answer.body and "50%" in answer.body


def test_english_question_gets_an_english_frame_around_the_verbatim_chinese_quote():
    from dataclasses import replace

    from rag.citations import departments_asked, make_citation
    from rag.frames import ENGLISH, frame_for

    clause = replace(sample_clauses()[0], label="第三十五条", responsible_units=["市工信局"])
    citation = make_citation(1, replace(clause, doc={**clause.doc, "valid_until": "2027-12-31"}), TODAY)
    assert frame_for("Which department handles it?") is ENGLISH
    assert ENGLISH.lead(citation).startswith("Under Article 35 of 《") and "in force until 31 December 2027" in ENGLISH.lead(citation)
    line = ENGLISH.departments(departments_asked("Which department handles it?", [citation]))
    assert line.startswith("Department: 市工信局 (Municipal Bureau of Industry and Information Technology")
    assert ENGLISH.departments(departments_asked("Who actually reviews the claims?", [citation])).startswith(
        "Department: 市工信局")
    assert departments_asked("How much is the subsidy?", [citation]) is None


@pytest.mark.model
def test_real_corpus_english_question_is_answered_in_an_english_frame_with_the_chinese_quote(corpus_assistant):
    answer = corpus_assistant.ask("Which department handles the subsidy for automotive chip certification?")
    assert not answer.refused
    assert answer.body.startswith("Under item 一、（四） of 《苏州市推动智能车联网和新能源汽车产业发展的若干措施》")
    assert "车规级认证" in answer.body and "Department: 市工信局" in answer.body


@pytest.mark.model
def test_real_corpus_follow_up_asking_for_the_department_names_the_previous_clauses_unit(corpus_assistant):
    first = corpus_assistant.ask("我们公司汽车芯片过了车规认证，能拿多少补贴？")
    history = [{"role": "user", "content": "我们公司汽车芯片过了车规认证，能拿多少补贴？"},
               {"role": "assistant", "content": first.text}]
    answer = corpus_assistant.ask("那要找哪个部门？", history=history)
    assert answer.body.startswith("结论：负责部门为市工信局")


def test_every_missing_slot_a_refusal_can_name_has_english_words():
    from rag.slots import SLOT_ENGLISH, SLOT_NAMES

    assert SLOT_ENGLISH.keys() == SLOT_NAMES.keys()



def test_a_refusal_names_each_nearest_clause_once():
    """Both windows of a long clause may rank near an uncovered question; the related clauses list it once."""
    from rag.assistant import _one_per_source
    from rag.types import Retrieved

    def hit(rank: int, clause_id: str, citation: str) -> Retrieved:
        return Retrieved(rank, clause_id, citation, "文件", citation[-3:], "…", 1.0 / rank)

    hits = [hit(1, "d:三、21.", "《文件》三、21."), hit(2, "d:三、22.", "《文件》三、22."),
            hit(3, "d:三、21.#2", "《文件》三、21."), hit(4, "d:三、23.", "《文件》三、23.")]
    assert [h.id for h in _one_per_source(hits)] == ["d:三、21.", "d:三、22.", "d:三、23."]
