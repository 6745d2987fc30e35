"""Answers that answer the question: the asked slot is filled from the real clause and stated first.

The comparison of a question's figure with a clause's threshold and the cutting of clauses into passages are
pure functions, tested on their own; the rest is asked of the assistant over the real corpus index.
"""

from __future__ import annotations

from datetime import date

import pytest

from rag import slots
from rag.assistant import Assistant
from rag.citations import charged_with, units_in_text
from rag.extractive import answer_slots, comparison, passages
from rag.slots import asks_cutoff, asks_ratio, states_cutoff, states_ratio
from settings import Settings

TODAY = date(2026, 6, 1)


# --- pure parts ------------------------------------------------------------------------------------------------


def test_enumeration_is_one_passage_with_its_lead_and_every_item():
    text = ("第九条 驾驶员必须具备下列条件：\n（一）取得驾驶证；\n（二）有3年以上驾驶经历，无事故记录；\n"
            "（三）经培训合格。\n违反前款规定的，不得上岗。")
    cut = passages(text, "第九条")
    assert cut == ["驾驶员必须具备下列条件：（一）取得驾驶证；（二）有3年以上驾驶经历，无事故记录；（三）经培训合格。",
                   "违反前款规定的，不得上岗。"]


def test_question_figure_is_compared_with_a_threshold_of_the_same_kind_and_thing():
    clause = "对制造业企业当年度设备投入5000万元以上的项目，按照设备投资额5%给予奖励，最高不超过500万元"
    assert comparison("我们设备投入6000万，能拿多少？", clause) == "6000万，超过5000万元的门槛"
    assert comparison("我们设备投入3000万元，能拿多少？", clause) == "3000万元，未达到5000万元的门槛"


@pytest.mark.parametrize("question", ["我们招了6000人，设备投入能拿多少奖励？", "公司成立6000天了，设备投入有奖励吗？",
                                      "设备投入6000台，有奖励吗？"])
def test_no_comparison_across_units_or_kinds(question):
    clause = "对制造业企业当年度设备投入5000万元以上的项目，按照设备投资额5%给予奖励"
    assert comparison(question, clause) is None


_TALENT_AGES = ("符合下列条件之一的学历人才，可以申请户口迁入：（一）具有博士研究生学历或者博士学位，年龄在55周岁以下；"
                "（二）具有硕士研究生学历或者硕士学位，年龄在50周岁以下；（三）具有本科学历，年龄在45周岁以下；")


@pytest.mark.parametrize(("question", "said"), [
    ("我有博士学位，今年58岁，超过55岁还能办人才落户吗？", "58岁，超过55周岁的上限"),  # the doctor's bound only
    ("我今年55岁，有博士学位，还能落户吗？", "55岁，在55周岁的上限以内"),
    ("我有博士学位，超过55岁还能落户吗？", "超过55岁，超过55周岁的上限"),  # more than 55, not 55
    ("我是本科，不到45岁，能落户吗？", "不到45岁，在45周岁的上限以内"),
])
def test_the_callers_figure_is_compared_with_the_bound_of_the_item_the_question_speaks_of(question, said):
    assert comparison(question, _TALENT_AGES) == said


_AGE_ALTERNATIVES = ("（四）具有大专学历，年龄在35周岁以下，在本市就业；或者年龄超过35周岁但不超过45周岁，在本市就业"
                     "不少于6个月。")


@pytest.mark.parametrize(("question", "said"), [
    ("我大专学历，今年40岁，能申请吗？", "40岁，超过35周岁的门槛、在45周岁的上限以内"),  # the second alternative
    ("我大专学历，今年30岁，能申请吗？", "30岁，在35周岁的上限以内"),  # the first: the second's floor is no bar
    ("我大专学历，今年35岁，能申请吗？", "35岁，在35周岁的上限以内"),  # 35 is not over 35: the first alternative
    ("我大专学历，今年47岁，能申请吗？", "47岁，超过35周岁的上限、超过45周岁的上限"),  # none: the bounds missed
])
def test_a_figure_is_told_against_the_alternative_of_the_item_it_meets(question, said):
    assert comparison(question, _AGE_ALTERNATIVES) == said


def test_amount_granted_is_not_compared_with_the_investment_asked_about():
    """Same unit, different thing: a subsidy cap is no bar for the investment figure the caller gives."""
    assert comparison("设备投入600万，能补多少？", "给予补贴，单个项目最高不超过500万元") is None


def test_several_slots_are_recognised_in_one_question():
    assert {"amount", "department"} <= set(answer_slots("能拿多少补贴？找哪个部门？"))
    assert "measure" in answer_slots("保护范围是多宽？")
    assert "yesno" in answer_slots("这样行不行？")
    assert "penalty" in answer_slots("会怎么处罚？")
    assert "penalty" in answer_slots("What is the fine for a taxi driver who refuses passengers?")


def test_a_plans_target_is_asked_as_a_figure():
    assert "figure" in answer_slots("这份行动计划对孵化器有什么目标？")
    assert "figure" in answer_slots("What targets does the plan set for data centres?")


def test_asking_what_follows_a_breach_asks_for_the_penalty():
    """会怎么样 after a wrong done is asked of its consequence: the sentence that sets it answers (取消资格, 注销)."""
    assert "penalty" in answer_slots("承诺不实被发现了会怎么样？")
    assert "penalty" in answer_slots("What happens if a company breaks its commitment?")


def test_how_a_breach_is_handled_asks_for_the_penalty_but_how_a_matter_is_handled_does_not():
    assert "penalty" in answer_slots("单位违反了这个规定会怎么处理？")
    assert "penalty" in answer_slots("要是违规经营，如何处置？")
    assert "penalty" not in answer_slots("这种纠纷怎么处理？")
    assert "penalty" in answer_slots("没按期备案，查实了怎么处理？")


def test_who_leads_asks_for_the_department():
    assert "department" in answer_slots("这项工作谁牵头？")


