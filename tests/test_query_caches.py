"""Caches on the query path keep answers identical and do the remembered work once."""

from __future__ import annotations

from datetime import date

import pytest

import rag.extractive as extractive
from ingest.tokenize import tokenize
from rag.assistant import Assistant
from settings import Settings
from stubs.fake_index import BigramEmbeddings, FakeIndex, sample_clauses

TODAY = date(2026, 6, 1)


@pytest.fixture()
def assistant(tmp_path) -> Assistant:
    settings = Settings(index_dir=tmp_path / "i", cache_dir=tmp_path / "c", today=TODAY)
    return Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings())


def test_token_set_is_the_distinct_tokens_and_cuts_a_text_once(monkeypatch):
    extractive.token_set.cache_clear()
    cut: list[str] = []
    monkeypatch.setattr(extractive, "tokenize", lambda text: cut.append(text) or tokenize(text))
    text = "对首次入选的领军企业给予一次性奖励100万元，领军企业再次入选的不再奖励。"
    assert extractive.token_set(text) == frozenset(tokenize(text))
    assert extractive.token_set(text) == frozenset(tokenize(text))
    assert cut == [text]


def test_an_answer_from_remembered_token_sets_is_the_answer_computed_afresh(assistant):
    question = "领军企业首次入选有什么奖励？"
    extractive.token_set.cache_clear()
    fresh = assistant.ask(question)
    assert extractive.token_set.cache_info().currsize > 0
    remembered = assistant.ask(question)
    assert extractive.token_set.cache_info().hits > 0
    assert (remembered.text, remembered.refused) == (fresh.text, fresh.refused)


def test_compacted_clause_text_is_normalised_once_and_equals_the_fresh_form(monkeypatch):
    import re

    import rag.answerability as answerability
    from ingest.tokenize import normalise

    answerability._compact.cache_clear()
    seen: list[str] = []
    monkeypatch.setattr(answerability, "normalise", lambda text: seen.append(text) or normalise(text))
    text = "第五条　对首台（套）装备给予 100 万元奖励。\n（责任单位：市工信局）"
    assert answerability._compact(text) == re.sub(r"\s+", "", normalise(text))
    assert answerability._compact(text) == re.sub(r"\s+", "", normalise(text))
    assert seen == [text]


HOTLINE = "市民来电：我家楼下燃气管道漏气，请问燃气管道保护范围有多大？出租汽车驾驶员拒载怎么处罚？"
ENGLISH = "How wide is the protection zone of gas pipelines?"


@pytest.mark.model
@pytest.mark.parametrize("mode, text", [("hotline", HOTLINE), ("chat", ENGLISH)])
def test_an_inputs_dense_queries_are_embedded_once_each_up_front_with_the_same_answer(tmp_path, monkeypatch, mode,
                                                                                      text):
    """A hotline message's queries (the message and each question), or an English question and its Chinese
    pseudo-query, are embedded up front, side by side, each once; the answer is the one the retrievers get when
    each embeds its own query in turn (an Embeddings without `remembering`)."""
    from langchain_core.embeddings import Embeddings

    from ingest.embeddings import PolicyEmbeddings
    from rag.translate import to_chinese

    model = PolicyEmbeddings(cache_dir=Settings.from_env().cache_dir, query_cache_size=0)

    class OneAtATime(Embeddings):
        def embed_documents(self, texts):
            return model.embed_documents(texts)

        def embed_query(self, text):
            return model.embed_query(text)

    settings = Settings(index_dir=tmp_path / "i", cache_dir=tmp_path / "c", today=TODAY)
    expected = Assistant(settings, FakeIndex(sample_clauses()), OneAtATime()).ask(text, mode=mode)

    encoder, _ = model._loaded
    passes: list[str] = []
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts, prompt, question=False:
                        passes.extend(texts) or real(texts, prompt, question))
    answer = Assistant(settings, FakeIndex(sample_clauses()), model).ask(text, mode=mode)

    queries = {text, *answer.questions} if mode == "hotline" else {text, to_chinese(text)}
    assert len(queries) >= 2
    assert sorted(passes) == sorted(queries)
    assert (answer.text, answer.reply_script, [h.id for h in answer.retrieved]) == \
        (expected.text, expected.reply_script, [h.id for h in expected.retrieved])
