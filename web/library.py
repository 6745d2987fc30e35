"""The 政策库: the documents and clauses of the live index, with validity judged on the configured date."""

from __future__ import annotations

from typing import Any

from domain.validity import EXPIRED, status_of
from ingest.clauses import whole_of
from settings import Settings
from web.live import LiveIndex

MAX_SEARCH_TERMS = 10


def flat_document(entry: dict) -> dict:
    """An index manifest's document entry (counts + nested `metadata`) as one flat dict: doc_title, doc_number,
    issuer, dates, jurisdiction, doc_kind, source_files, chunks …"""
    return {**entry.get("metadata", {}), **{k: v for k, v in entry.items() if k != "metadata"}}


class LibraryService:
    def __init__(self, settings: Settings, live: LiveIndex) -> None:
        self.settings = settings
        self.live = live

    def documents(self, jurisdiction: str | None = None, kind: str | None = None, status: str | None = None) -> list[dict]:
        """Indexed documents, each with its validity badge; optionally filtered (status: 有效/已过期/未注明有效期)."""
        today = self.settings.current_date()
        out = []
        for doc in map(flat_document, self.live.index.documents):
            badge = status_of(doc, today)
            expired = badge == EXPIRED
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
        """A document's clauses in reading order, a long clause whole (not as the windows it is searched in)."""
        index = self.live.index
        firsts = [c for c in index.clauses.values() if c.doc_id == doc_id and c.window.startswith("1/")]
        return [whole_of(c, index.clauses) for c in sorted(firsts, key=lambda c: c.line)]

    def clause(self, clause_id: str) -> Any | None:
        """The clause with that id, whole: a window of a long clause opens as the clause it was cut from."""
        found = self.live.index.clauses.get(clause_id)
        return found and whole_of(found, self.live.index.clauses)

    def search_clauses(self, keywords: str, limit: int = 50) -> list[Any]:
        """Clauses whose citation or text contains every whitespace-separated keyword, in document order.
        Only the first MAX_SEARCH_TERMS keywords count: each is a scan of every clause."""
        terms = keywords.split()[:MAX_SEARCH_TERMS]
        if not terms:
            return []
        index = self.live.index
        order = {d["doc_id"]: i for i, d in enumerate(index.documents)}
        hits = [c for c in index.clauses.values() if all(t in c.text or t in c.citation for t in terms)]
        hits.sort(key=lambda c: (order.get(c.doc_id, len(order)), c.line, c.window))
        return hits[:limit]
