"""Hotline mode: PII masking, question finding, long messages, and the reply script with departments."""

from __future__ import annotations

from datetime import date

import pytest

from rag.assistant import Assistant
from rag.citations import flat_validity
from rag.hotline import MAX_MESSAGE_CHARS, NOTICE_TRUNCATED, _topic, asking_sentences, find_questions, truncate_message
from rag.privacy import mask_pii
from settings import Settings
from stubs.fake_index import BigramEmbeddings, FakeIndex, clause, doc_meta, sample_clauses


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("我电话13912345678，饭店燃气谁管？", "我电话139****5678，饭店燃气谁管？"),
        ("电话 139 1234 5678", "电话 139****5678"),
        ("座机0512-6591 3380", "座机0512-****3380"),
        ("身份证号320502199001011234", "身份证号320502********1234"),
        ("身份证32050219900101123X。", "身份证320502********123X。"),
        ("卡号6222 0212 3456 7890 123", "卡号6222 **** **** 0123"),
        ("邮箱zhang.san@example.com", "邮箱z***@example.com"),
        ("我叫张三，想问落户", "我叫张*，想问落户"),
        ("本人李晓明。", "本人李**。"),
    ],
)
def test_pii_is_masked(raw, masked):
    assert mask_pii(raw) == masked


def test_policy_numbers_and_amounts_are_not_masked():
    text = "按苏府规字〔2020〕5号给予最高100万元补贴，2025年12月31日前申请，本人想咨询一下。"
    assert mask_pii(text) == text


def test_questions_are_the_sentences_that_ask():
    message = "你好，我是开饭店的。店里用燃气钢瓶。装报警器是谁规定的？不装会罚款吗？谢谢。"
    assert find_questions(message) == ["装报警器是谁规定的？", "不装会罚款吗？"]


def test_several_in_a_statement_is_no_question_but_how_many_days_asked_is():
    """几 is mostly the indefinite "several" (拖了几天, 跑了几趟): only with a question mark does it ask."""
    message = "上周跑了几趟，拖了几天才办完。这次换证要几天？请问去哪里办"
    assert find_questions(message) == ["这次换证要几天？", "请问去哪里办"]


def test_a_consultancy_named_in_a_self_introduction_asks_nothing():
    message = "你好，我是一家工程造价咨询公司的，姓毛。我们提交了入驻申请，想问下几个工作日内会核对好？我想咨询一下落户。"
    assert find_questions(message) == ["我们提交了入驻申请，想问下几个工作日内会核对好？", "我想咨询一下落户。"]


@pytest.mark.parametrize("opening", ["喂，12345吗？", "你好，是市长热线吧？", "您好，请问是12345热线吗？"])
def test_a_calls_opening_asking_whether_the_line_is_right_asks_nothing(opening):
    assert find_questions(opening + "我家楼道里的燃气管生锈了。燃气管道归谁维修？") == ["燃气管道归谁维修？"]


def test_message_without_question_cues_is_taken_whole():
    message = "小区燃气管道上方要种树，物业不同意。"
    assert find_questions(message) == [message]


def test_long_message_is_truncated_with_a_notice():
    message = "燃气" * MAX_MESSAGE_CHARS
    cut, notice = truncate_message(message)
    assert len(cut) == MAX_MESSAGE_CHARS and notice == NOTICE_TRUNCATED
    assert truncate_message("短消息")[1] is None


@pytest.fixture()
def assistant(tmp_path) -> Assistant:
    settings = Settings(index_dir=tmp_path / "i", cache_dir=tmp_path / "c", today=date(2026, 6, 1), answer_cutoff=0.0)
    return Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings())


def test_hotline_answer_has_questions_departments_validity_and_a_citable_reply(assistant):
    message = "我叫王五，电话13800001111。我们公司想申报生产性服务业领军企业，首次入选有奖励吗？找哪个部门？"
    answer = assistant.ask(message, mode="hotline")
    assert answer.mode == "hotline" and not answer.refused
    assert "13800001111" not in answer.question and "王五" not in answer.question
    assert answer.questions == ["我们公司想申报生产性服务业领军企业，首次入选有奖励吗？", "找哪个部门？"]
    assert answer.responsible_units[:2] == ["市发改委", "市财政局"]
    script = answer.reply_script
    assert script.startswith("您好！") and "市发改委" in script
    assert "苏州市（市级）政策" in script and flat_validity(answer.citations[0].validity) in script


