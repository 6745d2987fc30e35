"""`python -m bench [--quick] [--scale N]`: ingest, query, server and scale figures beside their targets and the
plain LangChain baseline; writes bench/results.json and prints a table. Measurements only — nothing fails.

Steps run in order and results.json is rewritten after each, so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench import runs
from bench.documents import document_figures
from bench.machine import cpu_info
from bench.printing import missing_cjk_font
from bench.questions import timing_questions
from bench.report import table
from settings import Settings

RESULTS = Path(__file__).with_name("results.json")
REPEATED_QUESTIONS = 200  # timed again as repeats: their query vectors fit the default cache (1,024)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the scale run")
    parser.add_argument("--scale", type=int, default=20, help="size of the synthetic corpus, × the real one")
    parser.add_argument("--server-seconds", type=float, default=15, help="per concurrency level (bounded)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    results: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "cpu": cpu_info()},
        # Other work on the machine skews every figure: the load average says how busy it was.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }

    def save(step: str) -> None:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"[bench] {step} done", file=sys.stderr, flush=True)

    missing = missing_cjk_font()
    if missing:  # said now, not after the ingest and latency runs
        print(f"[bench] warning: {missing}; the printed-document figures will be skipped", file=sys.stderr, flush=True)
    chat, hotline = timing_questions()
    results["questions"] = {"chat": len(chat), "hotline": len(hotline)}
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-", ignore_cleanup_errors=True) as tmp:
        workdir = Path(tmp)
        data = runs.copy_corpus(Settings.from_env().data_dir, workdir / "data")
        settings = runs.bench_settings(workdir, data)

        ingest, embeddings = runs.cold_ingest(settings)
        results["engine"] = embeddings.engine
        results["ingest"] = ingest
        ingest.update(runs.reingest_unchanged(settings, embeddings))
        ingest.update(runs.cached_ingest(settings, embeddings))
        save("cold, no-change and cached ingest")
        results["engines"] = runs.engine_comparison(settings, chat)
        save("engine comparison")
        base, baseline = runs.baseline_ingest(data, embeddings)
        ingest.update(base)
        save("baseline ingest")

        results["query"] = {"baseline": runs.baseline_latency(baseline, chat, k=settings.top_k, embeddings=embeddings)}
        baseline.close()
        try:
            assistant = runs.open_assistant(settings, embeddings)
        except ImportError as exc:  # rag not installed yet: the other figures still mean something
            results["query"]["error"] = f"rag.Assistant unavailable: {exc}"
            assistant = None
        if assistant is not None:
            results["query"]["chat"] = runs.query_latency(assistant, chat, "chat", embeddings=embeddings)
            # Repeats of fewer questions than the query cache holds: all 532 with their parts and English
            # pseudo-queries are ~1,180 texts, a cycle a 1,024-entry least-recently-used cache never hits.
            results["query"]["chat_repeated"] = runs.query_latency(assistant, chat[:REPEATED_QUESTIONS], "chat",
                                                                   embeddings=embeddings, repeated=True)
            results["bm25"] = runs.bm25_comparison(assistant.index, chat)
            results["query"]["hotline"] = runs.query_latency(assistant, hotline, "hotline", embeddings=embeddings)
            results["query"]["chat_dense"] = runs.query_latency(assistant, chat, "chat", retrieval="dense",
                                                                embeddings=embeddings)
            results["query"]["chat_bm25"] = runs.query_latency(assistant, chat, "chat", retrieval="bm25",
                                                               embeddings=embeddings)
            results["profile"] = runs.profile_queries(assistant, chat, "chat")
            results["query"]["embedding"] = runs.query_embedding_figures(settings, chat, hotline)
        save("query latency")

        ingest.update(runs.reingest_one_changed(settings, embeddings))
        save("one-file-changed ingest")

        results["documents"] = document_figures(data, workdir / "printed")
        save("printed and scanned documents")

        if assistant is not None:
            results["server"] = runs.server_figures(settings, workdir, chat, hotline, args.server_seconds)
            save("server")

        if not args.quick and assistant is not None:
            results["scale"] = runs.scale_run(args.scale, workdir, embeddings, chat, hotline)
            save("scale run")

    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    save("all")
    print(table(results))
    print(f"\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
