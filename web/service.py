"""The one object the UI and the API both talk to: the live assistant and clause index, the document library
views over that index, admin file operations, re-indexing, and the feedback store.

A re-index builds into the index folder while questions keep being answered by the assistant already loaded;
only when the build has finished is a fresh assistant opened and swapped in (one reference assignment under a
lock, so a request sees either the old pair or the new pair, never a mix).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from settings import ROOT, Settings
from web.feedback import FeedbackStore
from web.uploads import SavedUpload, UploadRejected, save_upload, source_paths

MAX_QUESTION_CHARS = 2000
MAX_MESSAGE_CHARS = 5000
EVAL_REPORT_DIR = ROOT / "eval" / "reports" / "latest"

# rebuild() -> (assistant, index, summary): index settings.data_dir anew and open what was built. Its progress
# is a tqdm bar (printed on the console; mirrored in the UI by gr.Progress(track_tqdm=True)).
Rebuild = Callable[[], tuple[Any, Any, str]]
# refresh(index) -> (assistant, index) over a newer build made by another process (the ingest CLI, another app
# worker sharing the index), or None while `index` is still the current build.
Refresh = Callable[[Any], tuple[Any, Any] | None]

STATUS_IN_FORCE = "有效"
STATUS_EXPIRED = "已过期"
STATUS_UNSTATED = "未注明有效期"


class Busy(Exception):
    """A re-index is already running."""


@dataclass
class Removal:
    doc_id: str
    files: list[str]  # file names deleted from the data folder
    documents: list[dict]  # every document those files held (the requested one and any others)


def flat_document(entry: dict) -> dict:
    """An index manifest's document entry (counts + nested `metadata`) as one flat dict: doc_title, doc_number,
    issuer, dates, jurisdiction, doc_kind, source_files, chunks …"""
    return {**entry.get("metadata", {}), **{k: v for k, v in entry.items() if k != "metadata"}}


def document_validity(doc: dict, today: date) -> tuple[str, bool]:
    """(badge text, expired) for a document's metadata: 有效 / 已过期 / 未注明有效期."""
    until = doc.get("valid_until")
    if not until:
        return STATUS_UNSTATED, False
    if date.fromisoformat(until) < today:
        return STATUS_EXPIRED, True
    return STATUS_IN_FORCE, False