@pytest.mark.parametrize("question", ["本办法执行至何时？", "这些措施截止到哪一天？", "办法有效期到哪天？"])
def test_until_when_a_document_runs_asks_its_validity_not_any_date_in_it(question):
    """Answered by the validity statement (有效期至2027年12月31日), not by a target year quoted from the text (到2027年,
    新增…不少于50个)."""
    slots = answer_slots(question)
    assert "validity" in slots and "date" not in slots


def test_until_when_something_in_a_document_runs_is_no_question_of_its_validity():
    assert "validity" not in answer_slots("补贴发到什么时候？")


@pytest.mark.parametrize(("question", "length"), [("保护范围多大？", True), ("这个计划规模多大？", False),
                                                ("多大年纪可以参加？", False)])
def test_how_big_asks_a_length_only_of_a_range_or_place(question, length):
    assert ("measure" in answer_slots(question)) is length


@pytest.mark.parametrize("question", ["这个项目有补贴吗？", "我们这种情况有没有奖励？", "挂牌以后有一次性奖补吗？"])
def test_whether_there_is_a_benefit_asks_how_much_it_is(question):
    assert "amount" in answer_slots(question)


def test_a_time_requirement_asks_for_the_deadline():
    assert "deadline" in answer_slots("备案有没有时间要求？")
    assert "deadline" not in answer_slots("备案有什么要求？")


@pytest.mark.parametrize("text, states", [
    ("创新创业人才类企业设立三年以上", False), ("申请人须在本市连续缴纳社保满2年及以上", False),
    ("每年3月底前完成申报", True), ("自受理之日起20个工作日内办结", True), ("申报时间为2025年9月1日至9月30日", True),
])
def test_a_cutoff_is_stated_by_a_date_or_a_time_limit_not_by_a_lower_bound(text, states):
    assert states_cutoff(text) is states


@pytest.mark.parametrize("question, ratio", [
    ("单位缴费比例是百分之几？", True), ("增值税税率是多少？", True), ("What is the interest rate?", True),
    ("补贴比例是多少，最多补多少钱？", False), ("能拿多少补贴？", False),  # money asked too, or only money
])
def test_a_share_is_asked_by_a_rate_or_ratio_and_stated_only_by_a_share(question, ratio):
    assert asks_ratio(question) is ratio
    assert states_ratio("按实际认证费用的50%给予补贴") and states_ratio("减半收取")
    assert not states_ratio("对月销售额10万元以下的纳税人")


@pytest.mark.parametrize("question, cutoff", [
    ("申报截止时间是哪天？", True), ("最晚什么时候交材料？", True), ("What is the deadline to apply?", True),
    ("审批要多久？", False), ("How long does approval take?", False), ("截止日期前多久要交？", False),
])
def test_by_when_asks_a_cutoff_and_how_long_does_not(question, cutoff):
    assert asks_cutoff(question) is cutoff


@pytest.mark.parametrize("question", ["返岗包车费用区里怎么补贴？", "数据集开放出去，政府有没有支持？", "Is there a rent subsidy, and what is the cap?",
                                      "What reward does a listed firm get?", "Up to how much can we claim?"])
def test_english_ways_of_asking_for_a_sum_ask_for_the_amount(question):
    assert "amount" in answer_slots(question)


def test_how_big_a_scheme_is_asks_its_sum():
    assert "figure" in answer_slots("这个专项计划规模多大？")


def test_when_a_thing_in_a_document_starts_is_no_question_of_its_validity_but_when_the_policy_starts_is():
    assert "validity" not in answer_slots("申请书从什么时候开始生效？")
    assert "validity" in answer_slots("这个政策是什么时候开始的？")


@pytest.mark.parametrize(("text", "units"), [
    ("本政策由市商务局会相关部门负责解释。", ["市商务局"]),
    ("将培训合格的送气服务人员名单报送燃气管理部门备案。", ["燃气管理部门"]),
    ("由发展和改革委员会负责。", ["发展和改革委员会"]),
    ("由市人力资源和社会保障局商市公安局等部门提出办理意见。", ["市人力资源和社会保障局", "市公安局"]),
    ("出租汽车驾驶员应当积极配合道路运输管理机构的调查。", ["道路运输管理机构"]),  # no duty verb in a name
    ("编制的规划并报上一级燃气管理部门备案。", ["上一级燃气管理部门"]),  # 报 before a level is no part of a name
    ("将检查情况报工程所在地供水管理部门备案。", ["工程所在地供水管理部门"]),  # … nor before a place
])
def test_bodies_named_in_a_clause_are_cut_from_the_words_before_them_not_inside_their_names(text, units):
    assert units_in_text(text) == units


def test_a_role_a_document_names_a_body_to_is_answered_with_that_body():
    from rag.citations import defined_roles, departments_of
    from rag.types import Citation
    from stubs.fake_index import clause, doc_meta

    doc = doc_meta("苏州市公共停车场管理办法")
    naming = clause(doc, "第六条", "第六条 市停车服务中心为停车场运营机构，主要职责为：（一）维护停车信息平台。", kind="article")
    hall = clause(doc, "第七条", "第七条 本级政府批准的专项业务大厅为政务服务分中心。", kind="article")
    charging = clause(doc, "第十二条", "第十二条 停车场运营机构应当在3个工作日内核对备案材料。", kind="article")
    roles = defined_roles([naming, hall, charging])
    assert roles == {"停车场运营机构": "市停车服务中心"}  # a hall is no body
    cited = [Citation(1, charging.id, charging.citation, charging.label, charging.text, doc, "有效", False)]
    found = departments_of(cited, roles=lambda c: roles)
    assert found.units == ["停车场运营机构（即市停车服务中心）"]
    assert departments_of(cited).units == []  # without the document's roles the clause names no body


_DUTIES = "市甲局负责统筹实施补助工作。市乙局做好补助的经费保障工作。市丙服务中心负责补助的发放、申请受理及审核等工作。"


