"""LLM-judged metrics: faithfulness (the answer says only what its cited clauses say) and answer correctness
(it gives the reference answer's facts). Run only when an OpenAI-compatible endpoint is configured; the prompts
are files (`prompts/eval_judge_*.md`) so they can be tuned without touching code.
"""

from __future__ import annotations

import re
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate

from eval.golden import GoldenItem
from settings import ROOT, Settings

PROMPTS_DIR = ROOT / "prompts"
SKIPPED = "skipped (no LLM endpoint configured)"
_SCORE = re.compile(r"SCORE\s*[:：]\s*(\d+(?:\.\d+)?|\.\d+)", re.IGNORECASE)
_REASON = re.compile(r"REASON\s*[:：]\s*(.+)", re.IGNORECASE)


def parse_verdict(reply: str) -> tuple[float | None, str]:
    """(score in 0–1, reason) from a `SCORE: …` / `REASON: …` reply; score None when the reply has none."""
    score = _SCORE.search(reply)
    reason = _REASON.search(reply)
    value = float(score.group(1)) if score else None
    if value is not None and not 0.0 <= value <= 1.0:
        value = None
    return value, reason.group(1).strip() if reason else reply.strip()[:200]


class Judge:
    """Grades one answer at a time with a chat model (any LangChain chat model; tests pass a fake)."""

    def __init__(self, chat_model: BaseChatModel, prompts_dir: Path = PROMPTS_DIR) -> None:
        def chain(name: str):
            template = (prompts_dir / f"eval_judge_{name}.md").read_text(encoding="utf-8")
            return PromptTemplate.from_template(template) | chat_model | StrOutputParser()

        self._faithfulness = chain("faithfulness")
        self._correctness = chain("correctness")

    def grade(self, item: GoldenItem, answer_text: str, cited_texts: list[str], refused: bool) -> dict:
        """Per-item judge scores. Unanswerable items are left to the refusal metrics; a refusal of an
        answerable question is simply incorrect (and there is nothing to be faithful about)."""
        if not item.answerable:
            return {}
        if refused:
            return {"faithfulness": None, "answer_correctness": 0.0}
        clauses = "\n\n".join(f"[{n}] {text}" for n, text in enumerate(cited_texts, start=1)) or "(none)"
        faithfulness, why_faithful = self._ask(
            self._faithfulness, question=item.question, clauses=clauses, answer=answer_text
        )
        correctness, why_correct = self._ask(
            self._correctness,
            question=item.question,
            reference=item.answer,
            key_facts="; ".join(item.key_facts) or "(none listed)",
            answer=answer_text,
        )
        return {
            "faithfulness": faithfulness,
            "answer_correctness": correctness,
            "judge_reasons": {"faithfulness": why_faithful, "answer_correctness": why_correct},
        }

    @staticmethod
    def _ask(chain, **values) -> tuple[float | None, str]:
        # A judge outage must not sink the whole nightly run: the item gets no judge score and says why.
        try:
            return parse_verdict(chain.invoke(values))
        except Exception as exc:  # noqa: BLE001 — any client/transport error
            return None, f"judge error: {exc}"


def judge_from_settings(settings: Settings) -> Judge | None:
    """A judge on the configured endpoint, or None when no LLM endpoint is configured."""
    from rag.llm import build_chat_model

    # A nightly judge may retry once: unlike a user, it can afford to wait.
    chat = build_chat_model(settings, streaming=False, max_retries=1)
    return None if chat is None else Judge(chat)
