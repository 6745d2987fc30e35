"""English question → Chinese pseudo-query through the shipped term map: how words are cut, looked up and
grouped into phrases."""

from __future__ import annotations

import pytest

from rag.translate import base_forms, english_phrases, is_latin, term_groups, to_chinese


def _terms(question: str) -> dict[str, tuple[str, ...]]:
    return {" ".join(p.words): p.terms for p in english_phrases(question)}


def test_r_and_d_stays_one_word_and_maps_to_its_chinese_term():
    assert "研发" in _terms("How much R&D support is there?")["r&d"]


def test_hyphenated_compounds_meet_the_maps_space_separated_phrases():
    phrases = _terms("What are the silver-economy measures for listed-company quality?")
    assert "银发经济" in phrases["silver economy"]
    assert "上市公司" in phrases["listed company"]


def test_possessive_s_is_not_a_word_of_its_own():
    assert "s" not in _terms("What are Suzhou's measures?")


def test_inflected_words_fall_back_to_their_base_form():
    assert {"subsidy", "subsidi"} <= set(base_forms("subsidies"))
    assert "price" in base_forms("prices")
    assert "improve" in base_forms("improving")
    assert "plan" in base_forms("planned")
    assert "protect" in base_forms("protection") and "invest" in base_forms("investment")
    assert "补贴" in _terms("Are subsidies available?")["subsidies"]
    assert "提高" in _terms("improving quality")["improving"]


def test_british_spellings_reach_the_american_entries_of_the_map():
    assert _terms("Is the lab recognised by the city?")["recognised"] == _terms("Is the lab recognized?")["recognized"]
    assert _terms("Who are the labour inspectors?")["labour"] == _terms("labor")["labor"]
    assert _terms("Can advisors help?")["advisors"] == _terms("adviser")["adviser"]
    assert "analyse" in base_forms("analysed") and "analyze" in base_forms("analysed")
    assert base_forms("metre") == [] and base_forms("hour") == []  # a metre is no taxi meter; hour is no hor


def test_function_words_alone_are_never_looked_up():
    assert english_phrases("What is it that you would do for them?") == []


def test_a_word_the_map_does_not_know_is_a_phrase_without_terms():
    (phrase,) = [p for p in english_phrases("Does the city pay for xylophones?") if p.words == ("xylophones",)]
    assert phrase.terms == ()


def test_pseudo_query_keeps_embedded_chinese_and_names_the_place_in_chinese():
    question = "Does Wujiang support 独角兽 firms?"
    assert is_latin(question)
    pseudo = to_chinese(question).split()
    assert "独角兽" in pseudo and "吴江区" in pseudo and "企业" in pseudo


def test_a_chinese_question_is_not_latin():
    assert not is_latin("燃气管道保护范围是多少米？")


def test_hyphenated_keys_of_the_map_are_found_from_the_words_of_a_question():
    assert "跨境电商" in to_chinese("What subsidies are there for cross-border e-commerce?").split()


def test_term_groups_keep_each_phrases_translations_together():
    """One group per thing asked about — the Chinese span, the place, each mapped phrase — so a clause using one
    translation of a phrase covers it; the pseudo-query is every group's terms in order."""
    question = "Does Wujiang give a subsidy to 独角兽 firms?"
    groups = term_groups(question)
    assert groups[0] == ("独角兽",) and groups[1] == ("吴江区",)
    assert any(len(g) > 1 for g in groups)
    assert to_chinese(question).split() == list(dict.fromkeys(t for g in groups for t in g))


@pytest.mark.parametrize(
    ("question", "term", "wrong_sense"),
    [
        ("Who checks the gas cylinders, and how often?", "检查", "交运"),  # check → 检查, not check-in luggage
        ("Which department drafted the standard?", "起草", "绘制"),  # drafting a document, not a drawing
        ("How much is charged for the inspection?", "收费", "责令"),  # a fee, not being ordered to
        ("Can my wife move her hukou to Suzhou?", "配偶", "移动"),  # moving a registration, not motion
        ("Is there a cap on the rent subsidy?", "上限", None),
    ],
)
def test_everyday_question_words_reach_the_terms_the_corpus_uses(question, term, wrong_sense):
    """Plain words of policy questions (and their inflections) become the corpus's own terms, not the rarer
    dictionary sense that CC-CEDICT happens to gloss with the same English word."""
    pseudo = to_chinese(question).split()
    assert term in pseudo
    assert wrong_sense not in pseudo


