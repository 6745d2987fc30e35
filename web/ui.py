"""The Gradio UI: 政策问答 (owners), 热线助手 (hotline staff), 政策库 (browse), 管理 (maintainers, login).

Handlers only translate between widgets and the services (`web.service.Services`); rendering lives in
`web.render`. A refused action raises `refuse(...)`: a Chinese message in the page, one line on the console.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from domain.jurisdiction import CITY, CITY_SHORT
from domain.validity import STATUSES as VALIDITY_STATUSES
from ingest.readers import READERS, suffix_list
from rag.types import Answer, Citation, StreamEvent, TextDelta
from web import render
from web.admin import LoginDenied
from web.http import log_rejected
from web.inputs import MAX_COMMENT_CHARS, MAX_HISTORY_TURNS, MAX_MESSAGE_CHARS, MAX_QUESTION_CHARS
from web.live import Busy
from web.service import Services
from web.uploads import UploadRejected

EXAMPLE_QUESTIONS = [
    "我们公司汽车芯片过了车规认证，能拿多少补贴？找哪个部门？",
    "燃气管理办法第三十五条是怎么规定的？",
    "人才落户需要什么条件？",
]
EXAMPLE_MESSAGE = (
    "您好，我是张先生，电话13912345678。我们小区楼下的饭店一直用液化气钢瓶，感觉很不安全，"
    "请问这种情况归哪个部门管？有没有相关规定？"
)
ALL = "全部"
MAX_SEARCH_CHARS = 200
STATUSES = [ALL, *VALIDITY_STATUSES]

# System fonts only: the UI must render offline, with no request to a font CDN.
FONTS = [gr.themes.Font("system-ui"), "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"]
MONO = [gr.themes.Font("ui-monospace"), "Consolas", "monospace"]


def theme() -> gr.themes.Theme:
    return gr.themes.Soft(primary_hue="blue", font=FONTS, font_mono=MONO)


HERE = Path(__file__).resolve().parent
CSS = (HERE / "ui.css").read_text(encoding="utf-8")
# Gradio scopes `css` to the blocks inside its container; the page's own margins are outside, so this rule goes
# into <head> as is: on a phone the 2 rem side margins would take a sixth of the width.
PAGE_CSS = "@media (max-width:640px){.gradio-container .main.app{padding-left:.5rem;padding-right:.5rem}}"
# Inline, so the page loads no script or style from anywhere but itself.
HEAD = f"<style>{PAGE_CSS}</style>\n<script>\n{(HERE / 'ui.js').read_text(encoding='utf-8')}\n</script>"

# Gradio's own words follow the browser's language: an English browser would see "Drop File Here" in this Chinese
# page, and even its Chinese lacks a few labels screen readers announce (icon buttons). Given here in Chinese.
_GRADIO_WORDS = {
    "upload_text.drop_file": "将文件拖放到此处",
    "upload_text.click_to_upload": "点击选择文件",
    "common.or": "或",
    "chatbot.copy_message": "复制这条消息",
    "chatbot.copied_message": "已复制",
}
I18N = gr.I18n(en=_GRADIO_WORDS, **{"zh-CN": _GRADIO_WORDS})

# An extractive answer arrives in one piece; shown at once it does not read as an answer being written. Its
# pieces (up to each punctuation mark) are spaced this far apart, within a total budget per answer. An LLM's
# tokens arrive slower than the pace and are not held up.
STREAM_PACE_S = 0.06
STREAM_PACING_BUDGET_S = 1.2
_PIECE = re.compile(r".+?(?:[，。；：！？,;:!?\n]|$)", re.S)


def paced(events: Iterable[StreamEvent], pace: float = STREAM_PACE_S,
          budget: float = STREAM_PACING_BUDGET_S) -> Iterator[str | Answer]:
    """The stream's text in pieces spaced `pace` apart while `budget` lasts, then the final Answer."""
    last, spent = time.monotonic(), 0.0
    for event in events:
        if not isinstance(event, TextDelta):
            yield event.answer
            continue
        for piece in _PIECE.findall(event.text):
            wait = min(pace - (time.monotonic() - last), budget - spent)
            if wait > 0:
                time.sleep(wait)
                spent += wait
            last = time.monotonic()
            yield piece


