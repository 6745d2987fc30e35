"""The LLM answerer: streaming (LangChain's fake chat model and a local OpenAI-wire stub with SSE), [n]
validation, extractive fallback on timeout / HTTP 500 / garbage, and PII masking before anything reaches the
endpoint or the logs."""

from __future__ import annotations

import logging
import time
from datetime import date

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from rag.assistant import Assistant
from rag.llm import NOTICE_TIMEOUT, NOTICE_UNAVAILABLE, NOTICE_UNCITED, build_chat_model, load_prompt
from rag.types import Answer, FinalAnswer, TextDelta
from settings import Settings
from stubs.fake_index import BigramEmbeddings, FakeIndex, sample_clauses
from stubs.openai_stub import OpenAIStub

QUESTION = "领军企业首次入选有什么奖励？"


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(index_dir=tmp_path / "i", cache_dir=tmp_path / "c", today=date(2026, 6, 1),
                    answer_cutoff=0.0, llm_timeout=2.0)


def fake_llm_assistant(settings: Settings, reply: str) -> Assistant:
    chat = GenericFakeChatModel(messages=iter([reply]))
    return Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings(), chat_model=chat)


def stub_assistant(settings: Settings, stub: OpenAIStub) -> Assistant:
    configured = settings.with_(llm_base_url=stub.base_url, llm_model="stub-model")
    return Assistant(configured, FakeIndex(sample_clauses()), BigramEmbeddings(), chat_model=build_chat_model(configured))


def split_stream(events) -> tuple[list[str], Answer]:
    events = list(events)
    assert isinstance(events[-1], FinalAnswer) and all(isinstance(e, TextDelta) for e in events[:-1])
    return [e.text for e in events[:-1]], events[-1].answer


def test_prompts_are_files_demanding_citations_and_refusal():
    system = load_prompt("answer_system.md")
    assert "[n]" in system and "未在现有政策文件中找到" in system
    assert "{context}" in load_prompt("answer_user.md") and "{history}" in load_prompt("followup_rewrite.md")


def test_fake_chat_model_streams_deltas_then_the_validated_answer(settings):
    reply = "入选企业 可获一次性奖励100万元[1]。"  # the fake model streams word by word
    deltas, answer = split_stream(fake_llm_assistant(settings, reply).stream(QUESTION))
    assert len(deltas) > 1 and "".join(deltas) == reply
    assert answer.answerer == "llm" and answer.text.startswith(reply)
    assert [c.n for c in answer.citations] == [1] and not answer.unsupported_sentences


def test_llm_marker_beyond_the_retrieved_clauses_is_dropped_and_uncited_sentence_flagged(settings):
    reply = "入选企业可获一次性奖励100万元[1]。另外还能减免企业所得税[7]。"
    answer = fake_llm_assistant(settings, reply).ask(QUESTION)  # 5 clauses retrieved: [7] names none
    assert "[7]" not in answer.text and "[1]" in answer.text
    assert answer.unsupported_sentences == ["另外还能减免企业所得税。"]
    assert [c.n for c in answer.citations] == [1]


def test_llm_answer_without_any_valid_marker_falls_back_to_extractive(settings):
    answer = fake_llm_assistant(settings, "可以获得很多奖励。").ask(QUESTION)
    assert answer.answerer == "extractive" and NOTICE_UNCITED in answer.notices
    assert "一次性奖励100万元[1]" in answer.text


def test_llm_refusal_is_a_refused_answer(settings):
    answer = fake_llm_assistant(settings, "未在现有政策文件中找到相关规定。").ask(QUESTION)
    assert answer.refused and answer.answerer == "llm" and not answer.citations


def test_stub_server_streams_the_answer_over_sse(settings):
    with OpenAIStub("answer", reply="对入选的领军企业给予一次性奖励100万元[1]。") as stub:
        deltas, answer = split_stream(stub_assistant(settings, stub).stream(QUESTION))
    assert len(deltas) > 1 and answer.answerer == "llm"
    assert "100万元[1]" in answer.text and stub.requests[0]["stream"] is True
    assert stub.requests[0]["model"] == "stub-model"


