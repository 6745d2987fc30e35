"""`python -m bench.load`: 8 concurrent clients for 60 s against the server — questions, hotline messages and
👍/👎 feedback — then errors, latency percentiles and lost feedback (rows counted in the SQLite store).

Without --url it starts the real server itself (`python app.py` over the configured data and index, with a
feedback store of its own) and reports the server's peak RSS too. With --url it drives a server already
running on this machine; pass --feedback-db to have lost feedback counted. Only 127.0.0.1/localhost is ever
targeted; every loop is bounded in time and count. Exit status 1 when any request failed or a rating was lost.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

from bench.questions import timing_questions
from bench.server import Request, drive, first_answer_seconds, require_loopback, running_server
from bench.stats import latency_summary, memory_mb
from settings import Settings

MAX_REQUESTS_PER_CLIENT = 5000


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


def load(url: str, clients: int, seconds: float, feedback_db: Path | None, pid: int | None) -> dict:
    chat, hotline = timing_questions()
    run_id = f"load-{int(time.time())}"
    first = first_answer_seconds(url, chat[0])
    run = drive(url, clients, mixed_requests(chat, hotline, run_id), MAX_REQUESTS_PER_CLIENT, seconds)
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
        if args.url:
            url, db, pid = require_loopback(args.url), args.feedback_db, None
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="policyqa-load-")))
            print("starting the server (indexing first if there is no index yet)…", file=sys.stderr, flush=True)
            server = stack.enter_context(running_server(Settings.from_env(), workdir))
            url, db, pid = server.url, server.feedback_db, server.pid
        print(f"{args.clients} clients × {args.seconds:g} s against {url}", file=sys.stderr, flush=True)
        report = load(url, args.clients, args.seconds, db, pid)

    print(json.dumps(report, ensure_ascii=False, indent=1))
    print(
        f"\n{report['requests_ok']} ok, {report['errors']} errors, {report['requests_per_s']} req/s, "
        f"p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms; feedback posted {report['feedback_posted']}, "
        f"lost {report.get('feedback_lost', 'not checked (no --feedback-db)')}"
        + (f"; server peak RSS {report['peak_rss_mb']} MB" if "peak_rss_mb" in report else "")
    )
    return 1 if report["errors"] or report.get("feedback_lost") else 0


if __name__ == "__main__":
    sys.exit(main())
