"""The stream contract: every answer path emits its text as TextDelta events before the one FinalAnswer, and the
OpenAI-compatible streamed reply carries the answer body — checked against the real extractive assistant, not
a fake that always sends deltas."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient

from rag.assistant import Assistant
from rag.runtime import make_assistant
from rag.types import FinalAnswer, TextDelta
from settings import Settings
from stubs.fake_index import BigramEmbeddings, FakeIndex, sample_clauses


def streamed_content(client: TestClient, question: str) -> tuple[list[str], dict]:
    """The content deltas of a streamed /v1/chat/completions reply, and its last (finish) chunk."""
    body = {"model": "policyqa", "stream": True, "messages": [{"role": "user", "content": question}]}
    chunks = []
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                chunks.append(json.loads(line[len("data: "):]))
    finish = [c for c in chunks if c["choices"][0]["finish_reason"] == "stop"]
    assert len(finish) == 1 and finish[0] is chunks[-1]
    before_finish = [c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1]]
    return [d for d in before_finish if d], chunks[-1]


def test_extractive_stream_sends_the_answer_body_as_deltas_then_the_final_answer(tmp_path):
    settings = Settings(index_dir=tmp_path / "i", cache_dir=tmp_path / "c", today=date(2026, 6, 1),
                        answer_cutoff=0.0)
    events = list(Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings()).stream("新建海外仓补助多少？"))
    assert isinstance(events[-1], FinalAnswer) and all(isinstance(e, TextDelta) for e in events[:-1])
    answer = events[-1].answer
    assert not answer.refused and len(events) > 1
    assert "".join(e.text for e in events[:-1]) == answer.body
    assert answer.text.startswith(answer.body)


def test_refusal_and_unusable_input_also_stream_their_text(tmp_path):
    settings = Settings(index_dir=tmp_path / "i", cache_dir=tmp_path / "c", today=date(2026, 6, 1))
    assistant = Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings())
    for question in ("？？？", "火星移民签证怎么办理"):
        events = list(assistant.stream(question))
        answer = events[-1].answer
        assert answer.refused and "".join(e.text for e in events[:-1]) == answer.body != ""


@pytest.mark.model
def test_openai_stream_from_the_real_extractive_assistant_carries_the_answer_text(tmp_path, corpus_index, embeddings):
    from app import create_app

    settings = corpus_index.settings.with_(llm_base_url=None, cache_dir=tmp_path / "cache", data_dir=tmp_path / "data")
    assistant = make_assistant(settings, embeddings, corpus_index)
    expected = assistant.ask("燃气管理办法第三十五条是怎么规定的？")
    with TestClient(create_app(settings, assistant, index=corpus_index, rebuild=lambda: None)) as client:
        deltas, finish = streamed_content(client, "燃气管理办法第三十五条是怎么规定的？")
    streamed = "".join(deltas)
    assert streamed == expected.body
    assert "《苏州市燃气管理办法》第三十五条" in streamed and "保护范围" in streamed
    assert [c["citation"] for c in finish["citations"]][:1] == ["《苏州市燃气管理办法》第三十五条"]