@dataclass
class Conversation:
    """One browser session's chat: clean turns for the assistant's history, and the latest answer for feedback."""

    turns: list[dict] = field(default_factory=list)  # {"role", "content"} with plain answer text
    bubbles: list[dict] = field(default_factory=list)  # what the Chatbot shows (answers with their source chips)
    answer: Answer | None = None
    sources: list[Citation] = field(default_factory=list)  # every clause cited so far, once: the side panel

    def source_keys(self, answer: Answer) -> dict[str, int]:
        """Clause id → its place in the side panel, adding the clauses `answer` cites for the first time."""
        keys = {c.id: i for i, c in enumerate(self.sources)}
        for c in answer.citations:
            if c.id not in keys:
                keys[c.id] = len(self.sources)
                self.sources.append(c)
        return keys


def refuse(reason: str, request: gr.Request | None = None) -> gr.Error:
    """The error a handler raises for input it will not act on: shown in the page, logged as one line (the
    traceback Gradio would print helps no one for a user's mistake)."""
    log_rejected(getattr(request, "request", None), 400, reason)
    return gr.Error(reason, print_exception=False)


def build_ui(services: Services) -> gr.Blocks:
    # Uploaded files Gradio keeps in its cache are deleted after an hour (checked hourly): an anonymous
    # /gradio_api/upload cannot fill the disk for longer than that.
    with gr.Blocks(title="苏州政策问答助手", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"## {CITY_SHORT}政策问答助手\n依据{CITY}及各区市现行政策文件作答，每个回答都注明所依据的条款。")
        with gr.Tabs():
            with gr.Tab("政策问答", id="chat"):
                _chat_tab(services)
            with gr.Tab("热线助手", id="hotline"):
                _hotline_tab(services)
            with gr.Tab("政策库", id="library") as library_tab:
                refresh_library = _library_tab(services)
            with gr.Tab("管理", id="admin"):
                _admin_tab(services)
        # The library reflects the index live: refresh on page load and whenever its tab is opened.
        demo.load(**refresh_library)
        library_tab.select(**refresh_library)
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


# --- 政策问答 -------------------------------------------------------------------------------------------------


