"""The HTTP API against a fake assistant and a two-document fake index: every endpoint, admin auth, uploads,
re-indexing, validation, the OpenAI-compatible endpoint, and the served pages (no external URLs)."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from app import create_app
from ingest.model import Clause
from rag.types import Answer, Citation, FinalAnswer, Retrieved, TextDelta
from settings import Settings

GAS_DOC = {
    "doc_id": "gas",
    "doc_title": "苏州市燃气管理办法",
    "title_inferred": False,
    "source_files": ["gas.txt"],
    "doc_number": "苏州市人民政府令第150号",
    "issuer": "苏州市人民政府",
    "issue_date": "2021-01-01",
    "effective_date": "2021-03-01",
    "valid_until": None,
    "jurisdiction": "苏州市",
    "doc_kind": "regulation",
    "scheme": "article",
}
OLD_DOC = {
    **GAS_DOC,
    "doc_id": "old",
    "doc_title": "关于苏州市加快培育生产性服务业领军企业的若干意见",
    "source_files": ["bundle.txt"],
    "doc_number": "苏府规字〔2020〕5号",
    "effective_date": "2020-06-01",
    "valid_until": "2022-05-31",
    "doc_kind": "opinion",
    "scheme": "outline",
}
CAR_DOC = {
    **GAS_DOC,
    "doc_id": "car",
    "doc_title": "苏州市推动智能车联网和新能源汽车产业发展的若干措施",
    "source_files": ["bundle.txt"],
    "doc_number": None,
    "effective_date": "2025-07-01",
    "valid_until": "2027-12-31",
    "doc_kind": "measures",
    "scheme": "outline",
    "jurisdiction": "苏州市",
}
TODAY = date(2025, 9, 1)


def clause(doc: dict, label: str, text: str, line: int, units: list[str] | None = None, window: str = "1/1") -> Clause:
    n = int(window.split("/")[0])
    suffix = "" if n == 1 else f"#{n}"  # as ingest names windows
    return Clause(
        id=f"{doc['doc_id']}:{label}{suffix}",
        doc_id=doc["doc_id"],
        label=label,
        citation=f"《{doc['doc_title']}》{label}",
        section_path=["第五章 安全管理"] if doc["scheme"] == "article" else ["一、总则"],
        kind="article" if doc["scheme"] == "article" else "item",
        text=text,
        embed_text=text,
        line=line,
        responsible_units=units or [],
        window=window,
        doc=doc,
    )


CLAUSES = [
    clause(GAS_DOC, "第三十六条", "餐饮经营者使用瓶装燃气的，应当安装可燃气体报警装置。", 120, ["市住建局"]),
    clause(GAS_DOC, "第三十五条", "燃气用户应当遵守安全用气规则，不得擅自改装燃气设施。", 110, ["市住建局"]),
    clause(OLD_DOC, "一、（一）", "对认定的生产性服务业领军企业给予一次性奖励50万元。", 40, ["市发改委"]),
    clause(CAR_DOC, "一、（四）", "对通过车规级认证的汽车芯片企业，按认证费用的50%给予补贴，最高100万元。", 12, ["市工信局"]),
    clause(CAR_DOC, "一、（五）", "支持整车企业开展车路协同测试，最高补贴200万元。（第一部分）", 20, ["市工信局"], "1/2"),
    clause(CAR_DOC, "一、（五）", "测试里程达到要求的，另行奖励。（第二部分）", 20, ["市工信局"], "2/2"),
]


@dataclass
class FakeIndex:
    documents: list[dict]  # shaped like ingest.index manifest entries: counts plus nested metadata
    clauses: dict[str, Clause]


def manifest_entry(doc: dict) -> dict:
    chunks = sum(c.doc_id == doc["doc_id"] for c in CLAUSES)
    return {
        "doc_id": doc["doc_id"],
        "title": doc["doc_title"],
        "title_inferred": False,
        "source_files": doc["source_files"],
        "metadata": doc,
        "chunks": chunks,
        "chunks_by_kind": {"item": chunks},
    }


def fake_index(extra_docs: list[dict] = ()) -> FakeIndex:
    docs = [GAS_DOC, OLD_DOC, CAR_DOC, *extra_docs]
    return FakeIndex(documents=[manifest_entry(d) for d in docs], clauses={c.id: c for c in CLAUSES})


def citation_for(n: int, c: Clause) -> Citation:
    expired = bool(c.doc.get("valid_until")) and date.fromisoformat(c.doc["valid_until"]) < TODAY
    validity = f"已过期（有效期至{c.doc['valid_until']}）" if expired else "有效"
    return Citation(n, c.id, c.citation, c.label, c.text, c.doc, validity, expired, c.responsible_units)


@dataclass
class FakeAssistant:
    """Answers from the fake index by naive keyword overlap; records what it was asked."""

    index: FakeIndex
    name: str = "v1"
    calls: list[dict] = field(default_factory=list)
    retired: bool = False  # its index was deleted by a newer build
    failures: int = 0


    def _cite(self, question: str) -> list[Citation]:
        hits = [c for c in self.index.clauses.values() if any(w in question for w in ("燃气", "芯片", "领军")) and
                any(w in c.text and w in question for w in ("燃气", "芯片", "领军"))]
        return [citation_for(i, c) for i, c in enumerate(hits[:3], 1)]

    def ask(self, question, history=None, mode="chat", filters=None) -> Answer:
        if self.retired:
            self.failures += 1
            raise RuntimeError("Collection clauses_old does not exist")
        self.calls.append({"question": question, "history": history, "mode": mode, "filters": filters})
        cites = self._cite(question)
        if not cites:
            text = "未在现有政策文件中找到相关规定。"
        else:
            text = f"[{self.name}] " + "；".join(f"{c.text}[{c.n}]" for c in cites)
        answer = Answer(
            question=question.replace("13912345678", "139****5678"),
            text=text,
            citations=cites,
            refused=not cites,
            retrieved=[Retrieved(c.n, c.id, c.citation, c.doc["doc_title"], c.label, c.text, 0.9) for c in cites],
            validity_notes=[f"{c.citation}已过期" for c in cites if c.expired],
            responsible_units=sorted({u for c in cites for u in c.responsible_units}),
            mode=mode,
        )
        if mode == "hotline":
            answer.questions = [q for q in re.split(r"[？?]", answer.question) if q.strip()][:2]
            answer.reply_script = f"您好，根据{cites[0].citation}，{cites[0].text}[1]" if cites else "您好，暂未找到相关规定。"
        return answer

    def stream(self, question, history=None, mode="chat"):
        answer = self.ask(question, history=history, mode=mode)
        for i in range(0, len(answer.text), 5):
            yield TextDelta(answer.text[i : i + 5])
        yield FinalAnswer(answer)


class FakeRebuild:
    """Re-indexing stand-in: one document per data file (title = file stem), served by a new FakeAssistant."""

    def __init__(self, settings: Settings, gate: threading.Event | None = None) -> None:
        self.settings, self.gate, self.runs = settings, gate, 0
        self.started = threading.Event()
        self.on_built = lambda: None  # the moment the real build deletes the previous index

    def __call__(self):
        self.started.set()
        if self.gate is not None:
            self.gate.wait(10)
        self.on_built()
        files = sorted(self.settings.data_dir.iterdir())
        self.runs += 1
        docs = [{**CAR_DOC, "doc_id": f"file-{p.stem}", "doc_title": p.stem, "source_files": [p.name]} for p in files]
        index = fake_index(docs)
        return FakeAssistant(index, name=f"v{self.runs + 1}"), index, f"{len(files)} 个文件"


PASSWORD = "s3cret-pw"


def make_settings(tmp_path: Path, **changes) -> Settings:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    base = dict(
        data_dir=data,
        cache_dir=tmp_path / "cache",
        index_dir=tmp_path / "index",
        admin_password=PASSWORD,
        admin_login_attempts=100,  # the shared app sees many deliberate wrong logins; the throttle has its own tests
        max_upload_mb=1,
        today=TODAY,
    )
    return Settings.from_env({}, **{**base, **changes})


@dataclass
class Server:
    client: TestClient
    settings: Settings
    rebuild: FakeRebuild
    assistant: FakeAssistant


@contextmanager
def serve(tmp_path: Path, gate: threading.Event | None = None, **changes):
    settings = make_settings(tmp_path, **changes)
    index, rebuild = fake_index(), FakeRebuild(settings, gate)
    assistant = FakeAssistant(index)
    with TestClient(create_app(settings, assistant, index=index, rebuild=rebuild)) as client:
        yield Server(client, settings, rebuild, assistant)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One app for the tests that change nothing on disk or in the index."""
    with serve(tmp_path_factory.mktemp("api")) as s:
        yield s


