"""End to end in a real Chromium (Debian's, driven by Playwright) against the app served by uvicorn, with the
real model and the real corpus index: an owner asks and opens a citation; a hotline operator pastes a citizen's
message and gets the department and the reply script; an administrator logs in. No request may leave the
machine. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "browser-test-pw"
LOCAL = re.compile(r"^(https?://(127\.0\.0\.1|localhost)(:\d+)?/|data:|blob:|about:)")
ANSWER_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def corpus_settings(request, tmp_path_factory):
    """Settings whose index holds the bundled corpus: the session-wide `corpus_index` when conftest provides
    one, else a fresh index folder that the app fills on its first start (as `python app.py` does)."""
    from settings import Settings

    try:
        return request.getfixturevalue("corpus_index").settings
    except pytest.FixtureLookupError:
        return Settings.from_env({}, index_dir=tmp_path_factory.mktemp("corpus-index"))


@pytest.fixture(scope="module")
def live_url(corpus_settings):
    """The real app (real model, real corpus index) on a free loopback port."""
    from app import create_app
    from web.server import serving

    settings = corpus_settings.with_(admin_password=PASSWORD)
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        # .ci/run installs it: in CI a missing browser is a failure, never a silent skip.
        missing = pytest.fail if os.environ.get("CI") else pytest.skip
        missing("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_url):
    """A fresh page that records every request leaving the machine; the test fails if there is one."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda request: None if LOCAL.match(request.url) else outside.append(request.url))
    page.goto(live_url)
    page.get_by_role("tab", name="政策问答").wait_for()
    yield page
    context.close()
    assert outside == [], f"requests left the machine: {outside}"


def test_owner_asks_sees_a_cited_answer_opens_the_clause_and_rates_it(page, corpus_settings):
    box = page.locator("#chat-input textarea, #chat-input input").first
    box.fill("我们公司汽车芯片过了车规认证，能拿多少补贴？找哪个部门？")
    box.press("Enter")
    chip = page.locator("#citations .pq-cite").first
    chip.wait_for(timeout=ANSWER_TIMEOUT_MS)
    bubble = page.locator("#chatbot").get_by_text("参考条款")
    bubble.wait_for()
    assert "[1]" in page.locator("#chatbot").inner_text()
    assert "智能车联网和新能源汽车" in chip.locator("summary").inner_text()

    chip.locator("summary").click()
    text = chip.locator(".pq-text")
    text.wait_for(state="visible")
    assert "车规级认证" in text.inner_text()
    assert "市工信局" in chip.locator(".pq-units").inner_text()
    assert chip.locator(".pq-badge").inner_text() in ("有效", "已过期", "未注明有效期")
    page.screenshot(path=str(ARTIFACTS / "chat.png"))

    page.get_by_text("评价最新回答").click()
    note = f"浏览器测试 {uuid.uuid4().hex[:8]}"
    page.get_by_placeholder("补充意见（可选）").fill(note)
    page.locator("#feedback-down").click()
    page.get_by_text("感谢您的反馈，已记录。").wait_for()
    with sqlite3.connect(corpus_settings.cache_dir / "feedback.sqlite3") as db:
        rating, question = db.execute("SELECT rating, question FROM feedback WHERE comment = ?", (note,)).fetchone()
    assert rating == "down" and "汽车芯片" in question


def test_chat_shows_text_that_looks_like_html_verbatim(page):
    box = page.locator("#chat-input textarea, #chat-input input").first
    box.fill("<申请表> 第一行怎么填？<b>燃气</b>")
    box.press("Enter")
    chat = page.locator("#chatbot")
    chat.get_by_text("<申请表> 第一行怎么填？<b>燃气</b>").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert chat.locator("b", has_text="燃气").count() == 0  # shown as typed, not as markup


def test_hotline_operator_pastes_a_message_and_gets_department_and_reply_script(page):
    page.get_by_role("tab", name="热线助手").click()
    box = page.locator("#hotline-input textarea")
    box.fill(
        "市民王女士来电，联系电话13912345678。她在一家做汽车电子的企业工作，公司的芯片刚通过车规级认证，"
        "想问有没有补贴，能补多少，应该找哪个部门申请？"
    )
    box.press("Control+Enter")  # the keyboard path: paste, Ctrl+Enter
    department = page.locator("#hotline-result .pq-dept")
    department.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "工信局" in department.inner_text()
    script = page.locator("#hotline-script textarea").input_value()
    assert script.strip() and "13912345678" not in script
    assert "13912345678" not in page.locator("#hotline-masked textarea").input_value()
    assert page.locator("#hotline-result .pq-cite .pq-text").first.is_visible()  # clauses shown in full
    page.screenshot(path=str(ARTIFACTS / "hotline.png"), full_page=True)


def test_library_opens_a_document_and_searches_clauses(page):
    page.get_by_role("tab", name="政策库").click()
    page.locator("#library-kind input").click()  # narrow the list: the table only renders rows in view
    page.get_by_role("option", name="规章/条例").click()
    table = page.locator("#library-table")
    table.get_by_text("苏州市燃气管理办法", exact=True).first.click()
    reader = page.locator("#library-reader .pq-doc")
    reader.wait_for()
    labels = reader.locator(".pq-label").all_inner_texts()
    assert labels[:2] == ["第一条", "第二条"]
    search = page.get_by_placeholder("按关键词搜索条款，多个词用空格分隔")
    search.fill("燃气 保护范围")
    search.press("Enter")
    page.locator("#library-search mark").first.wait_for()
    assert "第三十五条" in page.locator("#library-search").inner_text()
    page.screenshot(path=str(ARTIFACTS / "library.png"), full_page=True)


def test_admin_panel_opens_only_after_login(page):
    page.get_by_role("tab", name="管理").click()
    page.locator("#admin-user input, #admin-user textarea").first.fill("admin")
    password = page.locator("#admin-password input").first
    password.fill("wrong")
    page.locator("#admin-login").click()
    page.get_by_text("用户名或密码错误").wait_for()
    assert not page.get_by_role("button", name="重新索引", exact=True).is_visible()
    password.fill(PASSWORD)
    page.locator("#admin-login").click()
    page.get_by_role("button", name="重新索引", exact=True).wait_for()
    page.screenshot(path=str(ARTIFACTS / "admin.png"))


def test_phone_sized_screen_needs_no_sideways_scrolling(browser, live_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.goto(live_url)
    page.locator("#chat-input").wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "phone.png"))
    context.close()
    assert overflow <= 1