def _chat_tab(services: Services) -> None:
    conv = gr.State(Conversation())
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            chatbot = gr.Chatbot(
                label="对话",
                height=520,
                elem_id="chatbot",
                feedback_options=None,
                placeholder="请输入您的问题，例如补贴标准、申报条件、主管部门、某条款的规定。",
                buttons=["copy"],
                autoscroll=False,  # web/ui.js keeps the newest question at the top instead
            )
            with gr.Row():
                question = gr.Textbox(
                    placeholder="输入问题，回车发送",
                    show_label=False,
                    scale=5,
                    max_length=MAX_QUESTION_CHARS,
                    elem_id="chat-input",
                    autofocus=True,
                )
                send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="chat-send")
            counter = gr.HTML(counter_text(0, MAX_QUESTION_CHARS), elem_id="chat-counter", elem_classes="pq-counter")
            examples = gr.Dataset(
                components=[question], samples=[[q] for q in EXAMPLE_QUESTIONS], label="示例问题（点击即问）",
                elem_id="chat-examples",
            )
            with gr.Row():
                regenerate = gr.Button("重新生成", size="sm")
                clear = gr.Button("清空对话", size="sm")
            with gr.Accordion("评价最新回答", open=False):
                comment = gr.Textbox(placeholder="补充意见（可选）", show_label=False, lines=2, max_length=MAX_COMMENT_CHARS)
                with gr.Row():
                    up = gr.Button("👍 有用", size="sm", elem_id="feedback-up")
                    down = gr.Button("👎 没用", size="sm", elem_id="feedback-down")
                feedback_status = gr.Markdown()
        with gr.Column(scale=2, min_width=280, elem_id="citations-col"):
            citations = gr.HTML(render.sources_panel([]), elem_id="citations")

    def ask(message: str, state: Conversation, request: gr.Request):
        message = (message or "").strip()
        if not message:
            raise refuse("请先输入问题", request)
        if len(message) > MAX_QUESTION_CHARS:
            raise refuse(f"问题过长：最多 {MAX_QUESTION_CHARS} 字，收到 {len(message)} 字", request)
        # The conversation state changes only once the answer is complete, so a failed question leaves no trace.
        asked = state.bubbles + [{"role": "user", "content": render.verbatim(message)}]
        shown = ""
        yield asked + [{"role": "assistant", "content": "正在检索条款…"}], gr.skip(), state, ""
        for item in paced(services.answering.stream(message, history=state.turns[-2 * MAX_HISTORY_TURNS:])):
            if isinstance(item, str):
                shown += item
                yield asked + [{"role": "assistant", "content": render.verbatim(shown)}], gr.skip(), state, ""
            else:
                answer = item
        keys = state.source_keys(answer)
        state.turns = state.turns + [{"role": "user", "content": message}, {"role": "assistant", "content": answer.text}]
        state.bubbles = asked + [{"role": "assistant", "content": render.chat_message(answer, keys)}]
        state.answer = answer
        yield state.bubbles, render.sources_panel(state.sources), state, ""

    def drop_last(state: Conversation, request: gr.Request):
        """Forget the last exchange and hand its question back for asking again."""
        if len(state.turns) < 2:
            raise refuse("还没有可以重新生成的回答", request)
        last_question = state.turns[-2]["content"]
        state.turns, state.bubbles = state.turns[:-2], state.bubbles[:-2]
        return state, last_question

    def reset():
        return [], render.sources_panel([]), Conversation(), ""

    def rate(rating: str):
        def store(note: str, state: Conversation, request: gr.Request):
            if state.answer is None:
                raise refuse("还没有可以评价的回答", request)
            answer = state.answer
            note = (note or "")[:MAX_COMMENT_CHARS]
            services.feedback.add(rating, answer.question, answer.text, [c.id for c in answer.citations], note)
            return "感谢您的反馈，已记录。", ""

        return store

    outputs = [chatbot, citations, conv, question]
    gr.on([question.submit, send.click], ask, [question, conv], outputs, api_name="ask", concurrency_id="answer")
    # A click on an example asks it.
    examples.click(lambda sample: sample[0], examples, question, api_visibility="private").then(
        ask, [question, conv], outputs, api_visibility="private", concurrency_id="answer"
    )
    count_chars(question, counter, MAX_QUESTION_CHARS)
    pending = gr.Textbox(visible=False)
    regenerate.click(drop_last, conv, [conv, pending], api_visibility="private").success(
        ask, [pending, conv], outputs, api_visibility="private", concurrency_id="answer"
    )
    clear.click(reset, None, outputs, api_visibility="private")
    up.click(rate("up"), [comment, conv], [feedback_status, comment], api_visibility="private")
    down.click(rate("down"), [comment, conv], [feedback_status, comment], api_visibility="private")


def counter_text(used: int, limit: int) -> str:
    return f"{used} / {limit} 字"


def count_chars(box: gr.Textbox, counter: gr.HTML, limit: int) -> None:
    """Show `box`'s length against the limit the server enforces; counted in the browser, no request."""
    box.change(None, box, counter, js=f"(text) => [...(text || '')].length + ' / {limit} 字'", api_visibility="private")


# --- 热线助手 -------------------------------------------------------------------------------------------------


