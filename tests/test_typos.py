"""A caller's homophone typo is read as the corpus word meant (人材 → 人才), and nothing else is rewritten.

The rule is tested on its own over small texts (with jieba's real dictionary counts and real pinyin); then a
message with a typo is asked of the assistant over the real corpus index.
"""

from __future__ import annotations

from datetime import date

import pytest

from rag.assistant import Assistant
from rag.substrings import SubstringIndex
from rag.typos import Repair, TypoRepair
from settings import Settings

CORPUS = ("申请人才落户应当符合下列条件。道路货物运输驾驶员应当取得从业资格证。单位领导负责组织实施。"
          "本办法自公布之日起生效。我市太仓港区。市区出租车不得拒载。推动工业制造升级。")
VOCABULARY = {"人才": 9, "落户": 9, "从业": 4, "资格": 4, "领导": 3, "生效": 5, "我市": 6, "太仓": 2, "出租": 7,
              "制造": 5}


@pytest.fixture(scope="module")
def typos() -> TypoRepair:
    return TypoRepair(VOCABULARY, SubstringIndex(CORPUS))


def test_a_dictionary_word_the_corpus_lacks_is_read_as_the_corpus_word_that_sounds_the_same(typos):
    text, repairs = typos.repair("我大专毕业，想问能不能办人材落户？")
    assert text == "我大专毕业，想问能不能办人才落户？"
    assert repairs == [Repair("人材", "人才")]


def test_two_characters_that_make_no_word_are_read_as_the_corpus_word(typos):
    text, repairs = typos.repair("听说开普货不用考从叶资格证了")
    assert text == "听说开普货不用考从业资格证了"
    assert repairs == [Repair("从叶", "从业")]


def test_two_characters_that_make_no_word_need_only_one_neighbour_the_corpus_confirms(typos):
    """出组 is no word: the corpus having 出租车 confirms it, though it never has 出租车， (a dictionary word
    would need two such characters)."""
    assert typos.repair("拦了一辆出组车，司机不停") == ("拦了一辆出租车，司机不停", [Repair("出组", "出租")])
    assert typos.repair("听说出组吧") == ("听说出组吧", [])


def test_a_real_word_is_left_alone_when_the_corpus_never_has_the_other_word_in_that_context(typos):
    """领导 sounds like 领到 and is far commoner, but the corpus never writes 款领导 or 领导后怎."""
    assert typos.repair("这笔补助款领到后怎么用？") == ("这笔补助款领到后怎么用？", [])


def test_the_neighbour_confirming_a_typo_is_a_whole_word_not_the_last_character_of_one(typos):
    """执造 sounds like 制造, and the corpus has 业制造 — inside 工业制造. The word beside the typo is 营业, and the
    corpus never writes 营业制造 (the caller meant 执照, which does not sound the same)."""
    assert typos.repair("营业执造办下来了吗") == ("营业执造办下来了吗", [])


def test_a_function_word_is_never_taken_for_a_typo(typos):
    """我是 sounds like 我市, and the corpus has 我市太仓; 是 is no mistyped 市."""
    assert typos.repair("我是太仓的村民") == ("我是太仓的村民", [])


def test_words_the_corpus_uses_are_never_rewritten(typos):
    question = "人才落户需要从业资格吗？什么时候生效？"
    assert typos.repair(question) == (question, [])


def test_a_typo_whose_meant_word_the_context_does_not_confirm_is_left_as_typed(typos):
    """声效 sounds like 生效, but the corpus has 生效 only after 起 and before 。: 问声效吗 confirms nothing."""
    assert typos.repair("问声效吗") == ("问声效吗", [])
    assert typos.repair("之日起声效") == ("之日起生效", [Repair("声效", "生效")])


# --- over the real corpus ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(corpus_index, embeddings) -> Assistant:
    return Assistant(Settings.from_env(today=date(2026, 6, 1), llm_base_url=None), corpus_index, embeddings)


def test_a_hotline_message_with_a_typo_is_answered_from_the_clause_the_caller_meant(assistant):
    message = ("来电人张先生，电话139****1234。他说自己本科毕业，今年30岁，刚在苏州找到工作交了社保，"
               "问能不能办人材落户。")
    answer = assistant.ask(message, mode="hotline")
    assert not answer.refused
    assert any("人材" in notice and "人才" in notice for notice in answer.notices)
    assert answer.citations[0].citation.startswith("《苏州市人才落户管理办法》")