@pytest.mark.parametrize(("question", "units"), [
    ("补助的申请由谁审核？", ["市丙服务中心"]),  # the body charged with what is asked
    ("补助的经费谁保障？", ["市乙局"]),
    ("这事归哪个部门管？", ["市甲局", "市乙局", "市丙服务中心"]),  # no task named: every body, in order
])
def test_of_several_bodies_a_clause_charges_the_one_charged_with_what_is_asked_is_named(question, units):
    assert charged_with(_DUTIES, question) == units


def test_a_kind_of_department_the_text_charges_is_a_body_but_any_body_concerned_is_not():
    text = ("市、县级市（区）甲乙部门在各自职责范围内负责补助工作。县级市（区）丙服务机构具体负责补助的经办。"
            "各有关部门负责做好配合。市相关部门负责落实。")
    assert units_in_text(text) == ["甲乙部门", "丙服务机构"]
    assert charged_with(text, "补助的经办由谁负责？") == ["丙服务机构"]


@pytest.mark.parametrize("question", [
    "Which government departments are in charge of this?", "Who actually runs the platform?",
    "Who issues the vouchers and reviews the claims?", "Which office is behind that counter?",
    "Who is responsible for the inspections?",
])
def test_english_ways_of_asking_who_does_the_work_ask_for_the_department(question):
    from rag.retrievers import ASKS_DEPARTMENT

    assert ASKS_DEPARTMENT.search(question)


@pytest.mark.parametrize("question", ["Who can apply for the subsidy?", "Which documents do I need?",
                                      "How much does the office rent subsidy pay?"])
def test_english_questions_of_who_may_apply_or_which_things_do_not_ask_for_a_department(question):
    from rag.retrievers import ASKS_DEPARTMENT

    assert not ASKS_DEPARTMENT.search(question)


def test_a_body_another_reports_to_is_not_charged_and_a_part_without_a_body_goes_on_with_the_one_before():
    text = "市甲局负责梳理本行业服务事项；处理有关服务的投诉，并将处理结果反馈市乙局；履行行业监管职责。"
    assert charged_with(text, "服务的投诉归哪个部门处理？") == ["市甲局"]


def test_a_body_a_citizen_turns_to_is_named_for_a_question_of_where_to_turn():
    text = "服务机构对评价结果有异议的，可以书面向市甲局提出，市甲局会同市乙局进行复核。"
    assert charged_with(text, "对评价结果有异议，可以向哪里提出？")[0] == "市甲局"


# --- the real corpus -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(corpus_index, embeddings) -> Assistant:
    return Assistant(Settings.from_env(today=TODAY, llm_base_url=None), corpus_index, embeddings)


def first_line(answer) -> str:
    return answer.body.splitlines()[0]


@pytest.mark.model
def test_width_question_is_answered_with_the_sentence_carrying_the_figure(assistant):
    answer = assistant.ask("中压燃气管道的保护范围是多宽？")
    assert answer.citations[0].citation == "《苏州市燃气管理办法》第三十五条"
    assert first_line(answer).startswith("结论：") and "中压管道的管壁外缘两侧2米范围内的区域[1]" in first_line(answer)


@pytest.mark.model
def test_department_question_names_the_clause_trailer_unit_in_the_first_line(assistant):
    answer = assistant.ask("汽车芯片做车规级认证能补多少？找哪个部门？")
    line = first_line(answer)
    assert "负责部门为市工信局" in line and "所列责任单位" in line
    assert "50%" in line and "100万元" in line


@pytest.mark.model
def test_real_corpus_a_role_the_regulation_names_a_body_to_is_answered_with_the_body(assistant):
    answer = assistant.ask("中介服务机构提交入驻申请后，由哪个单位核对材料？")
    assert "中介超市运营机构（即苏州市公共资源交易中心）" in first_line(answer)


@pytest.mark.model
def test_figure_the_clauses_do_not_state_for_the_topic_is_said_to_be_unstated_not_taken_from_another_subsidy(
        assistant):
    answer = assistant.ask("以工代训补贴每人每月能拿多少钱？找哪个部门？")
    line = first_line(answer)
    assert not answer.refused and "负责部门为市人社局" in line
    assert "所引条款未写明具体金额或比例" in line and "元" not in line  # the 500元 of another subsidy is not it


@pytest.mark.model
def test_a_date_asked_is_not_answered_with_another_documents_date_from_the_quoted_text(assistant):
    """The 施行 article also names the date an earlier regulation of the same title was issued and repealed; the
    first line may not offer that date as the answer to when this one was issued."""
    answer = assistant.ask("苏州市燃气管理办法是哪年发布的？")
    assert answer.citations[0].citation.startswith("《苏州市燃气管理办法》")
    line = first_line(answer)
    assert not (line.startswith("结论：") and "2007" in line)  # quoted below as the clause says it, not as the answer


@pytest.mark.model
def test_listed_conditions_are_quoted_whole(assistant):
    answer = assistant.ask("出租汽车驾驶员要具备什么条件？")
    assert answer.citations[0].citation == "《苏州市客运出租汽车管理办法》第九条"
    for item in ("（一）取得相应准驾车型机动车驾驶证", "（二）有3年以上驾驶经历", "（三）具备出租汽车客运服务",
                 "（四）经出租汽车从业、治安培训合格"):
        assert item in answer.body


@pytest.mark.model
def test_question_figure_is_compared_with_the_clause_threshold(assistant):
    answer = assistant.ask("我们是制造业企业，今年设备投入6000万，技术改造能拿多少奖励？")
    line = first_line(answer)
    assert "按照设备投资额5%给予奖励" in line and "6000万，超过5000万元的门槛" in line


@pytest.mark.model
def test_figure_of_another_kind_is_not_compared(assistant):
    answer = assistant.ask("我们是制造业企业，今年招了6000人，技术改造设备投入能拿多少奖励？")
    assert "5000万元以上" in answer.body and "按您所述" not in answer.body and "门槛" not in answer.body