def _hotline_tab(services: Services) -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            message = gr.Textbox(
                label="市民诉求原文（粘贴后按 Ctrl+Enter 分析）",
                lines=12,
                max_lines=30,
                max_length=MAX_MESSAGE_CHARS,
                placeholder="把来电记录或来信内容粘贴到这里，可以包含多个问题。个人信息会自动隐去。",
                elem_id="hotline-input",
            )
            counter = gr.HTML(counter_text(0, MAX_MESSAGE_CHARS), elem_id="hotline-counter", elem_classes="pq-counter")
            with gr.Row():
                analyse = gr.Button("分析（Ctrl+Enter）", variant="primary", elem_id="hotline-submit")
                clear = gr.Button("清空")
            examples = gr.Dataset(
                components=[message], samples=[[EXAMPLE_MESSAGE]], label="示例诉求（点击即分析）", elem_id="hotline-examples"
            )
        with gr.Column(scale=3, min_width=320):
            script = gr.Textbox(
                label="答复口径（可修改后复制）",
                lines=6,
                buttons=["copy"],
                interactive=True,
                elem_id="hotline-script",
            )
            copy = gr.Button("复制答复口径", size="sm", elem_id="hotline-copy")
            masked = gr.Textbox(label="诉求（已隐去个人信息）", interactive=False, lines=2, elem_id="hotline-masked")
            result = gr.HTML(elem_id="hotline-result")

    def analyse_message(text: str, request: gr.Request):
        text = (text or "").strip()
        if not text:
            raise refuse("请先粘贴市民诉求", request)
        if len(text) > MAX_MESSAGE_CHARS:
            raise refuse(f"诉求内容过长：最多 {MAX_MESSAGE_CHARS} 字，收到 {len(text)} 字", request)
        answer = services.answering.hotline(text)
        return answer.reply_script or answer.text, answer.question, render.hotline_html(answer)

    # On a phone the result is below the message box: bring the reply script into view once it is there.
    show_script = "() => { if (window.innerWidth < 700) document.querySelector('#hotline-script').scrollIntoView(); }"
    gr.on(
        [analyse.click, message.submit], analyse_message, message, [script, masked, result], api_name="hotline"
    ).success(None, js=show_script)
    examples.click(lambda sample: sample[0], examples, message, api_visibility="private").then(
        analyse_message, message, [script, masked, result], api_visibility="private"
    ).success(None, js=show_script)
    count_chars(message, counter, MAX_MESSAGE_CHARS)
    clear.click(lambda: ("", "", "", ""), None, [message, script, masked, result], api_visibility="private")
    copy.click(
        None,
        script,
        None,
        js="(text) => { navigator.clipboard && navigator.clipboard.writeText(text || ''); }",
        api_visibility="private",
    )


# --- 政策库 ---------------------------------------------------------------------------------------------------