def test_reply_script_names_the_topic_in_the_policys_words_not_the_callers_worries():
    rule = clause(doc_meta("苏州市燃气管理办法"), "第二十五条",
                  "燃气用户使用燃气不得有下列行为：（二）在高层建筑、地下室等不具备安全条件的场所使用瓶装燃气。")
    question = "我家楼下饭店天天用液化气，大家都担心不安全，想问饭店用液化气有什么规定？"
    topic = _topic(question, [rule])
    assert "瓶装燃气" in topic  # 液化气, in the regulation's word
    assert "担心" not in topic and "大家" not in topic and "饭店" not in topic


def test_masked_message_is_what_gets_embedded(assistant):
    assistant.ask("电话13912345678，首台套机器人装备奖励多少？", mode="hotline")
    assert all("13912345678" not in q for q in assistant.embeddings.queries)
    assert any("139****5678" in q for q in assistant.embeddings.queries)


def test_huge_message_is_analysed_not_crashed(assistant):
    message = ("首台套机器人装备奖励多少？" + "情况说明。" * 3000)
    answer = assistant.ask(message, mode="hotline")
    assert NOTICE_TRUNCATED in answer.notices and len(answer.question) == MAX_MESSAGE_CHARS
    assert answer.reply_script


def test_expired_policy_is_flagged_in_the_reply_script(assistant):
    answer = assistant.ask("新建海外仓补助多少？", mode="hotline", filters={"doc_id": "trade2020"})
    assert answer.citations and all(c.expired for c in answer.citations)
    assert "已过有效期" in answer.reply_script and "已过期，有效期至2020年12月31日" in answer.reply_script


def test_reply_script_says_a_named_district_s_own_policy_is_not_among_the_documents(assistant):
    """The sample index holds no 昆山 document: the script reads out the city-wide rule, then that 昆山's own may
    differ; a held district (常熟) gets no such sentence."""
    answer = assistant.ask("住昆山的企业来电：首台套机器人装备奖励多少？", mode="hotline")
    assert answer.reply_script.count("以上不含昆山市自己出台的政策") == 1
    held = assistant.ask("常熟的个体户问：住宿餐饮房租减免怎么规定？", mode="hotline")
    assert "自己出台的政策" not in held.reply_script


def test_refusal_script_says_the_policy_exists_but_not_the_asked_fact_and_who_handles_it():
    from rag.answerability import Decision
    from rag.hotline import refusal_script

    covered = Decision(False, 0.0, ["相关条款未写明具体金额或比例"], missing_slot="amount", covered=True,
                       unstated_slots=["amount"])
    script = refusal_script(["他问燃气管道保护补贴能拿多少钱？"], covered, ["市住建局"])
    assert "有相关规定，但没有写明具体金额或比例" in script and "市住建局" in script
    assert "他问" not in script  # the caller's own sentence is not read back to them


def test_refusal_script_for_an_uncovered_topic_names_no_department_of_unrelated_clauses():
    from rag.answerability import Decision
    from rag.hotline import refusal_script

    uncovered = Decision(False, 0.0, ["现有文件均未提及“契税”"], unknown_terms=["契税"])
    script = refusal_script(["他问买房契税有没有补贴？"], uncovered, ["市科技局"])
    assert "未找到相关规定（现有文件均未提及“契税”）" in script
    assert "市科技局" not in script and "他问" not in script


def test_english_sentences_end_at_full_stops_but_not_after_titles_or_inside_decimals():
    message = ("Mr. Zhou (tel. 138 0000 1111) rents a 60.5 m2 flat near Shantang Street. "
               "He paid a deposit in May. Where can he complain about it? And what does the rule say.")
    assert asking_sentences(message) == ["Where can he complain about it?", "And what does the rule say."]


def test_topic_words_the_caller_writes_side_by_side_are_read_out_as_the_policys_one_term():
    rule = clause(doc_meta("苏州市网上中介服务超市管理办法（试行）"), "第十五条",
                  "中介服务机构提交入驻申请后，中介超市运营机构应当在2个工作日内进行核对。")
    topic = _topic("公司递交了中介超市入驻申请，多久能核对完？", [rule])
    assert "中介超市" in topic and "中介、超市" not in topic


def test_a_reply_script_not_in_the_extractive_shape_is_left_as_it_is_when_tentative():
    from rag.hotline import tentative_script

    assert tentative_script("根据相关规定，请向主管部门咨询。") == "根据相关规定，请向主管部门咨询。"  # e.g. an LLM's
    hedged = tentative_script("您好！关于您咨询的燃气问题：根据…。感谢您的来电！")
    assert hedged.count("您好！") == 1 and hedged.count("感谢您的来电！") == 1 and "仅供参考" in hedged