@pytest.mark.model
def test_expired_governing_document_is_said_in_the_first_line(assistant):
    answer = assistant.ask("外贸企业入驻数字展览平台的费用能补助多少？")
    assert answer.citations[0].doc["valid_until"] == "2020-12-31"
    line = first_line(answer)
    assert line.startswith("结论：《关于支持外贸企业稳定发展的若干政策意见（苏“惠外”新八条）》")
    assert "已过期，有效期至2020年12月31日" in line and "仅供参考" in line


@pytest.mark.model
def test_prohibition_answers_a_yes_no_question_with_no(assistant):
    answer = assistant.ask("燃气气瓶可以放在封闭的橱柜里吗？")
    assert first_line(answer).startswith("结论：不可以") and "将燃气气瓶存放在封闭的柜体中" in first_line(answer)


@pytest.mark.model
def test_reference_list_is_given_once_without_nested_brackets(assistant):
    answer = assistant.ask("汽车芯片做车规级认证能补多少？")
    assert answer.text.count("参考条款：") == 1 and "引用：" not in answer.text
    assert "（有效，有效期至2027年12月31日）" in answer.text and "（有效（" not in answer.text


@pytest.mark.model
def test_hotline_reply_has_no_markers_and_does_not_read_back_the_callers_words(assistant):
    message = "我家用液化气钢瓶，我想问一下我家的气瓶能不能放在橱柜里？"
    answer = assistant.ask(message, mode="hotline")
    script = answer.reply_script
    assert "[1]" not in script and "我家" not in script and "燃气气瓶存放在封闭的柜体中" in script
    assert "燃气管理部门" in script  # no 责任单位 trailer: the regulation's own 主管部门 article


@pytest.mark.model
def test_amended_article_says_which_decision_changed_it_and_since_when(assistant):
    answer = assistant.ask("《苏州市建筑施工安全监督管理办法》第三条是怎么规定的？")
    assert answer.citations[0].citation == "《苏州市建筑施工安全监督管理办法》第三条"
    assert "经《关于修改《苏州市建筑施工安全监督管理办法》等3件规章的决定》一、（二）修改" in answer.body
    assert "2020年6月1日起施行" in answer.body


@pytest.mark.model
def test_question_of_two_parts_cites_the_clause_answering_each_part(assistant):
    answer = assistant.ask("中压燃气管道的保护范围是多宽？没有燃气经营许可证卖气会怎么处罚？")
    cited = [c.citation for c in answer.citations]
    assert "《苏州市燃气管理办法》第三十五条" in cited and "《苏州市燃气管理办法》第四十四条" in cited
    line = first_line(answer)
    assert "2米" in line and "处5万元以上50万元以下罚款" in line


@pytest.mark.model
def test_a_second_part_in_other_words_than_its_clause_cites_the_clause_its_own_ranking_found(assistant):
    """妻子/女儿 are not the clause's 配偶/子女: the words miss the article the part's own ranking finds."""
    answer = assistant.ask("我们单位一名大专学历的员工今年40岁，在苏州连续交了一年社保，能办人才落户吗？"
                           "他妻子和读小学的女儿可以一起把户口迁来吗？")
    assert "《苏州市人才落户管理办法》第十二条" in [c.citation for c in answer.citations]


@pytest.mark.model
def test_who_does_a_task_a_clause_shares_among_bodies_is_answered_with_the_body_charged_with_it(assistant):
    line = first_line(assistant.ask("创新券的兑付申请由谁受理？"))
    assert "负责部门为市生产力促进中心" in line and "市财政局" not in line


@pytest.mark.model
def test_a_question_whether_there_is_a_reward_is_answered_with_its_sum_first(assistant):
    line = first_line(assistant.ask("企业在新三板挂牌了，地方有没有奖励？"))
    assert "不低于50万元奖励" in line


@pytest.mark.model
def test_reply_script_names_the_body_charged_with_what_the_caller_asks(assistant):
    answer = assistant.ask("市民来电，说公司的创新券兑付申请交上去很久了，问兑付申请是哪个单位受理的？", mode="hotline")
    assert "该事项由市生产力促进中心负责" in answer.reply_script
    assert answer.responsible_units == ["市生产力促进中心"]


@pytest.mark.model
def test_a_bare_department_question_gets_the_department_of_the_question_before_it(assistant):
    """找哪个部门？ names no topic: the department is that of the clause answering the width, not the trailer of
    another document's clause cited beside it."""
    line = first_line(assistant.ask("中压燃气管道的保护范围是多宽？找哪个部门？"))
    assert "燃气管理部门" in line and "领导小组" not in line


@pytest.mark.model
def test_hotline_reply_has_a_paragraph_per_question_in_order_each_with_its_own_department(assistant):
    message = ("市民王先生来电，他家楼下要挖沟，想问中压燃气管道的保护范围是多宽？"
               "另外他们公司的汽车芯片过了车规级认证，能拿多少补贴？")
    paragraphs = assistant.ask(message, mode="hotline").reply_script.splitlines()
    assert len(paragraphs) == 2
    assert "第三十五条" in paragraphs[0] and "燃气管理部门负责" in paragraphs[0] and "市工信局" not in paragraphs[0]
    assert "车规级认证" in paragraphs[1] and "市工信局负责" in paragraphs[1]


@pytest.mark.model
def test_penalty_question_on_an_obligation_cites_the_article_that_sets_its_fine(assistant):
    answer = assistant.ask("出租汽车驾驶员不得拒绝乘客的运送要求，违反了怎么处罚？")
    cited = [c.citation for c in answer.citations]
    assert cited[0] == "《苏州市客运出租汽车管理办法》第二十六条"
    assert "《苏州市客运出租汽车管理办法》第三十八条" in cited
    assert "100元以上1000元以下罚款" in first_line(answer)