@pytest.fixture
def client(server) -> TestClient:
    return server.client


@pytest.fixture
def fresh(tmp_path):
    """An app of its own, for tests that upload, re-index or delete."""
    with serve(tmp_path) as s:
        yield s


def auth(user: str = "admin", password: str = PASSWORD) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# --- asking ----------------------------------------------------------------------------------------------------


def test_ask_returns_answer_json_with_citations_and_document_metadata(client):
    r = client.post("/api/ask", json={"question": "汽车芯片过了车规认证能拿多少补贴？"})
    assert r.status_code == 200
    body = r.json()
    assert body["refused"] is False
    assert body["citations"][0]["citation"] == "《苏州市推动智能车联网和新能源汽车产业发展的若干措施》一、（四）"
    assert body["citations"][0]["doc"]["valid_until"] == "2027-12-31"
    assert body["responsible_units"] == ["市工信局"]


def test_ask_passes_history_and_filters_to_the_assistant(server):
    client = server.client
    history = [{"role": "user", "content": "燃气"}, {"role": "assistant", "content": "……"}]
    r = client.post("/api/ask", json={"question": "那第三十五条呢？", "history": history, "filters": {"jurisdiction": "苏州市"}})
    assert r.status_code == 200
    call = server.assistant.calls[-1]
    assert call["history"] == history and call["filters"] == {"jurisdiction": "苏州市"} and call["mode"] == "chat"