def _library_tab(services: Services) -> dict:
    """Builds the tab; returns the event spec (fn/inputs/outputs) that refreshes it from the live index."""
    shown_ids = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=7, min_width=480):
            with gr.Row():
                jurisdiction = gr.Dropdown([ALL], value=ALL, label="适用地区", min_width=140, elem_id="library-jurisdiction")
                kind = gr.Dropdown([ALL], value=ALL, label="文件类型", min_width=140, elem_id="library-kind")
                status = gr.Radio(STATUSES, value=ALL, label="有效性", min_width=240, elem_id="library-status")
            table = gr.Dataframe(
                headers=render.DOCUMENT_HEADERS,
                datatype=render.DOCUMENT_TYPES,
                column_widths=render.DOCUMENT_WIDTHS,
                interactive=False,
                wrap=True,
                max_height=620,
                label="文件列表（点击一行阅读全文）",
                elem_id="library-table",
            )
        with gr.Column(scale=4, min_width=300, elem_id="library-search-col"):
            # allow_custom_value: API clients open a document by its id without loading the list first.
            document = gr.Dropdown([], label="阅读文件（或点击表格中的一行）", elem_id="library-document",
                                   allow_custom_value=True)
            with gr.Row():
                keywords = gr.Textbox(
                    placeholder="按关键词搜索条款，多个词用空格分隔", show_label=False, scale=5,
                    max_length=MAX_SEARCH_CHARS, elem_id="library-keywords",
                )
                search = gr.Button("搜索条款", scale=1, min_width=100)
            hits = gr.HTML(elem_id="library-search")
    # The open document: a drawer over the right side of the page (Esc or 关闭 closes it).
    with gr.Column(visible=False, elem_id="library-drawer", elem_classes="pq-drawer") as drawer:
        with gr.Row(elem_classes="pq-drawer-bar"):
            gr.Markdown("**文件全文**")
            close = gr.Button("关闭 ✕", size="sm", scale=0, min_width=80, elem_classes="pq-drawer-close")
        reader = gr.HTML(elem_id="library-reader")

    def listing(jur: str, knd: str, st: str):
        docs = services.library.documents(
            jurisdiction=None if jur == ALL else jur,
            kind=None if knd == ALL else _kind_code(knd),
            status=None if st == ALL else st,
        )
        choices = [(f"《{d['doc_title']}》", d["doc_id"]) for d in docs]
        return render.document_rows(docs), [d["doc_id"] for d in docs], gr.update(choices=choices)

    def refresh(jur: str, knd: str, st: str):
        docs = services.library.documents()
        jurs = [ALL] + sorted({d.get("jurisdiction") or "" for d in docs} - {""})
        kinds = [ALL] + sorted({render.KIND_NAMES.get(d.get("doc_kind") or "other", "其他") for d in docs})
        jur, knd = (jur if jur in jurs else ALL), (knd if knd in kinds else ALL)
        rows, ids, choices = listing(jur, knd, st)
        return gr.update(choices=jurs, value=jur), gr.update(choices=kinds, value=knd), rows, ids, choices

    def open_document(doc_id: str | None):
        if not doc_id:
            return ""
        doc = services.library.document(doc_id)
        if doc is None:
            return '<div class="pq-empty">该文件已不在政策库中。</div>'
        return render.document_html(doc, services.library.document_clauses(doc_id))

    def pick_row(ids: list[str], evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return ids[row] if 0 <= row < len(ids) else None

    def find(words: str):
        words = (words or "")[:MAX_SEARCH_CHARS]
        return render.search_html(words, services.library.search_clauses(words))

    filters = [jurisdiction, kind, status]
    for control in filters:
        control.change(listing, filters, [table, shown_ids, document], api_visibility="private")
    table.select(pick_row, shown_ids, document, api_visibility="private")
    document.change(open_document, document, reader, api_name="document")
    document.change(lambda doc_id: gr.update(visible=bool(doc_id)), document, drawer, api_visibility="private")
    # Clearing the choice closes the drawer, and the same row can be opened again.
    close.click(lambda: None, None, document, api_visibility="private")
    gr.on([keywords.submit, search.click], find, keywords, hits, api_name="search_clauses")
    return {"fn": refresh, "inputs": filters, "outputs": [jurisdiction, kind, table, shown_ids, document], "api_visibility": "private"}


def _kind_code(name: str) -> str:
    return next((code for code, label in render.KIND_NAMES.items() if label == name), name)


# --- 管理 -----------------------------------------------------------------------------------------------------


def _admin_tab(services: Services) -> None:
    settings, admin = services.settings, services.admin
    if admin.locked:
        gr.Markdown(
            "### 🔒 管理功能已锁定\n未设置管理员密码。请在启动前设置环境变量 `POLICYQA_ADMIN_PASSWORD`"
            "（用户名默认 `admin`，可用 `POLICYQA_ADMIN_USER` 修改），然后重启服务。",
            elem_id="admin-locked",
        )
        return
    authed = gr.State(False)
    with gr.Column(visible=True, elem_id="admin-login-box") as login_box:
        gr.Markdown("### 管理员登录")
        user = gr.Textbox(label="用户名", elem_id="admin-user")
        password = gr.Textbox(label="密码", type="password", elem_id="admin-password")
        login = gr.Button("登录", variant="primary", elem_id="admin-login")
        login_status = gr.Markdown()
    with gr.Column(visible=False) as panel:
        with gr.Row():
            gr.Markdown(f"已登录。上传文件不超过 {settings.max_upload_mb} MB；上传或删除后请重新索引。")
            logout = gr.Button("退出登录", size="sm", scale=0)
        with gr.Group():
            files = gr.File(
                label=f"上传政策文件（{suffix_list()}）",
                file_count="multiple",
                file_types=list(READERS),
                elem_id="admin-upload",
            )
            upload = gr.Button("保存到数据目录")
            upload_status = gr.Markdown()
        with gr.Group():
            reindex = gr.Button("重新索引", variant="primary")
            reindex_status = gr.Markdown()
        with gr.Group():
            doomed = gr.Dropdown([], label="删除文件（删除其源文件并重新索引）", elem_id="admin-doomed")
            cascade = gr.Checkbox(label="源文件中还有其他文件时，一并删除", value=False)
            remove = gr.Button("删除并重新索引", variant="stop", elem_id="admin-remove")
            with gr.Row(visible=False, elem_id="admin-confirm") as confirm_row:
                confirm_text = gr.Markdown()
                confirm = gr.Button("确认删除", variant="stop", scale=0, min_width=100, elem_id="admin-confirm-remove")
                cancel = gr.Button("取消", scale=0, min_width=80, elem_id="admin-cancel-remove")
            remove_status = gr.Markdown(elem_id="admin-remove-status")
        with gr.Accordion("最新评测报告", open=False):
            show_report = gr.Button("刷新报告", size="sm")
            report = gr.Markdown(elem_id="admin-report")

    def require(ok: bool, request: gr.Request | None) -> None:
        # Checked on the server for every admin action: gr.State lives server-side, a client cannot forge it.
        if not ok:
            raise refuse("请先以管理员身份登录", request)

    def document_choices():
        docs = services.library.documents()
        return gr.update(choices=[(f"《{d['doc_title']}》", d["doc_id"]) for d in docs], value=None)

    def sign_in(name: str, secret: str, request: gr.Request):
        client = request.client.host if request and request.client else "unknown"
        try:
            admin.check_login(name, secret, client)
        except LoginDenied as denied:
            return False, gr.update(), gr.update(), denied.reason, "", gr.update(), gr.update()
        return True, gr.update(visible=False), gr.update(visible=True), "", "", document_choices(), report_text()

    def sign_out():
        return False, gr.update(visible=True), gr.update(visible=False)

    def save(ok: bool, paths: list[str] | None, request: gr.Request):
        require(ok, request)
        if not paths:
            return "请先选择文件", None
        lines = []
        for path in paths:
            name = Path(path).name
            try:
                saved = admin.upload(received_upload(path).read_bytes(), name)
            except UploadRejected as exc:
                log_rejected(getattr(request, "request", None), exc.status, exc.reason)
                lines.append(f"- ❌ {exc.reason}")
            else:
                lines.append(f"- ✅ {saved.name}（{saved.size // 1024} KB{'，已替换同名文件' if saved.replaced else ''}）"
                             + render.upload_findings(saved.report))
        return "\n".join(lines) + "\n\n上传完成后点击“重新索引”生效。", None

    # track_tqdm mirrors the ingest's tqdm bar (embedding progress) into the page; the explicit steps show a bar
    # even when nothing needs embedding (the tqdm bar is then off).
    def rebuild(ok: bool, request: gr.Request, progress=gr.Progress(track_tqdm=True)):
        require(ok, request)
        progress(0.1, desc="正在读取、切分并索引文件…")
        try:
            summary = admin.reindex()
        except Busy as exc:
            raise refuse(str(exc), request) from exc
        progress(1.0, desc="索引完成")
        return f"✅ 重新索引完成：{summary}", document_choices()

    def ask_to_delete(ok: bool, doc_id: str | None, request: gr.Request):
        """Deleting is undone only by uploading the file again: name what goes, and wait for 确认删除."""
        require(ok, request)
        if not doc_id:
            # Shown where the user looks, as a message; a raised error would badge the dropdown red.
            log_rejected(getattr(request, "request", None), 400, "删除：未选择文件")
            return gr.update(visible=False), "", "⚠️ 请先在上面的列表中选择要删除的文件。"
        doc = services.library.document(doc_id)
        title = f"《{doc['doc_title']}》" if doc else doc_id
        question = f"确定删除 {title} 的源文件并重新索引吗？删除后只能重新上传恢复。"
        return gr.update(visible=True), question, ""

    def delete(ok: bool, doc_id: str | None, everything: bool, request: gr.Request,
               progress=gr.Progress(track_tqdm=True)):
        require(ok, request)
        hidden = gr.update(visible=False)
        if not doc_id:
            log_rejected(getattr(request, "request", None), 400, "删除：未选择文件")
            return "⚠️ 请先在上面的列表中选择要删除的文件。", gr.update(), hidden
        progress(0.1, desc="正在删除并重新索引…")
        try:
            removal = admin.remove_and_reindex(doc_id, cascade=everything)
        except UploadRejected as exc:
            log_rejected(getattr(request, "request", None), exc.status, exc.reason)
            return f"❌ {exc.reason}", gr.update(), hidden
        except Busy as exc:
            log_rejected(getattr(request, "request", None), 409, str(exc))
            return f"❌ {exc}（未删除任何文件）", gr.update(), hidden
        progress(1.0, desc="索引完成")
        titles = "、".join(f"《{d['doc_title']}》" for d in removal.documents)
        done = f"已删除源文件 {'、'.join(removal.files)}（{titles}）。\n\n✅ 重新索引完成：{removal.summary}"
        return done, document_choices(), hidden

    def report_text() -> str:
        return admin.eval_report() or (
            "尚无评测报告：还没有运行过评测。在项目目录运行 `make eval`，"
            "报告会写到 `eval/reports/latest/report.md`，之后点击“刷新报告”即可在这里查看。"
        )

    def read_report(ok: bool, request: gr.Request):
        require(ok, request)
        return report_text()

    private = {"api_visibility": "private"}
    gr.on([login.click, password.submit], sign_in, [user, password],
          [authed, login_box, panel, login_status, password, doomed, report], **private)
    logout.click(sign_out, None, [authed, login_box, panel], **private)
    upload.click(save, [authed, files], [upload_status, files], **private)
    reindex.click(rebuild, authed, [reindex_status, doomed], concurrency_limit=1, **private)
    remove.click(ask_to_delete, [authed, doomed], [confirm_row, confirm_text, remove_status], **private)
    # A confirmation names one file: choosing another withdraws it.
    doomed.change(lambda: gr.update(visible=False), None, confirm_row, **private)
    cancel.click(lambda: (gr.update(visible=False), "已取消，未删除任何文件。"), None, [confirm_row, remove_status], **private)
    confirm.click(delete, [authed, doomed, cascade], [remove_status, doomed, confirm_row], concurrency_limit=1, **private)
    show_report.click(read_report, authed, report, **private)


def received_upload(path: str) -> Path:
    """`path` if it is a file Gradio itself received (in its upload folder), else UploadRejected.

    Gradio checks this too, but only for Blocks that were launched; mounted with gr.mount_gradio_app it skips
    the check, and a caller could name any server file (issue: /etc/… copied into data/). app.py turns Gradio's
    check on; this one holds either way.
    """
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(Path(get_upload_folder()).resolve()) or not resolved.is_file():
        raise UploadRejected(f"{Path(path).name}：不是通过本页面上传的文件")
    return resolved