def test_penalty_articles_are_linked_to_the_articles_they_enforce(corpus_index):
    from rag.lookup import penalty_links

    links = penalty_links(corpus_index.clauses.values())
    taxi = next(c.doc_id for c in corpus_index.clauses.values() if c.doc.get("doc_title") == "苏州市客运出租汽车管理办法")
    enforcing = [corpus_index.clauses[cid].label for cid in links[(taxi, 26)]]
    assert enforcing == ["第三十八条"]
    # An order to put it right is a legal consequence too (违反本办法第十三条…的，…责令限期整改), not only a fine.
    assert [corpus_index.clauses[cid].label for cid in links[(taxi, 13)]] == ["第三十六条"]


@pytest.mark.model
def test_english_question_gets_the_asked_figure_first_quoted_in_chinese(assistant):
    answer = assistant.ask("How much subsidy for automotive chip AEC-Q certification?")
    line = first_line(answer)
    assert line.startswith("In short: ") and "50%" in line and "100万元[1]" in line


def test_english_question_picks_the_passage_sharing_its_chinese_terms():
    from rag.extractive import extract
    from stubs.fake_index import clause, doc_meta

    doc = doc_meta("苏州市金融支持稳企业保就业工作指导意见")
    text = ("4．强化政府性融资担保。对符合条件的小微企业给予补贴，最高50万元。企业申请条件由市财政局负责制定。"
            "对新设机构给予奖励，最高100万元。合作机构平均担保费率逐步下降。")
    (found,) = extract("What does the guidance say about guarantee fees of government financing guarantee firms?",
                       [clause(doc, "二、（三）4.", text)], lambda token: 1.0)
    assert any("担保费率" in s for s in found.sentences)


def test_a_yes_no_answer_needs_a_rule_about_the_action_asked_not_any_permission_in_the_clause():
    from rag.extractive import Extract, asked_action, findings, passages
    from stubs.fake_index import clause, doc_meta

    assert asked_action("燃气管道保护范围内能不能种树？") == ["种树"]
    doc = doc_meta("苏州市燃气管理办法")
    scope = clause(doc, "第三十五条", "采取有效的安全防护措施后，燃气管道设施保护范围可以适当缩小。")
    rule = clause(doc, "第三十六条", "在燃气管道设施保护范围内，禁止种植深根植物。")
    extracts = [Extract(c, passages(c.text), 1.0) for c in (scope, rule)]
    (finding,) = findings("燃气管道保护范围内能不能种植深根植物？", extracts, {scope.id: 1, rule.id: 2},
                          lambda token: 1.0)
    assert finding.n == 2 and "禁止种植深根植物" in finding.text  # not 保护范围可以适当缩小
    assert findings("燃气管道保护范围内能不能种树？", extracts[:1], {scope.id: 1}, lambda token: 1.0) == []


def test_the_figure_asked_about_is_told_by_its_subject_in_the_fragment_before():
    from rag.extractive import Extract, findings, passages
    from stubs.fake_index import clause, doc_meta

    text = ("对获评的苏州市独角兽培育企业，给予每年最高200万元支持。对于获得高新技术企业认定的企业，市、县级市(区)"
            "联动给予最高100万元奖补。对国家制造业单项冠军企业，给予最高300万元奖励。")
    found = clause(doc_meta("苏州市推动智能车联网和新能源汽车产业发展的若干措施"), "一、（二）", text)
    (finding,) = findings("对首次认定的高新技术企业奖励多少钱？", [Extract(found, passages(text), 1.0)],
                          {found.id: 1}, lambda token: 1.0)
    assert finding.text == "对于获得高新技术企业认定的企业，市、县级市(区)联动给予最高100万元奖补"


def test_each_part_asking_its_own_figure_gets_its_own_finding_and_an_elliptical_part_none():
    from rag.extractive import Extract, each_part_findings, passages
    from stubs.fake_index import clause, doc_meta

    text = ("电力接入审批办理时间压减至5个工作日内。自来水报装办结时间不超过4个工作日。"
            "其他审批事项办理时间控制在80个工作日内。")
    found = clause(doc_meta("某市优化营商环境行动"), "三、12.", text)
    extracts = [Extract(found, passages(text), 1.0)]
    texts = [f.text for f in each_part_findings("电力接入审批需要几个工作日？自来水报装需要几个工作日？", extracts, {found.id: 1},
                                                lambda token: 1.0)]
    assert len(texts) == 2 and any("5个工作日" in t for t in texts) and any("4个工作日" in t for t in texts)
    # 还要多少天？ names no topic of its own: any figure of the clause would do for it, so it adds none
    assert len(each_part_findings("电力接入审批要几个工作日？还要多少天？", extracts, {found.id: 1}, lambda token: 1.0)) == 1


def test_a_granted_sum_is_stated_with_the_cap_on_the_whole_grant_after_it_but_not_the_next_items_cap():
    from rag.extractive import Extract, findings, passages
    from stubs.fake_index import clause, doc_meta

    doc = doc_meta("某区稳就业若干措施")
    per_head = clause(doc, "二、（五）", "对吸纳就业的企业，按吸纳人数的10%，按800元/人的标准给予企业一次性补贴，"
                                        "每家企业一次性补贴最多不超过8万元。")
    (finding,) = findings("企业吸纳就业能拿多少补贴？", [Extract(per_head, passages(per_head.text), 1.0)],
                          {per_head.id: 1}, lambda token: 1.0)
    assert "800元/人" in finding.text and "8万元" in finding.text
    kinds = clause(doc, "二、（六）", "甲类服务券额度最高不超过40万元，乙类服务券额度最高不超过40万元，"
                                     "丙类服务券额度最高不超过120万元。")
    (finding,) = findings("甲类服务券额度最多多少？", [Extract(kinds, passages(kinds.text), 1.0)], {kinds.id: 1},
                          lambda token: 1.0)
    assert "120万元" not in finding.text