class PolicyService:
    def __init__(self, settings: Settings, assistant: Any, index: Any, rebuild: Rebuild, feedback: FeedbackStore,
                 refresh: Refresh | None = None):
        self.settings = settings
        self._assistant = assistant
        self._index = index
        self._rebuild = rebuild
        self._refresh = refresh
        self.feedback = feedback
        self._swap = threading.Lock()
        self._reindexing = threading.Lock()

    # --- answering -------------------------------------------------------------------------------------------

    @property
    def assistant(self) -> Any:
        self._follow_other_ingests()
        with self._swap:
            return self._assistant

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

    @property
    def index(self) -> Any:
        with self._swap:
            return self._index

    def ask(self, question: str, history: list[dict] | None = None, filters: dict | None = None):
        return self._answer(lambda a: a.ask(question, history=history or None, mode="chat", filters=filters or None))

    def hotline(self, message: str):
        return self._answer(lambda a: a.ask(message, mode="hotline"))

    def stream(self, question: str, history: list[dict] | None = None, mode: str = "chat") -> Iterator[Any]:
        """The assistant's stream events: TextDeltas, then one FinalAnswer."""
        assistant, started = self.assistant, False
        try:
            for item in assistant.stream(question, history=history or None, mode=mode):
                started = True
                yield item
        except Exception:
            if started or not self._superseded(assistant):
                raise
            yield from self.assistant.stream(question, history=history or None, mode=mode)

    def _answer(self, call: Callable[[Any], Any]) -> Any:
        assistant = self.assistant
        try:
            return call(assistant)
        except Exception:
            if not self._superseded(assistant):
                raise
            return call(self.assistant)

    def _superseded(self, assistant: Any) -> bool:
        """Whether a failure may come from a re-index retiring the index `assistant` reads (a finished build
        deletes the previous one just before the new assistant is swapped in). Waits for that swap."""
        if assistant is not self.assistant:
            return True
        if not self.reindexing:
            return False
        with self._reindexing:  # the running re-index releases this after its swap
            return assistant is not self.assistant

    # --- library ---------------------------------------------------------------------------------------------

    def documents(self, jurisdiction: str | None = None, kind: str | None = None, status: str | None = None) -> list[dict]:
        """Indexed documents, each with its validity badge; optionally filtered (status: 有效/已过期/未注明有效期)."""
        today = self.settings.current_date()
        out = []
        for doc in map(flat_document, self.index.documents):
            badge, expired = document_validity(doc, today)
            if jurisdiction and doc.get("jurisdiction") != jurisdiction:
                continue
            if kind and doc.get("doc_kind") != kind:
                continue
            if status and badge != status:
                continue
            out.append({**doc, "validity": badge, "expired": expired})
        return out

    def document(self, doc_id: str) -> dict | None:
        return next((d for d in self.documents() if d["doc_id"] == doc_id), None)

    def document_clauses(self, doc_id: str) -> list[Any]:
        """A document's clauses in reading order (long clauses' windows in sequence)."""
        clauses = [c for c in self.index.clauses.values() if c.doc_id == doc_id]
        return sorted(clauses, key=lambda c: (c.line, int(c.window.split("/")[0])))

    def clause(self, clause_id: str) -> Any | None:
        return self.index.clauses.get(clause_id)

    def search_clauses(self, keywords: str, limit: int = 50) -> list[Any]:
        """Clauses whose citation or text contains every whitespace-separated keyword, in document order."""
        terms = keywords.split()
        if not terms:
            return []
        order = {d["doc_id"]: i for i, d in enumerate(self.index.documents)}
        hits = [
            c
            for c in self.index.clauses.values()
            if all(t in c.text or t in c.citation for t in terms)
        ]
        hits.sort(key=lambda c: (order.get(c.doc_id, len(order)), c.line, c.window))
        return hits[:limit]

    # --- admin -----------------------------------------------------------------------------------------------

    def upload(self, data: bytes, filename: str) -> SavedUpload:
        return save_upload(data, filename, self.settings.data_dir, self.settings.max_upload_mb)

    def remove_document(self, doc_id: str, cascade: bool = False) -> Removal:
        """Delete the files a document came from. A file holding other documents too is only deleted with
        `cascade`, since removing it removes them all (raises UploadRejected with status 409 otherwise)."""
        doc = self.document(doc_id)
        if doc is None:
            raise UploadRejected(f"没有这份文件：{doc_id}", status=404)
        paths = source_paths(doc.get("source_files", []), self.settings.data_dir)
        if not paths:
            raise UploadRejected(f"在数据目录中找不到《{doc['doc_title']}》的源文件", status=404)
        names = {p.name for p in paths}
        affected = [d for d in self.documents() if names & {Path(f).name for f in d.get("source_files", [])}]
        others = [d for d in affected if d["doc_id"] != doc_id]
        if others and not cascade:
            titles = "、".join(f"《{d['doc_title']}》" for d in others[:5]) + ("等" if len(others) > 5 else "")
            raise UploadRejected(
                f"源文件 {'、'.join(sorted(names))} 还包含另外 {len(others)} 份文件（{titles}），"
                "删除会一并移除；确认请勾选“一并删除”（API：cascade=true）",
                status=409,
            )
        for path in paths:
            path.unlink()
        return Removal(doc_id=doc_id, files=sorted(names), documents=affected)

    @property
    def reindexing(self) -> bool:
        return self._reindexing.locked()

    def reindex(self) -> str:
        """Rebuild the index from the data folder and swap in a fresh assistant; returns the build summary.
        Raises Busy when another re-index is running."""
        if not self._reindexing.acquire(blocking=False):
            raise Busy("正在重新索引，请稍后再试")
        try:
            assistant, index, summary = self._rebuild()
            with self._swap:
                self._assistant, self._index = assistant, index
            return summary
        finally:
            self._reindexing.release()

    def eval_report(self) -> str | None:
        """The latest eval report as Markdown, if `make eval` has written one."""
        path = EVAL_REPORT_DIR / "report.md"
        return path.read_text(encoding="utf-8") if path.is_file() else None
