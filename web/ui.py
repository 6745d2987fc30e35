"""The Gradio UI: 政策问答 (owners), 热线助手 (hotline staff), 政策库 (browse), 管理 (maintainers, login).

Handlers only translate between widgets and the services (`web.service.Services`); rendering lives in
`web.render`. A refused action raises `refuse(...)`: a Chinese message in the page, one line on the console.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from domain.jurisdiction import CITY, CITY_SHORT
from domain.validity import STATUSES as VALIDITY_STATUSES
from ingest.readers import READERS, suffix_list
from rag.types import Answer, TextDelta
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


CSS = """
.pq-badge{display:inline-block;padding:0 .45em;border-radius:.6em;font-size:.8em;font-weight:600;vertical-align:middle}
.pq-valid{background:#dcfce7;color:#166534}.pq-expired{background:#fee2e2;color:#991b1b}
.pq-unknown{background:#e5e7eb;color:#374151}
.pq-cite{border:1px solid #cbd5e1;border-radius:.6em;margin:.35em 0;background:#f8fafc}
.pq-cite>summary{cursor:pointer;padding:.4em .7em;list-style:none;font-weight:500}
.pq-cite>summary::-webkit-details-marker{display:none}
.pq-cite[open]>summary{border-bottom:1px solid #e2e8f0;background:#eff6ff}
.pq-n{color:#1d4ed8;font-weight:700}
.pq-clause{padding:.5em .8em}
.pq-meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(14em,1fr));gap:.1em 1em;margin:0 0 .5em;font-size:.9em}
.pq-meta div{display:flex;gap:.5em}.pq-meta dt{color:#64748b;white-space:nowrap}.pq-meta dd{margin:0}
.pq-text p,.pq-doc-clause p{margin:.25em 0;line-height:1.7}
.pq-units{margin-top:.4em;color:#0f766e;font-size:.9em}
.pq-validity{font-size:.9em;color:#475569}
.pq-empty{color:#64748b;padding:.5em}
.pq-heading{font-weight:600;margin:.3em 0}
.pq-hotline h4{margin:.8em 0 .3em}.pq-dept{font-size:1.15em;font-weight:600;color:#0f766e}
.pq-warn{background:#fff7ed;border-left:4px solid #f97316;padding:.3em .8em;border-radius:.3em}
.pq-refused{background:#f1f5f9;padding:.5em .8em;border-radius:.3em}
.pq-doc h3{margin:.2em 0 .5em}.pq-section{margin:1em 0 .3em;color:#1e3a8a}
.pq-doc-clause{padding:.4em 0;border-bottom:1px dashed #e2e8f0}.pq-label{font-weight:600;color:#1d4ed8}
mark{background:#fef08a}
#hotline-input textarea{font-size:1.05em}
#admin-login-box{max-width:28em}
@media (max-width:640px){.pq-meta{grid-template-columns:1fr}}
"""

# Ctrl+Enter (⌘+Enter) in the hotline paste box submits it; plain Enter keeps adding lines.
HEAD = """
<script>
document.addEventListener('keydown', function (e) {
  if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && e.target.closest && e.target.closest('#hotline-input')) {
    e.preventDefault();
    var button = document.querySelector('#hotline-submit');
    if (button) { button.click(); }
  }
});
</script>
"""


@dataclass
class Conversation:
    """One browser session's chat: clean turns for the assistant's history, and the latest answer for feedback."""

    turns: list[dict] = field(default_factory=list)  # {"role", "content"} with plain answer text
    bubbles: list[dict] = field(default_factory=list)  # what the Chatbot shows (answers with their 参考条款)
    answer: Answer | None = None


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
            gr.Examples(EXAMPLE_QUESTIONS, inputs=question, label="示例问题")
            with gr.Row():
                regenerate = gr.Button("重新生成", size="sm")
                clear = gr.Button("清空对话", size="sm")
            with gr.Accordion("评价最新回答", open=False):
                comment = gr.Textbox(placeholder="补充意见（可选）", show_label=False, lines=2, max_length=MAX_COMMENT_CHARS)
                with gr.Row():
                    up = gr.Button("👍 有用", size="sm", elem_id="feedback-up")
                    down = gr.Button("👎 没用", size="sm", elem_id="feedback-down")
                feedback_status = gr.Markdown()
        with gr.Column(scale=2, min_width=280):
            citations = gr.HTML(render.citations_panel(None), elem_id="citations")

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
        for event in services.answering.stream(message, history=state.turns[-2 * MAX_HISTORY_TURNS:]):
            if isinstance(event, TextDelta):
                shown += event.text
                yield asked + [{"role": "assistant", "content": render.verbatim(shown)}], gr.skip(), state, ""
            else:
                answer = event.answer
        state.turns = state.turns + [{"role": "user", "content": message}, {"role": "assistant", "content": answer.text}]
        state.bubbles = asked + [{"role": "assistant", "content": render.chat_message(answer)}]
        state.answer = answer
        yield state.bubbles, render.citations_panel(answer), state, ""

    def drop_last(state: Conversation, request: gr.Request):
        """Forget the last exchange and hand its question back for asking again."""
        if len(state.turns) < 2:
            raise refuse("还没有可以重新生成的回答", request)
        last_question = state.turns[-2]["content"]
        state.turns, state.bubbles = state.turns[:-2], state.bubbles[:-2]
        return state, last_question

    def reset():
        return [], render.citations_panel(None), Conversation(), ""

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
    pending = gr.Textbox(visible=False)
    regenerate.click(drop_last, conv, [conv, pending], api_visibility="private").success(
        ask, [pending, conv], outputs, api_visibility="private", concurrency_id="answer"
    )
    clear.click(reset, None, outputs, api_visibility="private")
    up.click(rate("up"), [comment, conv], [feedback_status, comment], api_visibility="private")
    down.click(rate("down"), [comment, conv], [feedback_status, comment], api_visibility="private")


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
            with gr.Row():
                analyse = gr.Button("分析（Ctrl+Enter）", variant="primary", elem_id="hotline-submit")
                clear = gr.Button("清空")
            gr.Examples([EXAMPLE_MESSAGE], inputs=message, label="示例诉求")
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

    gr.on(
        [analyse.click, message.submit], analyse_message, message, [script, masked, result], api_name="hotline"
    )
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
    with gr.Row():
        jurisdiction = gr.Dropdown([ALL], value=ALL, label="适用地区", min_width=140, elem_id="library-jurisdiction")
        kind = gr.Dropdown([ALL], value=ALL, label="文件类型", min_width=140, elem_id="library-kind")
        status = gr.Radio(STATUSES, value=ALL, label="有效性", min_width=240, elem_id="library-status")
    table = gr.Dataframe(
        headers=render.DOCUMENT_HEADERS,
        interactive=False,
        wrap=True,
        max_height=360,
        label="文件列表（点击一行阅读全文）",
        elem_id="library-table",
    )
    # allow_custom_value: API clients open a document by its id without loading the list first.
    document = gr.Dropdown([], label="阅读文件", elem_id="library-document", allow_custom_value=True)
    reader = gr.HTML(elem_id="library-reader")
    with gr.Row():
        keywords = gr.Textbox(
            placeholder="按关键词搜索条款，多个词用空格分隔", show_label=False, scale=5, max_length=MAX_SEARCH_CHARS
        )
        search = gr.Button("搜索条款", scale=1, min_width=100)
    hits = gr.HTML(elem_id="library-search")

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
            )
            upload = gr.Button("保存到数据目录")
            upload_status = gr.Markdown()
        with gr.Group():
            reindex = gr.Button("重新索引", variant="primary")
            reindex_status = gr.Markdown()
        with gr.Group():
            doomed = gr.Dropdown([], label="删除文件（删除其源文件并重新索引）")
            cascade = gr.Checkbox(label="源文件中还有其他文件时，一并删除", value=False)
            remove = gr.Button("删除并重新索引", variant="stop")
            remove_status = gr.Markdown()
        with gr.Accordion("最新评测报告", open=False):
            show_report = gr.Button("刷新报告", size="sm")
            report = gr.Markdown()

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
            return False, gr.update(), gr.update(), denied.reason, "", gr.update()
        return True, gr.update(visible=False), gr.update(visible=True), "", "", document_choices()

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
                lines.append(f"- ❌ {exc.reason}")
            else:
                lines.append(f"- ✅ {saved.name}（{saved.size // 1024} KB{'，已替换同名文件' if saved.replaced else ''}）"
                             + render.upload_findings(saved.report))
        return "\n".join(lines) + "\n\n上传完成后点击“重新索引”生效。", None

    # track_tqdm mirrors the ingest's tqdm bar (embedding progress) into the page.
    def rebuild(ok: bool, request: gr.Request, progress=gr.Progress(track_tqdm=True)):
        require(ok, request)
        try:
            summary = admin.reindex()
        except Busy as exc:
            raise refuse(str(exc), request) from exc
        return f"✅ 重新索引完成：{summary}", document_choices()

    def delete(ok: bool, doc_id: str | None, everything: bool, request: gr.Request,
               progress=gr.Progress(track_tqdm=True)):
        require(ok, request)
        if not doc_id:
            raise refuse("请先选择要删除的文件", request)
        try:
            removal = admin.remove_and_reindex(doc_id, cascade=everything)
        except UploadRejected as exc:
            return f"❌ {exc.reason}", gr.update()
        except Busy as exc:
            raise refuse(f"{exc}（未删除任何文件）", request) from exc
        titles = "、".join(f"《{d['doc_title']}》" for d in removal.documents)
        done = f"已删除源文件 {'、'.join(removal.files)}（{titles}）。\n\n✅ 重新索引完成：{removal.summary}"
        return done, document_choices()

    def read_report(ok: bool, request: gr.Request):
        require(ok, request)
        return admin.eval_report() or "尚无评测报告。运行 `make eval` 生成 `eval/reports/latest/report.md`。"

    private = {"api_visibility": "private"}
    gr.on([login.click, password.submit], sign_in, [user, password], [authed, login_box, panel, login_status, password, doomed], **private)
    logout.click(sign_out, None, [authed, login_box, panel], **private)
    upload.click(save, [authed, files], [upload_status, files], **private)
    reindex.click(rebuild, authed, [reindex_status, doomed], concurrency_limit=1, **private)
    remove.click(delete, [authed, doomed, cascade], [remove_status, doomed], concurrency_limit=1, **private)
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
