"""Faults: questions keep being answered while an ingest runs; an LLM endpoint that is down, or that starts
streaming and then trickles or stalls, costs at most about one timeout before the extractive answer.

(A SIGKILLed ingest is covered by tests/test_index.py; an endpoint that never answers, answers HTTP 500 or
answers garbage by tests/test_llm.py — not repeated here.)
"""

from __future__ import annotations

from rag.runtime import make_assistant

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.index import build_index, open_index
from rag.assistant import Assistant
from rag.llm import NOTICE_TIMEOUT, NOTICE_UNAVAILABLE, build_chat_model
from rag.types import Answer
from settings import Settings
from stubs.fake_index import BigramEmbeddings, FakeIndex, sample_clauses
from stubs.policies import GRANT_MEASURES, WASTE_REGULATION

REPO = Path(__file__).resolve().parents[1]
# One real corpus file (a district's 实施方案, ~50 clauses): added during the re-ingest, so the build embeds
# for several seconds while questions are asked.
ADDED_FILE = REPO / "data" / "000_19d4c5fdc6144d74.txt"

QUESTIONS = [
    ("本科毕业生来苏州租房每月补贴多少？", "《苏州市促进青年人才安居若干措施》一、"),
    ("垃圾不分类投放会被罚款多少？", "《苏州市生活垃圾分类管理办法》第三条"),
    ("青年人才首次购房补贴最高多少？", "《苏州市促进青年人才安居若干措施》二、"),
]


@pytest.fixture
def small_corpus(tmp_path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    (data / "measures.txt").write_text(GRANT_MEASURES, encoding="utf-8")
    (data / "regulation.txt").write_text(WASTE_REGULATION, encoding="utf-8")
    # No shipped vectors: the added corpus file must really be embedded while questions are asked.
    return Settings.from_env().with_(data_dir=data, index_dir=tmp_path / "index", llm_base_url=None,
                                     vector_cache=tmp_path / "no-vector-cache.npz")


@pytest.mark.model
def test_questions_keep_being_answered_while_a_reingest_runs(small_corpus, embeddings):
    settings = small_corpus
    build_index([settings.data_dir], settings, embeddings, progress=False)
    assistant = make_assistant(settings, embeddings, open_index(settings))

    shutil.copy(ADDED_FILE, settings.data_dir / ADDED_FILE.name)
    with open(settings.data_dir / "regulation.txt", "a", encoding="utf-8") as handle:
        handle.write("\n第五条 本办法由市城市管理局负责解释。\n")
    outcome: dict = {}

    def reingest() -> None:
        try:
            outcome["report"] = build_index([settings.data_dir], settings, embeddings, progress=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            outcome["error"] = exc

    ingest = threading.Thread(target=reingest)
    ingest.start()
    during, deadline = [], time.monotonic() + 300
    while ingest.is_alive() and time.monotonic() < deadline and len(during) < 200:
        question, expected = QUESTIONS[len(during) % len(QUESTIONS)]
        start = time.perf_counter()
        answer = assistant.ask(question)
        during.append((question, expected, answer, time.perf_counter() - start))
    ingest.join(300)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["report"].embedded > 40  # the added file was really embedded while we asked
    assert len(during) >= 2, "the re-ingest finished before questions could overlap it"
    for question, expected, answer, seconds in during:
        assert not answer.refused, question
        assert answer.citations[0].citation == expected, question
        assert seconds < 30, f"{question}: {seconds:.1f} s while ingesting"

    # The assistant opened before the swap still answers; a fresh one sees the new file and the new article.
    assert assistant.ask(QUESTIONS[0][0]).citations[0].citation == QUESTIONS[0][1]
    fresh = make_assistant(settings, embeddings, open_index(settings))
    assert fresh.index.build_id == outcome["report"].build_id != assistant.index.build_id
    answer = fresh.ask("生活垃圾分类管理办法由哪个部门负责解释？")
    assert any(c.label == "第五条" for c in answer.citations)


# --- the LLM endpoint -----------------------------------------------------------------------------------------

LLM_QUESTION = "领军企业首次入选有什么奖励？"  # answered by the stub index's sample clauses
TIMEOUT = 1.5


@contextmanager
def slow_stream(gap: float, deltas: int, stall_after: int | None = None) -> Iterator[str]:
    """An OpenAI-wire endpoint that streams `deltas` pieces `gap` seconds apart; with `stall_after`, it goes
    silent (connection open) after that many. Yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            try:
                for n in range(deltas):
                    if stall_after is not None and n == stall_after:
                        time.sleep(3 * TIMEOUT)
                        return
                    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "slow",
                             "choices": [{"index": 0, "delta": {"content": "奖励"}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(gap)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up: expected
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def stub_llm_assistant(tmp_path, base_url: str) -> Assistant:
    settings = Settings(index_dir=tmp_path / "i", cache_dir=tmp_path / "c", today=date(2026, 6, 1),
                        answer_cutoff=0.0, llm_timeout=TIMEOUT, llm_base_url=base_url, llm_model="stub")
    return Assistant(settings, FakeIndex(sample_clauses()), BigramEmbeddings(), chat_model=build_chat_model(settings))


def timed_stream(assistant: Assistant) -> tuple[list[str], Answer, float]:
    start = time.monotonic()
    events = list(assistant.stream(LLM_QUESTION))
    return [e.text for e in events[:-1]], events[-1].answer, time.monotonic() - start


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def test_llm_endpoint_that_is_down_falls_back_at_once(tmp_path):
    deltas, answer, seconds = timed_stream(stub_llm_assistant(tmp_path, f"http://127.0.0.1:{unused_port()}/v1"))
    assert seconds < TIMEOUT  # a refused connection must not cost the timeout
    assert deltas == [] and answer.answerer == "extractive" and NOTICE_UNAVAILABLE in answer.notices
    assert not answer.refused and answer.citations


def test_llm_stream_that_trickles_past_the_timeout_falls_back(tmp_path):
    with slow_stream(gap=0.4, deltas=30) as url:  # 12 s of deltas, each well inside the read timeout
        deltas, answer, seconds = timed_stream(stub_llm_assistant(tmp_path, url))
    assert seconds < 2 * TIMEOUT + 1
    assert deltas and answer.answerer == "extractive" and NOTICE_TIMEOUT in answer.notices
    assert answer.citations and not answer.text.startswith("奖励奖励")


def test_llm_stream_that_stalls_midway_falls_back(tmp_path):
    with slow_stream(gap=0.05, deltas=30, stall_after=3) as url:
        deltas, answer, seconds = timed_stream(stub_llm_assistant(tmp_path, url))
    assert seconds < 2 * TIMEOUT + 1
    assert len(deltas) == 3 and answer.answerer == "extractive" and NOTICE_TIMEOUT in answer.notices
    assert answer.citations