@pytest.mark.parametrize("question", ["", "   \n "])
def test_empty_question_is_rejected_with_chinese_message(client, question):
    r = client.post("/api/ask", json={"question": question})
    assert r.status_code == 422
    assert r.json()["detail"] == "问题不能为空"


def test_huge_question_is_rejected_with_its_length(client):
    r = client.post("/api/ask", json={"question": "补贴" * 1500})
    assert r.status_code == 422
    assert "问题过长" in r.json()["detail"] and "3000" in r.json()["detail"]


def test_missing_field_and_malformed_json_are_explained_in_chinese(client):
    assert client.post("/api/ask", json={}).json()["detail"] == "缺少字段：问题"
    r = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]


def test_hotline_returns_masked_question_reply_script_and_department(client):
    r = client.post("/api/hotline", json={"message": "我电话13912345678，饭店用燃气钢瓶不安全谁管？"})
    assert r.status_code == 200
    body = r.json()
    assert body["mode"] == "hotline"
    assert "13912345678" not in json.dumps(body, ensure_ascii=False)
    assert body["reply_script"].startswith("您好") and body["responsible_units"] == ["市住建局"]


def test_hotline_empty_message_is_rejected(client):
    r = client.post("/api/hotline", json={"message": " "})
    assert r.status_code == 422 and r.json()["detail"] == "诉求内容不能为空"


# --- library ---------------------------------------------------------------------------------------------------


def test_documents_carry_validity_judged_on_the_configured_date(client):
    docs = {d["doc_id"]: d for d in client.get("/api/documents").json()}
    assert docs["old"]["validity"] == "已过期" and docs["old"]["expired"] is True
    assert docs["car"]["validity"] == "有效"
    assert docs["gas"]["validity"] == "未注明有效期"


def test_documents_filter_by_status_kind_and_jurisdiction(client):
    assert [d["doc_id"] for d in client.get("/api/documents", params={"status": "已过期"}).json()] == ["old"]
    assert [d["doc_id"] for d in client.get("/api/documents", params={"kind": "regulation"}).json()] == ["gas"]
    assert client.get("/api/documents", params={"jurisdiction": "姑苏区"}).json() == []
    assert client.get("/api/documents", params={"status": "作废"}).status_code == 422


def test_document_lists_its_clauses_in_reading_order(client):
    body = client.get("/api/documents/gas").json()
    assert [c["label"] for c in body["clauses"]] == ["第三十五条", "第三十六条"]
    clauses = client.get("/api/documents/car").json()["clauses"]
    assert [c["label"] for c in clauses] == ["一、（四）", "一、（五）"]  # a long clause once, whole
    assert clauses[1]["text"].endswith("（第一部分）测试里程达到要求的，另行奖励。（第二部分）")  # one paragraph (line 20)
    assert client.get("/api/documents/nope").status_code == 404