def test_a_short_leading_clause_is_quoted_whole_and_a_long_one_cut_to_its_answering_passages():
    from rag.extractive import SHORT_CLAUSE_CHARS, extract
    from stubs.fake_index import clause, doc_meta

    doc = doc_meta("苏州市燃气管理办法")
    short = "燃气用户应当按时缴纳燃气费用。燃气用户对不符合规定的收费，有权拒绝、投诉和举报。用气量以燃气计量装置的记录为准。"
    (found,) = extract("用气量以什么为准？收费不合理能不能不交？", [clause(doc, "第二十八条", short)], lambda token: 1.0)
    assert "".join(found.sentences) == short  # the second question's answer is not left out
    filler = "".join(f"燃气经营企业应当做好第{n}项服务工作。" for n in range(1, 30))
    long = filler + "用气量以燃气计量装置的记录为准。"
    assert len(long) > SHORT_CLAUSE_CHARS
    (found,) = extract("用气量以什么为准？", [clause(doc, "第二十八条", long)], lambda token: 1.0)
    assert found.sentences[0] == "用气量以燃气计量装置的记录为准。" and len(found.sentences) < 5


def test_each_part_of_a_question_gets_its_passage_from_a_clause_already_quoted():
    """Both parts are answered by one long clause whose many sentences on the first part fill its quote: the
    second part's sentence joins them."""
    from rag.extractive import extract
    from stubs.fake_index import clause, doc_meta

    filler = "".join(f"告知承诺书第{n}项内容什么时候经双方确认，什么时候生效。" for n in range(1, 12))
    text = ("告知承诺书经行政审批部门和申请人双方签章后生效。" + filler +
            "行政审批部门尚未作出决定前，申请人可以提出解除承诺申请。")
    (found,) = extract("告知承诺书什么时候生效？还没作出决定前能解除承诺吗？",
                       [clause(doc_meta("行政审批告知承诺制管理办法"), "第九条", text, kind="article")],
                       lambda token: 1.0)
    assert "行政审批部门尚未作出决定前，申请人可以提出解除承诺申请。" in found.sentences


def _two_part_extracts(first_of_part_two: str | None) -> list[tuple[str, list[str]]]:
    """A two-part question over three clauses: one answering the first part, one answering the second in other
    words (被移出名录的…重新提出入库申请), one sharing the second part's words and answering nothing."""
    from rag.extractive import extract
    from stubs.fake_index import clause, doc_meta

    doc = doc_meta("服务机构管理办法")
    clauses = {
        "第五条": "服务机构申请入库，需要具备下列条件：具有独立法人资格，近三年无不良信用记录，以后每年报送年度报告。",
        "第二十条": "移出以后再申请的，按本办法办理。",
        "第十八条": "被移出名录的，满两年后可以重新提出入库申请。",
        "第三十条": "本办法自发布之日起施行。",
    }
    ranked = [clause(doc, label, text, kind="article") for label, text in clauses.items()]
    firsts = {"被移出以后还能再申请吗？": f"{doc['doc_id']}:{first_of_part_two}"} if first_of_part_two else None
    found = extract("服务机构入库需要什么条件？被移出以后还能再申请吗？", ranked, lambda token: 1.0, firsts=firsts)
    return [(ex.clause.label, ex.sentences) for ex in found]


def test_a_part_of_a_question_is_answered_from_the_clause_its_own_ranking_puts_first():
    labels = [label for label, _ in _two_part_extracts("第十八条")]
    assert labels == ["第五条", "第十八条"]


def test_a_part_is_answered_by_its_words_when_its_own_first_clause_hardly_matches_them():
    assert [label for label, _ in _two_part_extracts("第三十条")] == ["第五条", "第二十条"]
    assert [label for label, _ in _two_part_extracts(None)] == ["第五条", "第二十条"]


def test_the_article_next_to_the_leading_one_is_quoted_though_it_shares_fewer_words():
    """Ranked among the first clauses, the article before or after the leading one carries the same matter on;
    an article further on, or one of another document, sharing as few words, is left out."""
    from rag.extractive import extract
    from stubs.fake_index import clause, doc_meta

    gas, other = doc_meta("苏州市燃气管理办法", doc_id="gas"), doc_meta("苏州市建筑施工安全监督管理办法", doc_id="build")
    before = clause(gas, "第三十八条", "建设工程开工前，施工单位应当查明作业区域地下燃气设施的相关情况。", kind="article")
    during = clause(gas, "第三十九条", "可能影响燃气设施安全的，应当与燃气经营企业共同制定安全保护措施。"
                    "埋设位置不明的，应当采取人工探挖措施。由于施工造成损坏的，应当依法赔偿。", kind="article")
    later = clause(gas, "第四十一条", "可能影响燃气设施安全的，应当与燃气经营企业共同制定安全保护措施。", kind="article")
    elsewhere = clause(other, "第三十九条", "可能影响燃气设施安全的，应当与燃气经营企业共同制定安全保护措施。", kind="article")
    question = "施工单位开工前要查明燃气设施的什么情况？"
    extracts = extract(question, [before, during], lambda token: 1.0)
    assert [ex.clause.id for ex in extracts] == ["gas:第三十八条", "gas:第三十九条"]
    assert "埋设位置不明的，应当采取人工探挖措施。" in extracts[1].sentences  # short: read whole
    earlier = clause(gas, "第三十七条", "可能影响燃气设施安全的，应当与燃气经营企业共同制定安全保护措施。", kind="article")
    assert [ex.clause.id for ex in extract(question, [before, earlier], lambda token: 1.0)][-1] == "gas:第三十七条"
    for stranger in (later, elsewhere):
        assert [ex.clause.id for ex in extract(question, [before, stranger], lambda token: 1.0)] == ["gas:第三十八条"]


