"""End to end in a real Chromium (Debian's, driven by Playwright) against the app served by uvicorn, with the
real model and the real corpus index, as its users meet it: an owner asks (by typing, by an example, by keyboard
only, on a phone) and reads the sources; a hotline operator pastes a citizen's message; a reader browses the
library; an administrator manages files. One live server for the module; no request may leave the machine.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
from screenshots import ANSWER_TIMEOUT_MS, CHROMIUM, PHONE, QUESTION, ask, launch, take
from test_privacy import MESSAGES

pytestmark = [pytest.mark.browser, pytest.mark.model]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "browser-test-pw"
LOCAL = re.compile(r"^(https?://(127\.0\.0\.1|localhost)(:\d+)?/|data:|blob:|about:)")


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
        chromium = launch(p)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, live_url):
    """Opens the app in a fresh context (1,280 × 800 unless told) that records every request leaving the
    machine; the test fails if there is one."""
    ARTIFACTS.mkdir(exist_ok=True)
    contexts, outside = [], []

    def opened(viewport: dict | None = None, locale: str = "zh-CN", **options):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, locale=locale, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("request", lambda request: None if LOCAL.match(request.url) else outside.append(request.url))
        page.goto(live_url)
        page.get_by_role("tab", name="政策问答").wait_for()
        page.locator("#chatbot").wait_for(state="attached")  # the tabs can render a moment before the chat
        return page

    yield opened
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the machine: {outside}"


@pytest.fixture
def page(open_page):
    return open_page()


def chat_box(page):
    return page.locator("#chat-input textarea")


def focused(page) -> dict:
    """What has the keyboard focus: tag, role, text or label, classes, and whether an outline shows it."""
    return page.evaluate("""() => {
        const e = document.activeElement, style = getComputedStyle(e);
        return {tag: e.tagName, role: e.getAttribute('role'), classes: [...e.classList],
                name: (e.getAttribute('aria-label') || e.innerText || e.placeholder || '').trim(),
                inHotlineBox: !!e.closest('#hotline-input'),
                outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
    }""")


def tab_to(page, wanted, key: str = "Tab", limit: int = 25) -> dict:
    """Press `key` until the focused element satisfies `wanted`; the element, or a failure naming the path."""
    path = []
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if wanted(now):
            return now
        path.append(now["name"][:20] or now["tag"])
    pytest.fail(f"{key} never reached the element; went through {path}")



# --- 政策问答 -------------------------------------------------------------------------------------------------


def test_answer_text_grows_on_screen_before_the_final_answer(page):
    # Every change of the newest answer bubble, timed, until its source chips (the final answer) appear.
    page.evaluate("""() => {
        window.seen = [];
        new MutationObserver(() => {
            const bots = document.querySelectorAll('#chatbot .bot-row');
            if (!bots.length) return;
            const last = bots[bots.length - 1];
            window.seen.push({t: performance.now(), chars: last.innerText.length,
                              final: !!last.querySelector('.pq-sources')});
        }).observe(document.querySelector('#chatbot'), {subtree: true, childList: true, characterData: true});
    }""")
    ask(page, QUESTION)
    seen = page.evaluate("window.seen")
    partial = [s for s in seen[: next(i for i, s in enumerate(seen) if s["final"])] if s["chars"] > 12]
    lengths = sorted({s["chars"] for s in partial})
    assert len(lengths) >= 4, f"the answer appeared in {len(lengths)} steps: {lengths}"
    assert partial[-1]["t"] - partial[0]["t"] >= 200  # long enough to be seen growing, not one flash


def test_sources_are_shown_once_as_chips_that_open_the_clause_in_the_side_panel(page, corpus_settings):
    ask(page, QUESTION)
    chat, panel = page.locator("#chatbot"), page.locator("#citations")
    chip = chat.locator(".pq-chip").first
    source = chip.inner_text().split("]", 1)[1].rsplit(" ", 1)[0].strip()  # 《…》label (the badge follows)
    assert "智能车联网和新能源汽车" in source
    # The answer's own words may name the document; beyond them, the page names the source once: its chip.
    wording = chat.locator(".bot-row").last.evaluate(
        "b => { const c = b.cloneNode(true); c.querySelectorAll('.pq-sources').forEach(s => s.remove());"
        " document.body.append(c); const t = c.innerText; c.remove(); return t; }"
    )
    visible = page.locator("body").inner_text()
    assert visible.count(source) == wording.count(source) + 1, "the source is listed more than once"
    assert "参考条款" not in chat.inner_text() and "引用：" not in chat.inner_text()
    assert not panel.locator(".pq-source").first.is_visible()  # the panel shows a clause only when asked

    chip.click()
    clause = panel.locator(".pq-source:not([hidden])")
    clause.wait_for()
    assert "车规级认证" in clause.locator(".pq-text").inner_text()
    assert "市工信局" in clause.locator(".pq-units").inner_text()
    assert clause.locator(".pq-badge").first.inner_text() in ("有效", "已过期", "未注明有效期")
    page.screenshot(path=str(ARTIFACTS / "chat.png"))

    page.get_by_text("评价最新回答").click()
    note = f"浏览器测试 {uuid.uuid4().hex[:8]}"
    page.get_by_placeholder("补充意见（可选）").fill(note)
    page.locator("#feedback-down").click()
    page.get_by_text("感谢您的反馈，已记录。").wait_for()
    with sqlite3.connect(corpus_settings.cache_dir / "feedback.sqlite3") as db:
        rating, question = db.execute("SELECT rating, question FROM feedback WHERE comment = ?", (note,)).fetchone()
    assert rating == "down" and "汽车芯片" in question


def test_a_click_on_an_example_asks_it(page):
    page.locator("#chat-examples button", has_text="燃气管理办法第三十五条").click()
    page.locator("#chatbot .pq-chip").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "燃气管理办法第三十五条是怎么规定的？" in page.locator("#chatbot .user-row").first.inner_text()
    assert "第三十五条" in page.locator("#chatbot .pq-chip").first.inner_text()


def test_question_box_counts_characters_up_to_the_limit_the_api_enforces(page, live_url):
    import httpx

    from web.inputs import MAX_QUESTION_CHARS

    box, counter = chat_box(page), page.locator("#chat-counter")
    box.fill("燃气补贴")
    page.get_by_text(f"4 / {MAX_QUESTION_CHARS} 字").wait_for()
    box.fill("补" * (MAX_QUESTION_CHARS + 500))
    assert len(box.input_value()) == MAX_QUESTION_CHARS  # the box takes no more than the server accepts
    page.get_by_text(f"{MAX_QUESTION_CHARS} / {MAX_QUESTION_CHARS} 字").wait_for()
    assert counter.is_visible()
    too_long = httpx.post(f"{live_url}/api/ask", json={"question": "补" * (MAX_QUESTION_CHARS + 1)})
    assert too_long.status_code == 422 and "补补补" not in too_long.text  # same limit; the input is not echoed
    assert httpx.post(f"{live_url}/api/ask", json={"question": "补" * 10}).status_code == 200


def test_chat_shows_text_that_looks_like_html_verbatim(page):
    box = chat_box(page)
    box.fill("<申请表> 第一行怎么填？<b>燃气</b>")
    box.press("Enter")
    chat = page.locator("#chatbot")
    chat.get_by_text("<申请表> 第一行怎么填？<b>燃气</b>").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert chat.locator("b", has_text="燃气").count() == 0  # shown as typed, not as markup


# --- keyboard and contrast -----------------------------------------------------------------------------------


def test_chat_and_hotline_work_from_the_keyboard_alone(page):
    # the question box has the focus on arrival (waited for: the page may still be rendering)
    page.wait_for_function("document.activeElement && document.activeElement.closest('#chat-input')", timeout=10_000)
    assert focused(page)["tag"] == "TEXTAREA"
    page.keyboard.type("燃气管理办法第三十五条是怎么规定的？")
    page.keyboard.press("Enter")
    page.locator("#chatbot .pq-chip").first.wait_for(timeout=ANSWER_TIMEOUT_MS)

    chip = tab_to(page, lambda f: "pq-chip" in f["classes"], key="Shift+Tab")
    assert chip["outline"], "the focused chip shows no focus ring"
    page.keyboard.press("Enter")
    opened = page.locator("#citations .pq-source:not([hidden])")
    opened.wait_for()
    assert "第三十五条" in opened.inner_text()
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('#citations .pq-source:not([hidden])')")
    assert "pq-chip" in focused(page)["classes"]  # focus goes back where it came from

    tab = tab_to(page, lambda f: f["role"] == "tab" and f["name"] == "热线助手", key="Shift+Tab")
    assert tab["outline"]
    page.keyboard.press("Enter")
    tab_to(page, lambda f: f["inHotlineBox"])
    page.keyboard.type(MESSAGES[0][0])
    page.keyboard.press("Control+Enter")
    page.locator("#hotline-result .pq-dept").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#hotline-script textarea").input_value().strip()


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""
    def luminance(rgb: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_validity_badges_and_labels_meet_wcag_aa_and_icon_buttons_are_named(page):
    page.get_by_role("tab", name="政策库").click()
    badges = page.locator("#library-table .pq-badge")
    badges.filter(visible=True).first.wait_for()
    colours = page.evaluate("""() => [...document.querySelectorAll('#library-table .pq-badge')].map(b => {
        const s = getComputedStyle(b); return [b.innerText, s.color, s.backgroundColor]; })""")
    kinds = {text for text, _, _ in colours}
    assert {"有效", "已过期"} <= kinds
    for text, fg, bg in colours:
        assert contrast(fg, bg) >= 4.5, (text, fg, bg)
    page.get_by_role("tab", name="政策问答").click()
    ask(page, QUESTION)
    unnamed = page.evaluate("""() => [...document.querySelectorAll('button, a[href], [role=tab]')]
        .filter(e => e.offsetParent && !(e.getAttribute('aria-label') || e.innerText || e.title || '').trim())
        .map(e => e.outerHTML.slice(0, 120))""")
    assert unnamed == []
    english = page.evaluate("""() => [...document.querySelectorAll('button[aria-label]')]
        .filter(e => e.offsetParent && /^[A-Za-z ]+$/.test(e.getAttribute('aria-label')))
        .map(e => e.getAttribute('aria-label'))""")
    assert english == []  # labels read out in Chinese, like the rest of the page


# --- 热线助手 -------------------------------------------------------------------------------------------------


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


@pytest.mark.parametrize("message,secrets,kept", MESSAGES[:3])
def test_hotline_masked_view_shows_no_name_or_address(page, message, secrets, kept):
    page.get_by_role("tab", name="热线助手").click()
    page.locator("#hotline-input textarea").fill(message)
    page.locator("#hotline-submit").click()
    page.locator("#hotline-result .pq-hl-questions").wait_for(timeout=ANSWER_TIMEOUT_MS)
    shown = page.locator("#hotline-masked textarea").input_value()
    shown += page.locator("#hotline-script textarea").input_value() + page.locator("#hotline-result").inner_text()
    assert [s for s in secrets if s in shown] == []


# --- 政策库 ---------------------------------------------------------------------------------------------------


def test_library_fits_1280_px_with_search_beside_and_a_document_in_a_drawer(page):
    page.get_by_role("tab", name="政策库").click()
    table = page.locator("#library-table")
    table.locator(".pq-badge").filter(visible=True).first.wait_for()  # a row has rendered
    status = table.locator("th", has_text="状态").first
    box = status.bounding_box()
    assert box and box["x"] + box["width"] <= 1280  # in view without scrolling sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    scrollers = table.evaluate("""t => [t, ...t.querySelectorAll('*')].filter(e =>
        ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1).length""")
    assert scrollers == 0, "the table scrolls sideways"
    clipped = table.evaluate("""t => [...t.querySelectorAll('.pq-badge')].filter(b => b.offsetParent).filter(b => {
        const cell = b.closest('td, [role=gridcell]') || b.parentElement;
        return b.getBoundingClientRect().right > cell.getBoundingClientRect().right + 1; }).map(b => b.innerText)""")
    assert clipped == [], f"status badges cut off: {clipped}"
    search = page.get_by_placeholder("按关键词搜索条款，多个词用空格分隔")
    table_box, search_box = table.bounding_box(), search.bounding_box()
    assert search_box["x"] >= table_box["x"] + table_box["width"] - 1 and search_box["y"] < table_box["y"] + 200

    page.locator("#library-kind input").click()  # narrow the list: the table only renders rows in view
    page.get_by_role("option", name="规章/条例").click()
    table.get_by_text("苏州市燃气管理办法", exact=True).first.click()
    reader = page.locator("#library-reader .pq-doc")
    reader.wait_for()
    assert reader.locator(".pq-label").all_inner_texts()[:2] == ["第一条", "第二条"]
    drawer = reader.bounding_box()
    assert drawer["y"] < 200 and drawer["x"] + drawer["width"] <= 1280  # beside the list, not 7,000 px down
    page.screenshot(path=str(ARTIFACTS / "library.png"))
    page.keyboard.press("Escape")
    reader.wait_for(state="hidden")

    search.fill("燃气 保护范围")
    search.press("Enter")
    page.locator("#library-search mark").first.wait_for()
    assert "第三十五条" in page.locator("#library-search").inner_text()


# --- 管理 -----------------------------------------------------------------------------------------------------


def log_in(page, password: str = PASSWORD) -> None:
    page.get_by_role("tab", name="管理").click()
    page.locator("#admin-user input, #admin-user textarea").first.fill("admin")
    page.locator("#admin-password input").first.fill(password)
    page.locator("#admin-login").click()


def test_admin_panel_opens_only_after_login(page):
    log_in(page, "wrong")
    page.get_by_text("用户名或密码错误").wait_for()
    assert not page.get_by_role("button", name="重新索引", exact=True).is_visible()
    log_in(page)
    page.get_by_role("button", name="重新索引", exact=True).wait_for()
    page.screenshot(path=str(ARTIFACTS / "admin.png"))


def test_admin_delete_explains_and_confirms_and_reindex_shows_a_bar(open_page, capfd, caplog):
    page = open_page(locale="en-US")  # Gradio's own words would be English here
    log_in(page)
    page.locator("#admin-remove").wait_for()
    assert "将文件拖放到此处" in page.locator("#admin-upload").inner_text()
    assert "Drop File" not in page.locator("#admin-upload").inner_text()
    capfd.readouterr()

    with caplog.at_level(logging.WARNING, logger="policyqa.web"):
        page.locator("#admin-remove").click()
        page.locator("#admin-remove-status").get_by_text("请先在上面的列表中选择要删除的文件").wait_for()
    assert page.locator(".error").count() == 0 and "Error" not in page.locator("#admin-doomed").inner_text()
    console = capfd.readouterr()
    assert "Traceback" not in console.out + console.err
    rejected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected")]
    assert len(rejected) == 1 and "\n" not in rejected[0]  # one line on the console

    page.locator("#admin-doomed input").click()
    page.get_by_role("option", name="《苏州市燃气管理办法》").click()
    page.locator("#admin-remove").click()
    page.locator("#admin-confirm").get_by_text("确定删除 《苏州市燃气管理办法》").wait_for()
    page.locator("#admin-cancel-remove").click()
    page.get_by_text("已取消，未删除任何文件。").wait_for()
    assert not page.locator("#admin-confirm-remove").is_visible()
    page.locator("#admin-remove").click()
    page.locator("#admin-confirm-remove").wait_for()
    page.locator("#admin-doomed input").click()
    page.get_by_role("option", name="《苏州市人才落户管理办法》").click()
    page.locator("#admin-confirm-remove").wait_for(state="hidden")  # another file: ask again before deleting

    page.evaluate("""() => { window.bars = 0; new MutationObserver(() => {
        if (document.querySelector('.progress-level, .progress-bar')) window.bars += 1;
    }).observe(document.body, {subtree: true, childList: true, characterData: true}); }""")
    page.get_by_role("button", name="重新索引", exact=True).click()
    page.get_by_text("重新索引完成").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert page.evaluate("window.bars") > 0, "no progress bar while re-indexing"

    page.get_by_text("最新评测报告").click()
    report = page.locator("#admin-report")
    report.wait_for()
    assert report.inner_text().strip()  # the report, or why there is none and how to make one
    if "尚无评测报告" in report.inner_text():
        assert "make eval" in report.inner_text()


# --- phone ----------------------------------------------------------------------------------------------------


def test_chat_and_hotline_are_usable_on_a_390_px_phone(open_page):
    page = open_page(PHONE, is_mobile=True, has_touch=True)
    width = PHONE["width"]
    for control in (page.locator("#chat-input textarea"), page.locator("#chat-send")):
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= PHONE["height"]
    ask(page, "人才落户需要什么条件？")
    log = page.locator("#chatbot [role=log]")
    answer = page.locator("#chatbot .bot-row").last
    log_box, answer_box = log.bounding_box(), answer.bounding_box()
    assert answer_box["x"] + answer_box["width"] <= width
    # A long answer on a narrow screen: its start is still in view (the chat did not scroll to its end).
    assert log.evaluate("l => l.scrollHeight > l.clientHeight")
    assert log_box["y"] - 2 <= answer_box["y"] < log_box["y"] + log_box["height"] - 40
    page.screenshot(path=str(ARTIFACTS / "phone.png"))

    page.locator("#chatbot .pq-chip").first.tap()
    clause = page.locator("#citations .pq-source:not([hidden])")
    clause.wait_for()
    page.wait_for_timeout(300)  # the scroll to the panel
    box = clause.bounding_box()
    assert box["y"] < PHONE["height"] and box["x"] + box["width"] <= width  # brought into view, fits the width
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1

    page.get_by_role("tab", name="热线助手").tap()
    page.locator("#hotline-examples button").first.tap()
    script = page.locator("#hotline-script textarea")
    page.locator("#hotline-result .pq-dept").wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(300)
    box = script.bounding_box()
    assert 0 <= box["y"] < PHONE["height"] and box["x"] + box["width"] <= width  # the reply script is in view
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1


# --- README screenshots ---------------------------------------------------------------------------------------


def test_screenshot_script_takes_the_five_readme_screens(browser, live_url, tmp_path):
    from PIL import Image

    shots = take(browser, live_url, tmp_path, PASSWORD)
    assert [p.name for p in shots] == ["chat.png", "hotline.png", "library.png", "admin.png", "chat-phone.png"]
    assert Image.open(shots[-1]).size[0] == PHONE["width"]