def test_clause_endpoint_returns_full_text_with_document_validity(client):
    r = client.get("/api/clauses/old:一、（一）")
    assert r.status_code == 200
    body = r.json()
    assert body["text"].startswith("对认定的生产性服务业领军企业")
    assert body["doc"]["doc_number"] == "苏府规字〔2020〕5号" and body["doc"]["validity"] == "已过期"
    second = client.get("/api/clauses/" + quote("car:一、（五）#2")).json()  # a window opens as its whole clause
    assert second["id"] == "car:一、（五）" and second["window"] == "1/1"
    assert "（第一部分）" in second["text"] and "（第二部分）" in second["text"]
    assert client.get("/api/clauses/nope:第一条").status_code == 404


# --- feedback --------------------------------------------------------------------------------------------------


def test_feedback_is_stored_in_sqlite_in_wal_mode(server):
    r = server.client.post(
        "/api/feedback",
        json={"rating": "down", "question": "燃气？", "answer": "……", "citations": ["gas:第三十五条"], "comment": "没答到点上"},
    )
    assert r.status_code == 201
    db = server.settings.cache_dir / "feedback.sqlite3"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        row = conn.execute("SELECT rating, comment, citations FROM feedback WHERE id = ?", (r.json()["id"],)).fetchone()
    assert row == ("down", "没答到点上", '["gas:第三十五条"]')


def test_feedback_with_unknown_rating_is_rejected(client):
    r = client.post("/api/feedback", json={"rating": "meh", "question": "q", "answer": "a"})
    assert r.status_code == 422 and "评价取值无效" in r.json()["detail"]


# --- admin -----------------------------------------------------------------------------------------------------

ADMIN_CALLS = [
    ("post", "/api/admin/reindex", {}),
    ("delete", "/api/admin/documents/gas", {}),
    ("post", "/api/admin/upload", {"files": {"file": ("a.txt", "第一条 内容。".encode(), "text/plain")}}),
]


@pytest.mark.parametrize("method,url,kwargs", ADMIN_CALLS)
def test_admin_endpoints_refuse_anonymous_and_wrong_password(server, method, url, kwargs):
    for headers in ({}, auth(password="wrong"), auth(user="root")):
        r = getattr(server.client, method)(url, headers=headers, **kwargs)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Basic")
    assert list(server.settings.data_dir.iterdir()) == [] and server.rebuild.runs == 0


def test_admin_endpoints_are_locked_when_no_password_is_configured(tmp_path):
    with serve(tmp_path, admin_password=None) as locked:
        r = locked.client.post("/api/admin/reindex", headers=auth(password=""))
        assert r.status_code == 403 and "POLICYQA_ADMIN_PASSWORD" in r.json()["detail"]
        assert locked.rebuild.runs == 0


def upload(client, name: str, data: bytes):
    return client.post("/api/admin/upload", headers=auth(), files={"file": (name, data, "text/plain")})


def test_upload_saves_a_policy_file_under_a_sanitised_name(fresh):
    text = "苏州市测试办法\n第一条 为了测试，制定本办法。\n".encode()
    r = upload(fresh.client, "测试 办法(2025).txt", text)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "测试_办法_2025.txt"
    assert (fresh.settings.data_dir / "测试_办法_2025.txt").read_bytes() == text


def test_upload_reports_what_the_ingest_will_find_in_the_file(fresh):
    text = ("苏州市测试管理办法\n\n第一条 为了规范测试工作，根据有关法律法规，结合本市实际，制定本办法。\n\n"
            "第二条 本市行政区域内的测试活动，适用本办法。\n\n第三条 市测试局负责本办法的组织实施。\n\n"
            "第四条 本办法自2025年1月1日起施行。\n").encode()
    found = upload(fresh.client, "测试管理办法.txt", text).json()
    assert found["documents"] == ["苏州市测试管理办法"] and found["clauses"] == 4 and found["pages"] is None


