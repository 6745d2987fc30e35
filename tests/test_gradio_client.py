"""The Gradio app's public API as gradio_client sees it, against a live server with the fake assistant/index:
the four public endpoints work, and the admin actions are not reachable at all."""

from __future__ import annotations

import json

import pytest
import httpx
from gradio_client import Client

from app import create_app
from test_api import PASSWORD, FakeAssistant, FakeRebuild, fake_index, make_settings
from web.server import serving

PUBLIC = {"/ask", "/hotline", "/document", "/search_clauses"}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("gradio"))
    index, rebuild = fake_index(), FakeRebuild(settings)
    app = create_app(settings, FakeAssistant(index), index=index, rebuild=rebuild)
    with serving(app) as url:
        yield url, settings, rebuild


@pytest.fixture(scope="module")
def client(live):
    return Client(live[0], verbose=False)


def test_only_the_public_endpoints_are_exposed(client):
    api = client.view_api(return_format="dict", print_info=False)
    assert set(api["named_endpoints"]) == PUBLIC
    assert api["unnamed_endpoints"] == {}


def test_ask_streams_the_answer_then_shows_its_sources_once_as_chips_that_open_the_panel(client):
    job = client.submit("汽车芯片过了车规认证能拿多少补贴？", api_name="/ask")
    updates = list(job)
    chat, citations, cleared = job.result()
    assert len(updates) > 2  # a placeholder, partial text, then the final answer
    assert [m["role"] for m in chat] == ["user", "assistant"]
    final = chat[-1]["content"][0]["text"]
    assert "最高100万元" in final
    assert final.count("《苏州市推动智能车联网和新能源汽车产业发展的若干措施》一、（四）") == 1  # the chip, no list
    assert 'class="pq-chip" href="#pq-src-0"' in final
    assert 'id="pq-src-0"' in citations and "2025-07-01 至 2027-12-31" in citations
    assert cleared == ""


def test_ask_without_a_question_is_an_error(client):
    with pytest.raises(Exception, match="请先输入问题"):
        client.predict("  ", api_name="/ask")


def test_hotline_returns_reply_script_masked_message_and_department(client):
    script, masked, details = client.predict("我电话13912345678，饭店用燃气钢瓶谁管？", api_name="/hotline")
    assert script.startswith("您好，根据《苏州市燃气管理办法》")
    assert "13912345678" not in masked and "139****5678" in masked
    assert '<div class="pq-dept">市住建局</div>' in details and "13912345678" not in details


def test_document_shows_clauses_in_order_with_expired_badge(client):
    html = client.predict("old", api_name="/document")
    assert "苏府规字〔2020〕5号" in html and 'pq-badge pq-expired' in html
    car = client.predict("car", api_name="/document")
    assert car.index("车规级认证") < car.index("车路协同") < car.index("测试里程")


def test_search_clauses_marks_every_keyword(client):
    html = client.predict("燃气 报警", api_name="/search_clauses")
    assert "找到 1 条" in html and "<mark>报警</mark>" in html and "第三十六条" in html
    assert "没有包含" in client.predict("不存在的词", api_name="/search_clauses")


def run_event(url: str, api_name: str, data: list, session: str) -> dict:
    """Call a UI event the way the page does (queue/join, then read the session's event stream)."""
    config = httpx.get(f"{url}/config").json()
    fn_index = next(i for i, d in enumerate(config["dependencies"]) if d["api_name"] == api_name)
    joined = httpx.post(
        f"{url}/gradio_api/queue/join",
        json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None},
    )
    assert joined.status_code == 200
    with httpx.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session}, timeout=30) as events:
        for line in events.iter_lines():
            if '"process_completed"' in line:
                return json.loads(line.removeprefix("data: "))
    raise AssertionError("no result")


def test_admin_actions_called_directly_without_login_are_refused(live):
    url, settings, rebuild = live
    for action, data in [("rebuild", [True]), ("save", [True, None]), ("read_report", [True])]:
        # The page's own session state decides, not the data a caller sends for it.
        result = run_event(url, action, data, session=f"intruder-{action}")
        assert result["success"] is False and result["output"]["error"] == "请先以管理员身份登录"
    assert rebuild.runs == 0


def test_admin_login_with_the_configured_password_unlocks_reindex(live):
    url, settings, rebuild = live
    assert run_event(url, "sign_in", ["admin", "wrong"], "guesser")["output"]["data"][3] == "用户名或密码错误"
    assert run_event(url, "rebuild", [True], "guesser")["success"] is False
    assert run_event(url, "sign_in", ["admin", PASSWORD], "admin-session")["success"] is True
    result = run_event(url, "rebuild", [True], "admin-session")
    assert result["success"] is True and "重新索引完成" in result["output"]["data"][0]
    assert rebuild.runs == 1
