"""Answering: questions (政策问答) and hotline messages (热线助手) through the live assistant.

`stream` is the one place the web layer consumes `assistant.stream`; the UI and the OpenAI-compatible endpoint
read its items (text deltas, then the final Answer).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from web.live import LiveIndex


class AnsweringService:
    def __init__(self, live: LiveIndex) -> None:
        self.live = live

    def ask(self, question: str, history: list[dict] | None = None, filters: dict | None = None) -> Any:
        return self.live.call(lambda a: a.ask(question, history=history or None, mode="chat", filters=filters or None))

    def hotline(self, message: str) -> Any:
        return self.live.call(lambda a: a.ask(message, mode="hotline"))

    def stream(self, question: str, history: list[dict] | None = None, mode: str = "chat") -> Iterator[Any]:
        """Text deltas (str), then the final Answer."""
        return self.live.stream(lambda a: a.stream(question, history=history or None, mode=mode))
