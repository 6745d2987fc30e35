"""Command line of the eval harness.

    python -m eval run --golden FILE [--k 10] [--out DIR] [--answerer extractive|llm] [--baselines]
                       [--history DIR] [--thresholds FILE] [--quiet]

Writes DIR/report.json, report.md (+ PNGs) and report.html; with --history, compares with the previous run
there and stores this run's summary as DIR/<timestamp>.json. Exit code: 0 when every threshold holds, 1 when
the gate fails (the broken rules are printed), 2 on a usage or setup error.

Tests call `main(argv, settings=..., assistant=fake, embeddings=fake)`: the fake replaces the real
`rag.Assistant` (same `ask` signature), the embeddings replace the model in the LangChain baseline.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from langchain_core.embeddings import Embeddings

from eval.baselines import PlainLangChainBaseline
from eval.gate import THRESHOLDS, check, gated_metrics, load_history, load_thresholds, regressions, run_stamp, save_summary
from eval.golden import load_golden
from eval.judge import judge_from_settings
from eval.report import markdown_table, systems_table, write_reports
from eval.runner import retrieval_baselines, run
from settings import ROOT, Settings


def main(argv: list[str] | None = None, *, settings: Settings | None = None, assistant=None,
         embeddings: Embeddings | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    settings = settings or Settings.from_env()
    try:
        golden = load_golden(args.golden)
        rules = load_thresholds(args.thresholds)
        run_settings = _answerer_settings(settings, args.answerer)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    progress = not args.quiet
    if assistant is None:
        from ingest.index import IndexBusy, IndexMissing

        embeddings = embeddings or _load_embeddings(run_settings)
        try:
            assistant = _real_assistant(run_settings, embeddings, progress)
        except (IndexBusy, IndexMissing, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    baselines, plain = {}, None
    if args.baselines:
        baselines = retrieval_baselines(assistant, args.k)
        print("indexing the plain LangChain baseline …", file=sys.stderr)
        indexing = time.perf_counter()
        plain = PlainLangChainBaseline([run_settings.data_dir], embeddings or _load_embeddings(run_settings))
        print(f"  {len(plain.chunks)} chunks in {time.perf_counter() - indexing:.0f} s", file=sys.stderr)
        baselines["langchain"] = lambda item: plain.ask(item, args.k)
    try:
        report = run(golden, assistant, k=args.k, baselines=baselines, judge=judge_from_settings(settings),
                     progress=progress)
    finally:
        if plain is not None:
            plain.close()

    history = load_history(args.history)
    previous = gated_metrics(history[-1][1]) if history else None
    summary = report["summary"]
    findings = check(gated_metrics(summary), previous, rules)
    regressed = regressions(gated_metrics(summary), previous, rules)
    stamp = run_stamp(datetime.now(timezone.utc))
    summary["meta"] = {
        "stamp": stamp,
        "golden": str(args.golden),
        "golden_sha256": hashlib.sha256(Path(args.golden).read_bytes()).hexdigest(),
        "n_items": len(golden),
        "answerer": "llm" if run_settings.llm_base_url else "extractive",
        "previous": history[-1][0] if history else None,
        "wall_seconds": time.perf_counter() - started,
    }
    summary["gate"] = {"passed": not findings, "failures": [f.describe() for f in findings]}
    written = write_reports(args.out, report, history, findings, regressed)
    if args.history is not None:
        save_summary(args.history, stamp, summary)

    print(markdown_table(systems_table(summary, previous, regressed)))
    print(f"\nreports: {', '.join(str(p) for p in written if p.suffix != '.png')}")
    if findings:
        print("\nGATE FAILED:")
        for finding in findings:
            print(f"  - {finding.describe()}")
        return 1
    print("\ngate passed")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval", description="Evaluate PolicyQA on a golden set.")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("run", help="run the golden set, write reports, apply the regression gate")
    p.add_argument("--golden", type=Path, required=True, help="golden JSONL file (docs: golden format)")
    p.add_argument("--k", type=int, default=10, help="clauses retrieved per question (default 10)")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "latest", help="report folder")
    p.add_argument("--answerer", choices=("extractive", "llm"), help="default: llm when an endpoint is configured")
    p.add_argument("--baselines", action="store_true", help="also run BM25-only, dense-only and plain LangChain")
    p.add_argument("--history", type=Path, help="folder of past run summaries to compare with and append to")
    p.add_argument("--thresholds", type=Path, default=THRESHOLDS, help="gate thresholds (TOML)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _answerer_settings(settings: Settings, answerer: str | None) -> Settings:
    """Extractive answers are forced by leaving the LLM endpoint out; an LLM run needs one configured."""
    if answerer == "extractive":
        return settings.with_(llm_base_url=None)
    if answerer == "llm" and not settings.llm_base_url:
        raise ValueError("--answerer llm needs POLICYQA_LLM_BASE_URL")
    return settings


def _load_embeddings(settings: Settings) -> Embeddings:
    from ingest.embeddings import load_embeddings

    return load_embeddings(settings)


def _real_assistant(settings: Settings, embeddings: Embeddings, progress: bool):
    """The assistant a user gets, over an index brought up to date with the data folder first (a no-op when
    nothing changed), so a nightly run always measures the current parser and corpus."""
    from rag.runtime import build_runtime

    return build_runtime(settings, embeddings=embeddings, update_index=True, progress=progress).assistant


if __name__ == "__main__":
    sys.exit(main())
