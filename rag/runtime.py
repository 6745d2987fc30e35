"""The composition root: settings in, the embedding model, the current index build and the assistant out.

The server (app.py), the eval harness and the benchmarks all assemble the pipeline here, so each of them
answers with exactly what a user gets. `Runtime.rebuild` re-indexes the data folder and `Runtime.refresh`
follows an ingest made by another process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from settings import Settings


@dataclass
class Runtime:
    settings: Settings
    embeddings: Any
    index: Any
    assistant: Any
    _stamp: Any = field(default=None, repr=False)

    def rebuild(self, progress: bool = True) -> Any:
        """Bring the index up to date with the data folder, then serve the new build; returns the ingest report."""
        from ingest.index import build_index

        report = build_index([self.settings.data_dir], self.settings, self.embeddings, progress=progress)
        self._serve(open_current(self.settings))
        return report

    def refresh(self) -> bool:
        """Reopen the index when another process replaced the manifest (a stat per call when nothing changed);
        True when a newer build is now served."""
        from ingest.index import manifest_stamp

        stamp = manifest_stamp(self.settings)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        if self.index.is_current():
            return False
        self._serve(open_current(self.settings))
        return True

    def _serve(self, index: Any) -> None:
        from ingest.index import manifest_stamp

        self.index = index
        self.assistant = make_assistant(self.settings, self.embeddings, index)
        self._stamp = manifest_stamp(self.settings)


def build_runtime(settings: Settings, *, embeddings: Any = None, index: Any = None, update_index: bool = False,
                  progress: bool = True) -> Runtime:
    """Everything a user-facing entry point needs. The index is built first when there is none yet (or brought
    up to date with the data folder when `update_index`); `embeddings` and `index` may be handed in (tests)."""
    from ingest.index import index_exists
    from ingest.tokenize import configure

    configure(settings.cache_dir / "jieba")
    if embeddings is None:
        from ingest.embeddings import load_embeddings

        embeddings = load_embeddings(settings)
    runtime = Runtime(settings, embeddings, index=None, assistant=None)
    if index is not None:
        runtime._serve(index)
    elif update_index or not index_exists(settings):
        runtime.rebuild(progress=progress)
    else:
        runtime._serve(open_current(settings))
    return runtime


def open_current(settings: Settings) -> Any:
    from ingest.index import open_index

    return open_index(settings)


def make_assistant(settings: Settings, embeddings: Any, index: Any) -> Any:
    """The assistant over one index build, with the LLM endpoint and reranker the settings configure."""
    from rag.assistant import Assistant
    from rag.llm import build_chat_model
    from rag.retrievers import load_reranker

    return Assistant(settings, index, embeddings, build_chat_model(settings), load_reranker(settings))