@pytest.mark.model
def test_penalty_is_the_fine_the_linked_article_sets_not_a_referral_to_other_rules(assistant):
    answer = assistant.ask("出租车司机开着空车灯，乘客招手停车后不载客，算拒载吗？会怎么处罚？")
    assert "《苏州市客运出租汽车管理办法》第三十八条" in [c.citation for c in answer.citations]
    assert "100元以上1000元以下罚款" in first_line(answer) and "有关规定实施处罚" not in first_line(answer)


@pytest.mark.parametrize("passage, sets", [
    ("由道路运输管理机构予以警告，并处100元以上1000元以下罚款。", True), ("处五千元以上二万元以下罚款。", True),
    ("情节严重的，吊销其经营许可证。", True), ("按有关规定实施处罚。", False), ("依照本办法第26条处罚。", False),
])
def test_a_penalty_is_set_by_its_figure_or_sanction_not_by_a_referral(passage, sets):
    from rag.extractive import sets_penalty

    assert sets_penalty(passage) is sets


def test_a_caller_past_an_age_limit_is_also_told_of_the_quoted_clause_lifting_it(assistant):
    """第四条 bars a master's holder over 50; 第七条 lifts the age limit for one working in Suzhou with social
    insurance. The 结论 must not stop at "over the limit" when it quotes the exemption."""
    answer = assistant.ask("我是硕士，今年53岁，已经在苏州工作并交了社保，还能申请人才落户吗？")
    line = first_line(answer)
    assert "53岁，超过50周岁的上限，但另有规定：" in line
    exempting = next(c for c in answer.citations if c.citation.endswith("第七条"))
    assert f"年龄不受限制[{exempting.n}]" in line


def test_no_exemption_is_added_when_the_caller_is_within_the_limit(assistant):
    line = first_line(assistant.ask("我是硕士，今年45岁，已经在苏州工作并交了社保，还能申请人才落户吗？"))
    assert "在50周岁的上限以内" in line and "另有规定" not in line


def test_a_may_i_question_is_answered_by_the_right_the_clause_grants(assistant):
    """有权拒绝 answers 能不能拒绝: the 结论 quotes the right from the construction-safety article, not a
    prohibition of some other document that merely shares the verb (出租汽车驾驶员不得拒绝…)."""
    answer = assistant.ask("工地没有安全防护措施，工人能不能拒绝施工？")
    granting = next(c for c in answer.citations if c.citation == "《苏州市建筑施工安全监督管理办法》第二十二条")
    assert first_line(answer) == f"结论：对不符合安全生产条件有权拒绝施工作业[{granting.n}]。"


@pytest.mark.model
def test_a_share_stated_in_words_answers_how_much_rather_than_a_budget_figure_beside_it(assistant):
    answer = assistant.ask("外贸企业交的短期出口信用保险保费，政府能补贴多少？")
    assert "全额补贴" in first_line(answer) and "3000万元" not in first_line(answer)


@pytest.mark.model
def test_a_figure_in_an_enumerations_item_is_stated_about_what_its_lead_names(assistant):
    answer = assistant.ask("燃气管道的保护范围是多少？")
    assert not answer.refused and "1米" in answer.body and "2米" in answer.body


def test_asking_where_to_turn_asks_for_the_department():
    assert "department" in answer_slots("对评分不服，可以向哪里提出来？")
    assert "department" in answer_slots("司机绕路，这事该找哪里投诉？")


def test_only_a_regulations_articles_name_the_body_that_administers_it():
    from rag.citations import competent_article
    from stubs.fake_index import clause, doc_meta

    plan = doc_meta("苏州市年度工作计划")
    items = [clause(plan, "一、（十）", "水务等牵头主管部门负责排查本行业执法情况。", kind="item")]
    assert competent_article(items) is None  # a plan's item charges a body with its own task only
    rule = doc_meta("苏州市燃气管理办法")
    articles = [clause(rule, "第五条", "第五条 市燃气管理部门负责本市燃气管理工作。", kind="article")]
    assert competent_article(articles) == ("《苏州市燃气管理办法》第五条", ["市燃气管理部门"])


def test_a_quoted_measure_comes_with_its_own_trailer_not_the_trailers_of_measures_not_quoted():
    from rag.extractive import SHORT_CLAUSE_CHARS, extract
    from stubs.fake_index import clause, doc_meta

    doc = doc_meta("苏州市优化营商环境创新行动")
    filler = "".join(f"推进第{n}项改革措施落地见效，形成一批可复制经验。" for n in range(1, 12))
    text = (filler + "（责任单位：市发改委）\n"  # a paragraph per measure, each closed by its trailer
            + "支持供应商以金融机构出具的保函代替履约保证金，减少资金占用。（责任单位：市财政局）\n"
            + "推行工程建设项目审批告知承诺制。（责任单位：市住建局）")
    assert len(text) > SHORT_CLAUSE_CHARS  # not quoted whole
    (found,) = extract("能不能用保函代替履约保证金？", [clause(doc, "三、26.", text)], lambda token: 1.0)
    quoted = "".join(found.sentences)
    assert "保函代替履约保证金" in quoted and "（责任单位：市财政局）" in quoted
    assert "市发改委" not in quoted and "市住建局" not in quoted


def test_the_department_of_a_quoted_measure_is_its_own_trailers_not_every_body_of_the_clause():
    from dataclasses import replace

    from rag.extractive import Extract, quoted_units
    from stubs.fake_index import clause, doc_meta

    text = "推行告知承诺制。（责任单位：市住建局）\n支持以保函代替履约保证金。（责任单位：市财政局、市行政审批局）"
    several = replace(clause(doc_meta("苏州市优化营商环境创新行动"), "三、26.", text),
                      trailers_raw=["（责任单位：市住建局）", "（责任单位：市财政局、市行政审批局）"])
    quoted = Extract(several, ["支持以保函代替履约保证金。", "（责任单位：市财政局、市行政审批局）"], 1.0)
    assert quoted_units(quoted) == ["市财政局", "市行政审批局"]
    one = replace(several, trailers_raw=["（责任单位：市财政局、市行政审批局）"])
    assert quoted_units(Extract(one, quoted.sentences, 1.0)) == []  # one trailer: the clause's own units apply
    bare = replace(several, trailers_raw=["（责任单位：市住建局）", "（市财政局、市行政审批局）"])  # no keyword
    assert quoted_units(Extract(bare, ["支持以保函代替履约保证金。", "（市财政局、市行政审批局）"], 1.0)) == \
        ["市财政局", "市行政审批局"]
    assert quoted_units(Extract(several, ["推行告知承诺制。", "（责任单位：市住建局）", "支持以保函代替履约保证金。",
                                          "（责任单位：市财政局、市行政审批局）"], 1.0)) == []  # all quoted: the clause's