@pytest.mark.parametrize(
    "name,data,status,reason",
    [
        ("../../etc/passwd.txt", "第一条 内容。".encode(), 400, "文件名不安全"),
        ("..\\..\\evil.txt", "第一条 内容。".encode(), 400, "文件名不安全"),
        (".hidden.txt", "第一条 内容。".encode(), 400, "隐藏文件"),
        ("script.sh", b"echo hi", 400, "不支持的文件类型"),
        ("empty.txt", b"", 400, "文件为空"),
        ("blob.txt", bytes(range(256)) * 8, 400, "二进制文件"),
        ("fake.pdf", b"%PDF-1.4 this is not really a pdf", 400, "不是有效的 PDF"),
        ("big.txt", "第一条 补贴。\n".encode() * 70_000, 413, "大小上限"),
    ],
)
def test_unsafe_or_unreadable_uploads_are_rejected_and_nothing_is_kept(server, name, data, status, reason):
    r = upload(server.client, name, data)
    assert r.status_code == status
    assert reason in r.json()["detail"]
    assert list(server.settings.data_dir.iterdir()) == []
    assert not (server.settings.data_dir.parent / "etc").exists()


def test_reindex_serves_the_new_index_and_a_fresh_assistant(fresh):
    client = fresh.client
    assert upload(client, "新政策.txt", "第一条 新规定。".encode()).status_code == 201
    r = client.post("/api/admin/reindex", headers=auth())
    assert r.status_code == 200 and r.json()["summary"] == "1 个文件"
    assert "新政策" in [d["doc_title"] for d in client.get("/api/documents").json()]
    assert client.post("/api/ask", json={"question": "燃气怎么管？"}).json()["text"].startswith("[v2]")


def test_questions_are_answered_by_the_old_index_while_a_reindex_runs(tmp_path):
    gate = threading.Event()
    with serve(tmp_path, gate) as busy:
        c, rebuild = busy.client, busy.rebuild
        worker = threading.Thread(target=lambda: c.post("/api/admin/reindex", headers=auth()))
        worker.start()
        assert rebuild.started.wait(5)
        assert c.post("/api/ask", json={"question": "燃气怎么管？"}).json()["text"].startswith("[v1]")
        assert c.post("/api/admin/reindex", headers=auth()).status_code == 409  # one re-index at a time
        gate.set()
        worker.join(10)
        assert c.post("/api/ask", json={"question": "燃气怎么管？"}).json()["text"].startswith("[v2]")


def test_a_question_hitting_the_retired_index_is_answered_by_the_new_one(tmp_path):
    """A finished build deletes the previous one just before the new assistant is swapped in; a question
    that fails on the old index in that moment waits for the swap instead of failing."""
    swap = threading.Event()
    with serve(tmp_path) as s:

        def retire_then_hold():
            s.assistant.retired = True
            swap.wait(10)

        s.rebuild.on_built = retire_then_hold
        reindex = threading.Thread(target=lambda: s.client.post("/api/admin/reindex", headers=auth()))
        reindex.start()
        answers = []
        asking = threading.Thread(target=lambda: answers.append(s.client.post("/api/ask", json={"question": "燃气？"})))
        until = time.monotonic() + 10
        while not s.assistant.retired and time.monotonic() < until:
            time.sleep(0.01)
        asking.start()
        while s.assistant.failures == 0 and time.monotonic() < until:
            time.sleep(0.01)
        swap.set()
        reindex.join(10), asking.join(10)
    assert s.assistant.failures == 1
    assert answers[0].status_code == 200 and answers[0].json()["text"].startswith("[v2]")


def test_removing_a_document_deletes_its_source_file_and_reindexes(fresh):
    client, settings, rebuild = fresh.client, fresh.settings, fresh.rebuild
    (settings.data_dir / "gas.txt").write_text("燃气管理办法", encoding="utf-8")
    (settings.data_dir / "other.txt").write_text("其他", encoding="utf-8")
    r = client.delete("/api/admin/documents/gas", headers=auth())
    assert r.status_code == 200, r.text
    assert r.json()["removed_files"] == ["gas.txt"] and rebuild.runs == 1
    assert sorted(p.name for p in settings.data_dir.iterdir()) == ["other.txt"]


def test_removing_a_document_that_shares_its_file_needs_cascade(fresh):
    client, settings, rebuild = fresh.client, fresh.settings, fresh.rebuild
    (settings.data_dir / "bundle.txt").write_text("两份文件", encoding="utf-8")
    r = client.delete("/api/admin/documents/old", headers=auth())
    assert r.status_code == 409 and "还包含另外 1 份文件" in r.json()["detail"]
    assert (settings.data_dir / "bundle.txt").exists() and rebuild.runs == 0
    r = client.delete("/api/admin/documents/old", params={"cascade": "true"}, headers=auth())
    assert r.status_code == 200
    assert sorted(r.json()["removed_documents"]) == sorted([OLD_DOC["doc_title"], CAR_DOC["doc_title"]])
    assert not (settings.data_dir / "bundle.txt").exists()


