"""`python -m bench.load`: 8 concurrent clients for 60 s against the server — questions, hotline messages and
👍/👎 feedback — then errors, latency percentiles and lost feedback (rows counted in the SQLite store).

Without --url it starts the real server itself (`python app.py` over copies of the configured data and index,
with a feedback store of its own) and reports the server's peak RSS too, and a re-index under load: one new
document (a varied copy of the corpus's largest, so every clause is embedded anew) is re-indexed once idle and
once while the clients ask, giving both re-index times and the requests served meanwhile. With --url it drives
a server already running on this machine; pass --feedback-db to have lost feedback counted. Only
127.0.0.1/localhost is ever targeted; every loop is bounded in time and count. Exit status 1 when any request
failed, a rating was lost, or the re-index under load took more than twice its idle time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import secrets
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.corpus import document_text
from bench.questions import timing_questions
from bench.server import Request, drive, first_answer_seconds, require_loopback, running_server
from bench.stats import latency_summary, memory_mb
from settings import Settings

MAX_REQUESTS_PER_CLIENT = 5000
REINDEX_SLOWDOWN_LIMIT = 2.0  # a re-index while 8 clients ask may take at most twice its idle time
REINDEX_FILE = "load_reindex.txt"


def mixed_requests(chat: list[str], hotline: list[str], run_id: str) -> Callable[[int], Iterator[Request]]:
    """Per client, in a cycle of five: three questions, one hotline message, one feedback post (tagged with
    the run id so the rows of this run can be counted afterwards)."""

    def requests(client: int) -> Iterator[Request]:
        for i in itertools.count():
            step = i % 5
            if step < 3:
                yield "ask", "POST", "/api/ask", {"question": chat[(client + i) % len(chat)]}, 200
            elif step == 3:
                yield "hotline", "POST", "/api/hotline", {"message": hotline[(client + i) % len(hotline)]}, 200
            else:
                body = {
                    "rating": "up" if i % 2 else "down",
                    "question": chat[(client + i) % len(chat)],
                    "answer": "负载测试",
                    "citations": [],
                    "comment": f"{run_id}:{client}:{i}",
                }
                yield "feedback", "POST", "/api/feedback", body, 201

    return requests


def stored_feedback(db: Path, run_id: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM feedback WHERE comment LIKE ?", (f"{run_id}:%",)).fetchone()[0]


def reindex_documents(data_dir: Path, settings: Settings) -> tuple[str, str, int]:
    """Two new versions (copies 1 and 2 in other cities) of the corpus's document with the most clauses, and its
    clause count: neither shares a clause text with the index, so each re-index embeds all of them."""
    from ingest.pipeline import parse_corpus, scan_files

    corpus = parse_corpus(scan_files([data_dir]), settings.max_clause_chars)
    counts = Counter(c.doc_id for c in corpus.clauses)
    doc = max(corpus.documents, key=lambda d: counts[d.doc_id])
    return document_text(doc, 1), document_text(doc, 2), counts[doc.doc_id]


class Reindexer:
    """Writes a new document into the server's data folder and times POST /api/admin/reindex."""

    def __init__(self, url: str, data_dir: Path, password: str) -> None:
        self.url, self.path, self.auth = url, data_dir / REINDEX_FILE, ("admin", password)

    def run(self, text: str) -> tuple[float, float, float]:
        """(seconds taken, start, end on the time.monotonic clock)."""
        self.path.write_text(text, encoding="utf-8")
        start = time.monotonic()
        response = httpx.post(self.url + "/api/admin/reindex", auth=self.auth, timeout=1800)
        end = time.monotonic()
        response.raise_for_status()
        return end - start, start, end


def reindex_under_load(url: str, clients: int, seconds: float, requests, reindexer: Reindexer,
                       versions: tuple[str, str]) -> tuple[object, dict]:
    """The idle re-index, then the timed client run with the second re-index started a few seconds in."""
    idle, _, _ = reindexer.run(versions[0])
    timing: dict = {}

    def during_load() -> None:
        time.sleep(min(5.0, seconds / 4))  # the clients are all asking by then
        timing["seconds"], timing["start"], timing["end"] = reindexer.run(versions[1])

    worker = threading.Thread(target=during_load, daemon=True)
    worker.start()
    run = drive(url, clients, requests, MAX_REQUESTS_PER_CLIENT, seconds)
    worker.join(1800)
    if "seconds" not in timing:
        return run, {"reindex_idle_s": round(idle, 1), "reindex_loaded_s": None}
    served = sum(timing["start"] <= t <= timing["end"] for t in run.finished)
    return run, {
        "reindex_idle_s": round(idle, 1),
        "reindex_loaded_s": round(timing["seconds"], 1),
        "reindex_slowdown": round(timing["seconds"] / idle, 2),
        "requests_during_reindex": served,
        "requests_per_s_during_reindex": round(served / timing["seconds"], 2),
        "reindex_ended_before_clients_stopped": bool(run.finished) and timing["end"] <= max(run.finished),
    }