def test_endpoint_that_never_answers_falls_back_within_the_timeout(settings):
    with OpenAIStub("hang", hang_seconds=10) as stub:
        started = time.monotonic()
        answer = stub_assistant(settings.with_(llm_timeout=1.0), stub).ask(QUESTION)
        elapsed = time.monotonic() - started
    assert elapsed < 6
    assert answer.answerer == "extractive" and NOTICE_TIMEOUT in answer.notices
    assert "一次性奖励100万元[1]" in answer.text


@pytest.mark.parametrize("behaviour", ["error", "garbage"])
def test_failing_endpoint_falls_back_to_extractive_with_a_notice(settings, behaviour):
    with OpenAIStub(behaviour) as stub:
        answer = stub_assistant(settings, stub).ask(QUESTION)
    assert stub.requests, "the endpoint was called"
    assert answer.answerer == "extractive" and NOTICE_UNAVAILABLE in answer.notices
    assert not answer.refused and answer.citations


def test_only_masked_text_reaches_the_llm_and_the_logs(settings, caplog):
    message = "我叫张三，手机13912345678，身份证320502199001011234。领军企业首次入选有什么奖励？"
    with caplog.at_level(logging.DEBUG), OpenAIStub("answer", reply="您好！可获一次性奖励100万元[1]。") as stub:
        # bigram vectors of a whole message sit far from any clause: lower the bar so the LLM is asked
        answer = stub_assistant(settings.with_(answer_cutoff=0.0), stub).ask(message, mode="hotline")
    sent = str(stub.requests)
    for secret in ("13912345678", "320502199001011234", "张三"):
        assert secret not in sent and secret not in caplog.text and secret not in answer.question
    assert "139****5678" in sent and "139****5678" in answer.question
    assert answer.reply_script.startswith("您好！") and answer.answerer == "llm"


def test_llm_reply_script_is_checked_with_its_markers_and_read_out_without_them(settings):
    with OpenAIStub("answer", reply="您好！领军企业首次入选可获一次性奖励100万元[1]。") as stub:
        answer = stub_assistant(settings.with_(answer_cutoff=0.0), stub).ask("领军企业首次入选有什么奖励？", mode="hotline")
    assert answer.answerer == "llm" and "[1]" in answer.body
    assert answer.reply_script == "您好！领军企业首次入选可获一次性奖励100万元。"


def test_llm_rewrite_of_a_follow_up_goes_through_the_rewrite_prompt(settings):
    with OpenAIStub("answer", reply="领军企业申报条件是什么？") as stub:
        answer = stub_assistant(settings, stub).ask(
            "那条件呢？", history=[{"role": "user", "content": "领军企业首次入选有什么奖励？"}]
        )
    assert answer.standalone_question == "领军企业申报条件是什么？"
    assert "改写" in str(stub.requests[0]["messages"])


def test_failed_llm_rewrite_falls_back_to_carrying_the_topic(settings):
    with OpenAIStub("error") as stub:
        answer = stub_assistant(settings, stub).ask(
            "那条件呢？", history=[{"role": "user", "content": "领军企业首次入选有什么奖励？"}]
        )
    assert "领军企业" in answer.standalone_question
    assert answer.answerer == "extractive" and answer.notices


def test_llm_sentence_stating_a_figure_its_clause_lacks_is_dropped_and_said(settings):
    reply = "领军企业首次入选可获一次性奖励100万元[1]。另外还可获得300万元配套资助[1]。"
    with OpenAIStub("answer", reply=reply) as stub:
        answer = stub_assistant(settings, stub).ask("领军企业首次入选有什么奖励？")
    assert answer.answerer == "llm" and "100万元[1]" in answer.body and "300万元" not in answer.body
    assert answer.unsupported_sentences == ["另外还可获得300万元配套资助[1]。"]
    assert any("与所引条款不符" in n for n in answer.notices)


def test_llm_answer_with_no_supported_sentence_falls_back_to_the_extractive_one(settings):
    with OpenAIStub("answer", reply="领军企业首次入选可获一次性奖励999万元[1]。") as stub:
        answer = stub_assistant(settings, stub).ask("领军企业首次入选有什么奖励？")
    assert answer.answerer == "extractive" and "999万元" not in answer.text and "100万元" in answer.text
    assert any("已改用摘录式回答" in n for n in answer.notices)