def test_removing_an_unknown_document_is_404(client):
    assert client.delete("/api/admin/documents/nope", headers=auth()).status_code == 404


# --- OpenAI-compatible -----------------------------------------------------------------------------------------


def test_models_lists_chat_and_hotline_models(client):
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["policyqa", "policyqa-hotline"]


def test_chat_completion_appends_references_and_returns_citations(client):
    r = client.post(
        "/v1/chat/completions",
        json={"model": "policyqa", "messages": [{"role": "system", "content": "你是助手"}, {"role": "user", "content": "燃气用户要遵守什么？"}]},
    )
    assert r.status_code == 200
    body = r.json()
    content = body["choices"][0]["message"]["content"]
    assert "参考条款：\n[1] 《苏州市燃气管理办法》" in content
    assert body["citations"][0]["id"].startswith("gas:") and body["object"] == "chat.completion"


def test_a_tentative_answer_s_warning_reaches_an_openai_client_which_shows_no_notices():
    from rag.types import Answer
    from web.openai_api import _tail

    weak = "以下条款与所问内容的对应不够明确，可能并不直接回答该问题，请对照条款原文核实。"
    answer = Answer(question="问", text="答", citations=[], refused=False, retrieved=[], notices=[weak],
                    reasons=[weak], tentative=True)
    assert _tail(answer) == f"\n\n⚠️ {weak}"
    answer.tentative = False
    assert _tail(answer) == ""


def test_chat_completion_uses_earlier_turns_as_history(server):
    client = server.client
    messages = [
        {"role": "user", "content": "燃气"},
        {"role": "assistant", "content": "请问具体哪方面？"},
        {"role": "user", "content": [{"type": "text", "text": "燃气用户义务"}]},
    ]
    assert client.post("/v1/chat/completions", json={"messages": messages}).status_code == 200
    call = server.assistant.calls[-1]
    assert call["question"] == "燃气用户义务" and call["history"] == messages[:2]


def test_streaming_chat_completion_sends_deltas_then_citations_then_done(client):
    with client.stream(
        "POST", "/v1/chat/completions", json={"messages": [{"role": "user", "content": "燃气用户要遵守什么？"}], "stream": True}
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line[len("data: "):] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.startswith("[v1] ") and "燃气用户应当遵守安全用气规则" in text and "\n\n参考条款：\n[1]" in text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]
    assert len(chunks) > 3  # streamed in pieces, not one blob


def test_hotline_model_returns_reply_script(client):
    r = client.post(
        "/v1/chat/completions", json={"model": "policyqa-hotline", "messages": [{"role": "user", "content": "饭店燃气钢瓶谁管？"}]}
    )
    assert "答复口径：\n您好，根据《苏州市燃气管理办法》" in r.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    "payload,detail",
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "  "}]}, "最后一条消息必须是用户的问题"),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, "最后一条消息必须是用户的问题"),
        ({"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}, "未知模型"),
    ],
)
def test_bad_chat_completion_requests_are_rejected(client, payload, detail):
    r = client.post("/v1/chat/completions", json=payload)
    assert r.status_code == 422 and detail in r.json()["detail"]


# --- schema and pages ------------------------------------------------------------------------------------------


def test_openapi_schema_lists_every_endpoint_and_docs_are_not_served(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/api/ask", "/api/hotline", "/api/documents", "/api/clauses/{clause_id}", "/api/feedback",
                 "/api/admin/upload", "/api/admin/reindex", "/api/admin/documents/{doc_id}",
                 "/v1/chat/completions", "/v1/models"]:
        assert path in paths
    assert client.get("/docs").status_code == 404 or "swagger" not in client.get("/docs").text.lower()


EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//(?!127\.0\.0\.1|localhost)|@import\s+url\(["']?https?://|fonts\.googleapis|fonts\.gstatic|cdn\.jsdelivr|unpkg\.com""")


def test_served_page_and_theme_css_reference_no_external_host(client):
    page = client.get("/")
    assert page.status_code == 200 and "苏州政策问答助手" in page.text
    css = client.get("/theme.css")
    assert css.status_code == 200
    for text in (page.text, css.text):
        assert not EXTERNAL_URL.search(text), EXTERNAL_URL.search(text)
    assert "system-ui" in css.text
