"""BM25 tokens: policy terms stay whole, and clauses and questions normalise the same way."""

from __future__ import annotations

import threading

import pytest

from ingest import tokenize as tokenize_module
from ingest.tokenize import normalise, tokenize
from settings import ROOT

DATA = ROOT / "data"


@pytest.fixture(autouse=True)
def _shared_cache(jieba_cache_dir):
    tokenize_module.configure(jieba_cache_dir)


@pytest.mark.parametrize(
    ("sentence", "term"),
    [
        ("对新认定的专精特新企业给予奖励", "专精特新"),
        ("加快车路云一体化建设", "车路云一体化"),
        ("企业可使用科技创新券抵扣检测费用", "科技创新券"),
        ("向企业发放算力券", "算力券"),
        ("推进制造业智改数转工作", "智改数转"),
        ("深化放管服改革", "放管服"),
        ("支持银发经济发展", "银发经济"),
    ],
)
def test_user_dictionary_terms_stay_whole(sentence, term):
    assert term in tokenize(sentence)


def test_spaces_and_full_width_digits_inside_amounts_do_not_change_tokens():
    expected = tokenize("最高奖励100万元")
    assert tokenize("最高奖励100 万元") == expected
    assert tokenize("最高奖励１００万元") == expected
    assert tokenize("最高奖励 1 0 0 万元") == expected
    assert "100" in expected and "万元" in expected


def test_punctuation_whitespace_and_stopwords_are_dropped_and_ascii_lowercased():
    tokens = tokenize("请问：科技创新券的申请条件是什么？ AI 应用（试点）")
    assert "科技创新券" in tokens and "申请" in tokens and "ai" in tokens
    assert not {"的", "是", "什么", "请问", "：", "？", "（", " ", "AI"} & set(tokens)


def test_one_character_bracket_insertion_matches_the_plain_word():
    assert "首台套" in tokenize("首台（套）重大装备")
    assert set(tokenize("首台套重大装备")) == set(tokenize("首台（套）重大装备"))


def test_normalise_keeps_spaces_only_between_ascii_words():
    assert normalise("ＡＩ　Agent ５ 家 专精 特新 1 000") == "ai agent 5家专精特新1000"


def test_first_use_from_many_threads_initialises_once_into_the_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(tokenize_module, "_tokenizer", None)
    monkeypatch.setattr(tokenize_module, "_cache_dir", None)
    tokenize_module.configure(tmp_path)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(tokenize("推进车路云一体化"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8 and all(r == results[0] for r in results)
    assert "车路云一体化" in results[0]
    assert list(tmp_path.glob("jieba*.cache"))


def test_a_term_the_corpus_lacks_is_kept_whole_in_a_question_and_no_clause_contains_it():
    from domain.terms import load_absent_chinese

    absent = load_absent_chinese()
    assert "公租房" in absent
    assert "公租房" in tokenize("公租房怎么申请？")  # not just 公 + 租房
    corpus = "".join(path.read_text(encoding="utf-8") for path in DATA.glob("*.txt"))
    assert not [word for word in absent if word in corpus]  # so no clause's tokens change


def test_an_everyday_word_of_the_synonym_map_is_one_token_of_a_question_so_its_synonyms_are_reached():
    from domain.terms import load_synonyms

    assert "企业开办" in load_synonyms()["开公司"]
    assert "开公司" in tokenize("在相城区开公司要几天？")  # jieba alone: 开 / 公司
    assert "多少钱" in tokenize("每月补多少钱？")  # a word jieba knows (钱) is not raised over longer ones
