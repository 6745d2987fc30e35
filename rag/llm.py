"""The LLM side: a LangChain chat model against any OpenAI-compatible endpoint, prompts read from `prompts/`,
and the chains that answer, write hotline reply scripts and rewrite follow-up questions.

Every failure of the endpoint (refused connection, timeout, HTTP 500, a body that is not the OpenAI wire
format) surfaces here as `LLMUnavailable`; the assistant then answers extractively and says so.
"""

from __future__ import annotations

import contextvars
import queue
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from domain.jurisdiction import jurisdiction_of
from ingest.model import Clause
from rag.types import Citation
from settings import ROOT, Settings

PROMPTS_DIR = ROOT / "prompts"
NOTICE_UNAVAILABLE = "大模型服务不可用，已改用摘录式回答"
NOTICE_TIMEOUT = "大模型服务超时，已改用摘录式回答"
NOTICE_UNCITED = "大模型回答未给出有效引用，已改用摘录式回答"
NOTICE_REWRITE_FAILED = "大模型改写追问失败，已按上一问题补全主题"


class LLMUnavailable(RuntimeError):
    """The endpoint failed, timed out or answered with something that is not a chat completion."""

    def __init__(self, notice: str, cause: BaseException | None = None) -> None:
        super().__init__(f"{notice}: {cause!r}" if cause else notice)
        self.notice = notice


@cache
def load_prompt(name: str, prompts_dir: Path = PROMPTS_DIR) -> str:
    """A prompt file's text (`name` with its extension), read once per process."""
    return (prompts_dir / name).read_text(encoding="utf-8").strip()


def build_chat_model(settings: Settings, streaming: bool = True, max_retries: int = 0) -> BaseChatModel | None:
    """ChatOpenAI on `settings.llm_base_url`, or None when no endpoint is configured.

    No retries by default: a failing endpoint should cost one timeout, after which the extractive answer is given.
    """
    if not settings.llm_base_url:
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout,
        max_retries=max_retries,
        temperature=0,
        streaming=streaming,
    )


# Prompt layout against injection: clauses and user text sit between ⟦…｜nonce⟧ delimiters whose nonce is drawn
# per request and never shown to the user, so text typed into a question (or written into an uploaded document)
# cannot close its own block or open a clause block that looks like a real one. On top of that, delimiter glyphs
# in any inserted text are replaced, and [n] in user text becomes ［n］ so it cannot pass for a citation marker.
_DELIMITERS = str.maketrans({"⟦": "〔", "⟧": "〕"})
_MARKER = re.compile(r"\[(\s*\d+\s*)\]")


@dataclass(frozen=True)
class Context:
    """The clause blocks shown to the model, and the nonce their delimiters (and the user blocks) carry."""

    text: str
    nonce: str


def new_nonce() -> str:
    return secrets.token_hex(4)


def as_data(text: str) -> str:
    """Text inserted into a prompt, unable to forge a delimiter."""
    return text.translate(_DELIMITERS)


def user_text(text: str) -> str:
    """User-written text for a prompt: no delimiters, and no [n] that could pass for a citation marker."""
    return _MARKER.sub(r"［\1］", as_data(text))


def context_block(numbered: list[tuple[Citation, Clause]], nonce: str | None = None) -> Context:
    """The clauses shown to the model, each in its delimited block under its [n] with level, 文号, validity and
    departments."""
    nonce = nonce or new_nonce()
    template = load_prompt("context_block.txt")
    blocks = []
    for citation, clause in numbered:
        blocks.append(
            template.format(
                n=citation.n,
                nonce=nonce,
                citation=as_data(citation.citation),
                jurisdiction=as_data(jurisdiction_of(clause.doc)),
                doc_number=as_data(clause.doc.get("doc_number") or "未注明"),
                validity=as_data(citation.validity),
                units=as_data("、".join(citation.responsible_units) or "未注明"),
                text=as_data(clause.text),
            )
        )
    return Context("\n\n".join(blocks), nonce)


class LLMAnswerer:
    """The three LCEL chains (prompt | model | text) over one chat model."""

    def __init__(self, chat_model: BaseChatModel, timeout: float) -> None:
        self.chat_model = chat_model
        self.timeout = timeout
        parse = StrOutputParser()
        self.answer_chain = _prompt("answer_system.md", "answer_user.md") | chat_model | parse
        self.hotline_chain = _prompt("hotline_system.md", "hotline_user.md") | chat_model | parse
        self.rewrite_chain = (
            ChatPromptTemplate.from_messages([("human", load_prompt("followup_rewrite.md"))]) | chat_model | parse
        )

    def stream_answer(self, question: str, context: Context) -> Iterator[str]:
        inputs = {"question": user_text(question), "context": context.text, "nonce": context.nonce}
        yield from self._stream(self.answer_chain, inputs)

    def stream_reply_script(self, message: str, questions: list[str], context: Context) -> Iterator[str]:
        inputs = {
            "message": user_text(message),
            "questions": "\n".join(f"- {user_text(q)}" for q in questions),
            "context": context.text,
            "nonce": context.nonce,
        }
        yield from self._stream(self.hotline_chain, inputs)

    def rewrite(self, question: str, history: list[dict]) -> str:
        lines = "\n".join(
            f"{'用户' if t.get('role') == 'user' else '助手'}：{user_text(str(t.get('content', '')))}" for t in history
        )
        inputs = {"question": user_text(question), "history": lines, "nonce": new_nonce()}
        text = "".join(self._stream(self.rewrite_chain, inputs)).strip()
        first_line = text.splitlines()[0].strip().strip("“”\"'") if text else ""
        if not first_line:
            raise LLMUnavailable(NOTICE_REWRITE_FAILED)
        return first_line

    def _stream(self, chain, inputs: dict) -> Iterator[str]:
        """Text deltas; any endpoint failure, or a stream outlasting the timeout, becomes LLMUnavailable.

        The HTTP stream is read on a worker thread: leaving a LangChain stream early drains the rest of the
        response, so a trickling endpoint would hold the caller until it finished. Here the caller gives up at
        the deadline, and the worker stops at its next delta.
        """
        deadline = time.monotonic() + self.timeout
        events: queue.Queue[tuple[str, object]] = queue.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for delta in chain.stream(inputs):
                    if stop.is_set():
                        return
                    events.put(("delta", delta))
                events.put(("end", None))
            except Exception as exc:  # any client error: connection, timeout, HTTP status, undecodable body
                events.put(("error", exc))

        context = contextvars.copy_context()  # LangChain keeps its run configuration in context variables
        threading.Thread(target=context.run, args=(produce,), daemon=True, name="llm-stream").start()
        try:
            while True:
                try:
                    kind, value = events.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise LLMUnavailable(NOTICE_TIMEOUT) from None
                if kind == "end":
                    return
                if kind == "error":
                    raise LLMUnavailable(_notice_for(value), value) from value
                if value:
                    yield value
        finally:
            stop.set()


def _prompt(system_file: str, user_file: str) -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages([("system", load_prompt(system_file)), ("human", load_prompt(user_file))])


def _notice_for(exc: BaseException) -> str:
    name = type(exc).__name__.lower()
    return NOTICE_TIMEOUT if "timeout" in name else NOTICE_UNAVAILABLE
