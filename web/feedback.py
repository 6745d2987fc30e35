"""👍/👎 feedback on answers, kept in a small SQLite file for maintainers to review.

The question and the comment are a citizen's or an operator's own words: phone and ID numbers, names and
addresses in them are masked (rag.privacy) before the row is written, whoever calls `add`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from rag.privacy import mask_pii

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    mode TEXT NOT NULL DEFAULT 'chat'
)
"""


class FeedbackStore:
    """One row per rating. WAL mode so the UI and API threads can write while someone reads the file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the server's worker threads; the lock serialises its use.
        self._conn = sqlite3.connect(self.path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()

    def add(
        self,
        rating: str,
        question: str,
        answer: str,
        citations: list[str],
        comment: str = "",
        mode: str = "chat",
    ) -> int:
        """Store one rating ('up' or 'down'); returns its row id."""
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        row = (
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
            rating,
            mask_pii(question),
            answer,
            json.dumps(citations, ensure_ascii=False),
            mask_pii(comment.strip()),
            mode,
        )
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO feedback (created_at, rating, question, answer, citations, comment, mode)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            self._conn.commit()
            return int(cur.lastrowid)

    def recent(self, limit: int = 50) -> list[dict]:
        """The newest ratings first, as dicts (citations decoded)."""
        with self._lock:
            self._conn.row_factory = sqlite3.Row
            rows = self._conn.execute("SELECT * FROM feedback ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
            self._conn.row_factory = None
        return [{**dict(r), "citations": json.loads(r["citations"])} for r in rows]

    def journal_mode(self) -> str:
        with self._lock:
            return self._conn.execute("PRAGMA journal_mode").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