def test_a_condition_stating_a_figure_is_quoted_with_what_follows_it():
    from rag.extractive import Extract, findings
    from stubs.fake_index import clause, doc_meta

    text = "对吸纳登记失业3个月以上人员就业并开展以工代训的，根据吸纳人数给予企业以工代训补贴。"
    rule = clause(doc_meta("苏州市稳就业若干措施"), "二、（一）", text)
    (finding,) = findings("以工代训最多多少？", [Extract(rule, passages(rule.text), 1.0)], {rule.id: 1}, lambda t: 1.0)
    assert finding.text.endswith("根据吸纳人数给予企业以工代训补贴")  # not the bare condition (…以工代训的)


@pytest.mark.parametrize("text, count, amount, duration", [
    ("建成60家以上", True, False, False), ("一式两份", True, False, False), ("新增2万辆", True, False, False),
    ("依照本办法第二十六条", False, False, False), ("第二批名单", False, False, False), ("一个入口", False, False, False),
    ("给予一万元奖励", False, True, False), ("最高3.5万元", False, True, False), ("一个月内办结", False, False, True),
    ("到2027年", False, False, True), ("每二年不得少于一次检查", False, False, True),  # how often, every N years
])
def test_figures_are_told_apart_from_ordinals_years_and_a_bare_one(text, count, amount, duration):
    assert (bool(slots._COUNT.search(text)), bool(slots.AMOUNT.search(text)), bool(slots._DURATION.search(text))) == \
        (count, amount, duration)


def test_a_term_that_is_only_the_asked_unit_is_told_from_the_topic():
    assert slots.is_unit_word("工作日内", slots.asked_unit("复核要在多少个工作日内完成？"))
    assert slots.is_unit_word("小时", slots.asked_unit("How many hours does the review take?"))
    assert not slots.is_unit_word("复核", slots.asked_unit("复核要在多少个工作日内完成？"))
    assert not slots.is_unit_word("工作日", slots.asked_unit("复核结果多久出来？"))  # no unit asked: a word like any other


def test_a_things_own_classifier_is_no_asked_unit():
    assert slots.asked_unit_figure("每个服务窗口要配多少个座位？", "count") is None  # 个 is the classifier of 座位
    assert slots.asked_unit_figure("每年要用多少天然气？", "figure") is None
    assert slots.asked_unit_figure("How many working days does the approval take?", "count").search("3个工作日")


def test_a_few_of_a_telling_clause_is_no_asked_unit():
    # "请了几家单位" tells of a few bodies; what is asked (最多多少) is a sum, not a count of them.
    assert slots.asked_unit_figure("我们请了几家单位报价，最多补多少？", "amount") is None
    assert slots.asked_unit_figure("我们请了几家单位报价，能报几家？", "count").search("3家")


def test_each_of_two_further_parts_of_a_question_adds_the_clause_that_answers_it():
    from rag.extractive import extract
    from stubs.fake_index import clause, doc_meta

    doc = doc_meta("停车场管理办法")
    # The first names every topic of the question and answers none; each part's own ranking puts its clause first.
    texts = {
        "第三条": "停车场经营者应当公示收费标准、夜间停放的收费办法和车辆丢失的处理办法。",
        "第九条": "夜间停放的车辆，按照每晚十元收取停车费。",
        "第十二条": "车辆在停车场内丢失的，由经营者依法承担赔偿责任。",
    }
    ranked = [clause(doc, label, text, kind="article") for label, text in texts.items()]
    firsts = {"夜间停放怎么收费？": f"{doc['doc_id']}:第九条", "车辆丢失由谁赔偿？": f"{doc['doc_id']}:第十二条"}
    found = extract("收费标准在哪里公示？夜间停放怎么收费？车辆丢失由谁赔偿？", ranked, lambda token: 1.0, firsts=firsts)
    assert [ex.clause.label for ex in found] == ["第三条", "第九条", "第十二条"]


def test_a_fourth_clause_answering_nearly_as_well_as_the_first_is_quoted_too():
    from rag.extractive import extract
    from stubs.fake_index import clause, doc_meta

    doc = doc_meta("停车场管理办法")
    texts = ["小型车白天停放按每小时二元收费。", "小型车夜间停放按每晚十元收费。", "大型车停放按每小时五元收费。",
             "新能源车停放首小时免费收费。", "本办法自公布之日起施行。"]
    ranked = [clause(doc, f"第{n}条", text, kind="article") for n, text in zip("一二三四五", texts)]
    found = extract("车辆停放怎么收费？", ranked, lambda token: 1.0)
    assert [ex.clause.label for ex in found] == ["第一条", "第二条", "第三条", "第四条"]


def test_a_sum_asked_in_a_currency_is_stated_only_in_that_currency():
    asked = slots.asked_unit_figure("独角兽企业的估值门槛是多少亿美元？", "figure")
    assert asked.search("估值超过10亿美元") and asked.search("出口额在1000万美元以下")
    assert not asked.search("给予每年最高200万元支持")  # yuan: a sum of another currency, about something else
    assert slots.asked_unit_figure("年出口多少万美元以下的企业能全额补贴？", "amount").search("500万美元")
    assert slots.asked_unit_figure("最高补贴多少万元？", "amount") is None  # 元 is the amount slot's own unit
