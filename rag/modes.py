"""How the assistant treats an input, one strategy per kind of user.

* `ChatMode` — an enterprise owner's question in the browser: a follow-up is rewritten from the history; a
  question longer than MAX_QUESTION_CHARS is refused with a notice.
* `HotlineMode` — a citizen's message pasted by 12345 staff: long, with a story around its question(s); the
  questions are found in it, each ranked on its own, and the answer carries a reply script (答复口径).

A mode decides how the input is prepared and split into questions, what is ranked, what the extractive
answerer scores against, how the reply and the refusal are phrased and which LLM prompt is used. A new mode
(an English frame, a 政策解读 summary) is one more class in MODES.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rag import hotline
from rag.answerability import Decision
from rag.citations import Departments, without_markers
from rag.extractive import Extract
from rag.types import Answer, Citation

# Who is responsible for what some cited clauses say about a question (the assistant's rag.citations.departments_of,
# which can read the clauses' documents).
DepartmentsOf = Callable[[list[Citation], str], Departments]

MAX_QUESTION_CHARS = 2000
NOTICE_TOO_LONG = f"问题超过{MAX_QUESTION_CHARS}字，请精简后再问；长篇来电内容请使用热线模式"
HOTLINE_QUERY_CHARS = 500  # e5 reads at most 512 tokens; a message's first 500 characters carry its topic


@dataclass
class Turn:
    """One input on its way through the pipeline."""

    masked: str  # the input as given, PII masked
    mode: "Mode"
    query: str  # what retrieval searches for (the standalone question when a follow-up was rewritten)
    questions: list[str] = field(default_factory=list)  # the questions found in the input
    standalone: str | None = None
    notices: list[str] = field(default_factory=list)


class Mode(Protocol):
    name: str
    uses_history: bool  # whether earlier turns can make this input a follow-up
    lists_questions: bool  # whether the answer lists the questions found in the input
    nouns_are_topics: bool  # whether the input's nouns are what it asks about (see Answerability.decide)

    def trim(self, text: str) -> tuple[str, str | None]: ...
    def length_problem(self, text: str) -> str | None: ...
    def questions(self, masked: str) -> list[str]: ...
    def queries(self, turn: Turn) -> list[str]: ...
    def asked(self, turn: Turn) -> str: ...
    def finish(self, answer: Answer, turn: Turn, extracts: list[Extract], citations: list[Citation],
               departments: DepartmentsOf | None = None, unheld: Sequence[str] = ()) -> None: ...
    def finish_refusal(self, answer: Answer, turn: Turn, decision: Decision, units: list[str]) -> None: ...
    def stream_llm(self, llm, turn: Turn, context: str) -> Iterator[str]: ...
    def finish_llm(self, answer: Answer, text: str) -> None: ...


def _with_questions(whole: str, questions: list[str]) -> list[str]:
    """Rank the whole input and, when it holds sentences around its question(s), each question alone: a
    focused question is not drowned by the caller's story, or by text appended to it."""
    return [whole] + [q for q in questions if q.strip() != whole.strip()]


class ChatMode:
    name = "chat"
    uses_history = True
    lists_questions = False
    nouns_are_topics = True

    def trim(self, text: str) -> tuple[str, str | None]:
        return text, None

    def length_problem(self, text: str) -> str | None:
        return NOTICE_TOO_LONG if len(text) > MAX_QUESTION_CHARS else None

    def questions(self, masked: str) -> list[str]:
        return []

    def queries(self, turn: Turn) -> list[str]:
        return _with_questions(turn.query, hotline.find_questions(turn.query))

    def asked(self, turn: Turn) -> str:
        return turn.query

    def finish(self, answer: Answer, turn: Turn, extracts: list[Extract], citations: list[Citation],
               departments: DepartmentsOf | None = None, unheld: Sequence[str] = ()) -> None:
        pass

    def finish_refusal(self, answer: Answer, turn: Turn, decision: Decision, units: list[str]) -> None:
        pass

    def stream_llm(self, llm, turn: Turn, context: str) -> Iterator[str]:
        return llm.stream_answer(turn.query, context)

    def finish_llm(self, answer: Answer, text: str) -> None:
        pass


class HotlineMode:
    name = "hotline"
    uses_history = False
    lists_questions = True
    nouns_are_topics = False  # a caller describes a situation: 体育馆, 交通卡 are its setting, not its topic

    def trim(self, text: str) -> tuple[str, str | None]:
        return hotline.truncate_message(text)

    def length_problem(self, text: str) -> str | None:
        return None  # trimmed instead

    def questions(self, masked: str) -> list[str]:
        return hotline.find_questions(masked)

    def queries(self, turn: Turn) -> list[str]:
        return _with_questions(turn.masked[:HOTLINE_QUERY_CHARS], turn.questions)

    def asked(self, turn: Turn) -> str:
        return "\n".join(turn.questions)

    def finish(self, answer: Answer, turn: Turn, extracts: list[Extract], citations: list[Citation],
               departments: DepartmentsOf | None = None, unheld: Sequence[str] = ()) -> None:
        by_id = {c.id: c for c in citations}
        answer.reply_script = hotline.reply_script(turn.questions, extracts, by_id, answer.responsible_units,
                                                   departments, unheld)

    def finish_refusal(self, answer: Answer, turn: Turn, decision: Decision, units: list[str]) -> None:
        answer.reply_script = hotline.refusal_script(turn.questions, decision, units)

    def stream_llm(self, llm, turn: Turn, context: str) -> Iterator[str]:
        return llm.stream_reply_script(turn.masked, turn.questions, context)

    def finish_llm(self, answer: Answer, text: str) -> None:
        answer.reply_script = without_markers(text)  # read out by staff: the markers were for checking


MODES: dict[str, Mode] = {mode.name: mode for mode in (ChatMode(), HotlineMode())}
