"""Retrieval, answering and citations over the clause index. Entry point: `rag.Assistant`.

Imported lazily, so `from rag.types import Answer` (the web layer, eval) does not load the retrieval stack.
"""

from typing import TYPE_CHECKING

__all__ = ["Assistant"]

if TYPE_CHECKING:
    from rag.assistant import Assistant


def __getattr__(name: str):
    if name == "Assistant":
        from rag.assistant import Assistant

        return Assistant
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
