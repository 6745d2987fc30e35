"""The assistant and clause index the server is answering from right now, and how they are replaced.

A re-index builds into the index folder while questions keep being answered by the assistant already loaded;
only when the build has finished is a fresh assistant opened and swapped in (one reference assignment under a
lock, so a request sees either the old pair or the new pair, never a mix). Every service reads the pair from
here; nothing else holds on to an assistant or an index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# rebuild() -> (assistant, index, summary): index settings.data_dir anew and open what was built. Its progress
# is a tqdm bar (printed on the console; mirrored in the UI by gr.Progress(track_tqdm=True)).
Rebuild = Callable[[], tuple[Any, Any, str]]
# refresh(index) -> (assistant, index) over a newer build made by another process (the ingest CLI, another app
# worker sharing the index), or None while `index` is still the current build.
Refresh = Callable[[Any], tuple[Any, Any] | None]


class Busy(Exception):
    """A re-index is already running (in this server, or an ingest in another process holds the index)."""


class LiveIndex:
    def __init__(self, assistant: Any, index: Any, rebuild: Rebuild, refresh: Refresh | None = None) -> None:
        self._assistant = assistant
        self._index = index
        self._rebuild = rebuild
        self._refresh = refresh
        self._swap = threading.Lock()
        self._reindexing = threading.Lock()

    @property
    def assistant(self) -> Any:
        self._follow_other_ingests()
        with self._swap:
            return self._assistant

    @property
    def index(self) -> Any:
        with self._swap:
            return self._index

    def _follow_other_ingests(self) -> None:
        """Switch to a newer build another process made: its ingest retires the build before last, which this
        worker would otherwise still be reading."""
        if self._refresh is None or self.reindexing:
            return
        with self._swap:
            index = self._index
        newer = self._refresh(index)
        if newer is not None:
            with self._swap:
                if self._index is index:
                    self._assistant, self._index = newer

    # --- using the assistant across a swap ---------------------------------------------------------------------

    def call(self, use: Callable[[Any], Any]) -> Any:
        """`use(assistant)`, retried once on the new assistant when a re-index retired the old one under it."""
        assistant = self.assistant
        try:
            return use(assistant)
        except Exception:
            if not self._superseded(assistant):
                raise
            return use(self.assistant)

    def stream(self, use: Callable[[Any], Iterator[Any]]) -> Iterator[Any]:
        """The items of `use(assistant)`; retried on the new assistant only if it failed before its first item."""
        assistant, started = self.assistant, False
        try:
            for item in use(assistant):
                started = True
                yield item
        except Exception:
            if started or not self._superseded(assistant):
                raise
            yield from use(self.assistant)

    def _superseded(self, assistant: Any) -> bool:
        """Whether a failure may come from a re-index retiring the index `assistant` reads (a finished build
        deletes the previous one just before the new assistant is swapped in). Waits for that swap."""
        if assistant is not self.assistant:
            return True
        if not self.reindexing:
            return False
        with self._reindexing:  # the running re-index releases this after its swap
            return assistant is not self.assistant

    # --- re-indexing ---------------------------------------------------------------------------------------------

    @property
    def reindexing(self) -> bool:
        return self._reindexing.locked()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the re-index turn (Busy when it is taken): for work that must not overlap a re-index, such as
        deleting source files before re-indexing them away."""
        if not self._reindexing.acquire(blocking=False):
            raise Busy("正在重新索引，请稍后再试")
        try:
            yield
        finally:
            self._reindexing.release()

    def rebuild_held(self) -> str:
        """Rebuild and swap in the result; the caller holds `exclusive()`. Returns the build summary."""
        assistant, index, summary = self._rebuild()
        with self._swap:
            self._assistant, self._index = assistant, index
        return summary