def test_an_inflected_dictionary_key_does_not_hide_the_policy_sense():
    """CC-CEDICT glosses some inflected forms on their own (training → 演练 drill, products → 用品 supplies); an exact
    key wins over the base-form fallback, so such a key must carry the sense questions mean."""
    training = to_chinese("What training is there for new staff?").split()
    assert "培训" in training and "演练" not in training
    assert _terms("Are imported products eligible?")["products"][0] == "产品"  # the base form's first term


def test_a_phrase_naming_what_the_corpus_lacks_is_kept_whole_and_taken_as_an_unknown_term(monkeypatch):
    import rag.translate as translate
    from rag.answerability import english_terms

    absent = translate.load_absent_words() | {"maternity leave"}
    monkeypatch.setattr(translate, "load_absent_words", lambda: absent)
    monkeypatch.setattr("rag.answerability.load_absent_words", lambda: absent)
    phrases = english_phrases("What is the maternity leave policy for employees?")
    assert ("maternity", "leave") in [p.words for p in phrases]  # not "leave" read as 离开
    assert "maternity leave" in english_terms("What is the maternity leave policy for employees?")


@pytest.mark.parametrize(
    "question",
    [
        "Does the policy mention anything about twice the subsidy?",
        "How quickly is the subsidy paid, and is it wholly paid at once?",
        "What does the size of the subsidy mean, roughly?",
    ],
)
def test_everyday_words_that_name_no_topic_are_not_taken_as_unknown_terms(question):
    """Adverbs, degree words and verbs of saying (mention, quickly, twice, mean) name nothing a document could be
    about: a question using them is not made to look as if it asked about what the corpus lacks."""
    from domain.terms import load_absent_words
    from rag.answerability import english_terms

    terms = english_terms(question)
    assert not [t for t in terms if t.isascii()]  # no English word is left as a term no document uses
    assert "补贴" in terms
    assert not {"mention", "quickly", "twice", "wholly", "mean", "roughly"} & load_absent_words()


def test_a_topic_the_corpus_lacks_is_still_an_unknown_term_beside_everyday_words():
    from rag.answerability import english_terms

    assert "kindergarten" in english_terms("Can a kindergarten quickly get the subsidy mentioned?")


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("Which industrial clusters get support?", "集群"),
        ("Is the product in the catalogue?", "目录"),
        ("Is there help for skills in shortage?", "紧缺"),
        ("Can a loan be taken without a mortgage?", "抵押"),
        ("Is there support for micro firms?", "小微"),
        ("Does the size of the firm matter?", "规模"),
        ("Is there a subsidy for environmental upgrades?", "环境"),
        ("Is there a reward for technical innovation?", "技术"),
        ("Do I need a master's degree for the talent subsidy?", "硕士"),
    ],
)
def test_words_the_dictionary_glosses_otherwise_reach_the_corpus_own_terms(question, term):
    """A British spelling, an adjective or another sense of a word CC-CEDICT glosses only with words the corpus
    never uses (catalogue, environmental, size) reaches the corpus's own term; a key with an apostrophe
    (master's degree) is found although the question is split into words there. The term may come as part of
    the corpus term its phrase makes (micro firms → 小微企业)."""
    assert any(term in found for found in to_chinese(question).split())


def test_a_phrase_the_map_lacks_is_the_corpus_term_its_words_make_together():
    """residence → 住所|住宅|居留 and permit → 许可 read word by word are a dwelling and some licence; together
    they are the corpus's 居留许可. Words whose terms make no corpus term stay apart."""
    assert _terms("Where can I renew my residence permit?")["residence permit"] == ("居留许可",)
    assert "electric car" not in _terms("Is there a rebate for an electric car?")