def load(url: str, clients: int, seconds: float, feedback_db: Path | None, pid: int | None,
         reindex: tuple[Reindexer, tuple[str, str], int] | None = None) -> dict:
    chat, hotline = timing_questions()
    run_id = f"load-{int(time.time())}"
    first = first_answer_seconds(url, chat[0])
    requests = mixed_requests(chat, hotline, run_id)
    reindexing: dict = {}
    if reindex is None:
        run = drive(url, clients, requests, MAX_REQUESTS_PER_CLIENT, seconds)
    else:
        reindexer, versions, clauses = reindex
        run, reindexing = reindex_under_load(url, clients, seconds, requests, reindexer, versions)
        reindexing["reindex_clauses"] = clauses
    posted = run.counts.get("feedback", 0)
    report = {
        "url": url,
        "first_answer_s": round(first, 1),  # before the timed run: includes the model's lazy load
        "clients": clients,
        "seconds": round(run.seconds, 1),
        "requests_ok": len(run.latencies),
        "requests_per_s": round(run.throughput, 2),
        "by_kind": run.counts,
        **latency_summary(run.latencies),
        "errors": len(run.errors),
        "first_errors": run.errors[:5],
        "feedback_posted": posted,
        **reindexing,
    }
    if feedback_db is not None:
        stored = stored_feedback(feedback_db, run_id)
        report.update(feedback_stored=stored, feedback_lost=posted - stored)
    if pid is not None:
        report.update(memory_mb(pid))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server on this machine (default: start one)")
    parser.add_argument("--feedback-db", type=Path, help="its feedback.sqlite3, to count lost ratings")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64 or not 0 < args.seconds <= 600:
        parser.error("--clients must be 1..64 and --seconds at most 600")

    with ExitStack() as stack:
        reindex = None
        if args.url:
            url, db, pid = require_loopback(args.url), args.feedback_db, None
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="policyqa-load-")))
            settings = private_copies(Settings.from_env(), workdir)
            password = secrets.token_urlsafe(16)
            print("starting the server (indexing first if there is no index yet)…", file=sys.stderr, flush=True)
            server = stack.enter_context(
                running_server(settings, workdir, extra_env={"POLICYQA_ADMIN_PASSWORD": password})
            )
            url, db, pid = server.url, server.feedback_db, server.pid
            first, second, clauses = reindex_documents(settings.data_dir, settings)
            reindex = (Reindexer(url, settings.data_dir, password), (first, second), clauses)
        print(f"{args.clients} clients × {args.seconds:g} s against {url}", file=sys.stderr, flush=True)
        report = load(url, args.clients, args.seconds, db, pid, reindex)

    print(json.dumps(report, ensure_ascii=False, indent=1))
    print(
        f"\n{report['requests_ok']} ok, {report['errors']} errors, {report['requests_per_s']} req/s, "
        f"p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms; feedback posted {report['feedback_posted']}, "
        f"lost {report.get('feedback_lost', 'not checked (no --feedback-db)')}"
        + (f"; server peak RSS {report['peak_rss_mb']} MB" if "peak_rss_mb" in report else "")
    )
    slow = False
    if "reindex_idle_s" in report:
        loaded = report["reindex_loaded_s"]
        print(
            f"re-index of {report['reindex_clauses']} new clauses: {report['reindex_idle_s']} s idle, "
            + (f"{loaded} s under load ({report['reindex_slowdown']}×), {report['requests_during_reindex']} requests "
               f"served meanwhile" if loaded is not None else "did not finish while the clients asked")
        )
        slow = loaded is None or report["reindex_slowdown"] > REINDEX_SLOWDOWN_LIMIT
    return 1 if report["errors"] or report.get("feedback_lost") or slow else 0


def private_copies(settings: Settings, workdir: Path) -> Settings:
    """The configured data and index copied into `workdir`: the re-index measurement adds a file and rebuilds,
    which must not touch the developer's own corpus or index."""
    data, index = workdir / "data", workdir / "index"
    shutil.copytree(settings.data_dir, data)
    if settings.index_dir.is_dir():
        shutil.copytree(settings.index_dir, index, ignore=shutil.ignore_patterns(".ingest.lock"))
    return settings.with_(data_dir=data, index_dir=index)


if __name__ == "__main__":
    sys.exit(main())
