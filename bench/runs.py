"""The benchmark steps. Each returns plain dicts of figures (seconds, milliseconds, MB) for results.json."""

from __future__ import annotations

import cProfile
import io
import pstats
import shutil
import time
from pathlib import Path

from bench.stats import latency_summary, memory_mb, timed
from settings import ROOT, Settings

APPENDED = "\n本办法（措施）执行中的具体问题，由发布机关负责解释。\n"


def bench_settings(workdir: Path, data_dir: Path, name: str = "index") -> Settings:
    """The project's settings, pointed at a copy of the data and a fresh index folder of the run's own, with no
    shipped vector cache: a build embeds every clause (`cached_ingest` measures the cache)."""
    return Settings.from_env().with_(data_dir=data_dir, index_dir=workdir / name,
                                     vector_cache=workdir / "no-vector-cache.npz")


def copy_corpus(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


# --- ingest --------------------------------------------------------------------------------------------


def cold_ingest(settings: Settings) -> tuple[dict, object]:
    """Model load plus a full build into an empty index folder. Must run before anything in this process
    loaded the model (imports are timed too). Returns (figures, the loaded embeddings)."""
    with timed() as load:
        from ingest.embeddings import load_embeddings

        embeddings = load_embeddings(settings)
        # The model loads lazily: force it inside the timed block, with a passage as `python -m ingest` would embed
        # (a question would set the ONNX encoder's passages on its one-thread question session).
        embeddings.embed_documents(["预热"])
    with timed() as build:
        from ingest.index import build_index

        report = build_index([settings.data_dir], settings, embeddings, progress=False)
    return {
        "cold_s": round(load.seconds + build.seconds, 2),
        "model_load_s": round(load.seconds, 2),
        "build_s": round(build.seconds, 2),
        "files": report.files,
        "documents": report.documents,
        "clauses": report.chunks,
        "embedded": report.embedded,
        "read_errors": len(report.errors),
    }, embeddings


def cached_ingest(settings: Settings, embeddings) -> dict:
    """A first build into a fresh index folder with the shipped vector cache, as on a fresh clone."""
    from ingest.index import build_index

    shipped = Settings.from_env().vector_cache
    fresh = settings.with_(index_dir=settings.index_dir.with_name("index-cached"), vector_cache=shipped)
    with timed() as t:
        report = build_index([settings.data_dir], fresh, embeddings, progress=False)
    return {"cached_build_s": round(t.seconds, 2), "cached_embedded": report.embedded,
            "cached_reused": report.reused}


def reingest_unchanged(settings: Settings, embeddings) -> dict:
    from ingest.index import build_index

    with timed() as t:
        report = build_index([settings.data_dir], settings, embeddings, progress=False)
    return {"noop_s": round(t.seconds, 3), "noop_nothing_changed": report.nothing_changed}


def reingest_one_changed(settings: Settings, embeddings) -> dict:
    """Append a sentence to the smallest file (a copy: data/ itself is never touched) and rebuild.

    Only a file whose documents sit in no other file is picked: changing one copy of a document that two files
    share currently makes the ingest fail (duplicate clause ids — reported as a bug in ingest/pipeline.py)."""
    from ingest.index import build_index, open_index
    from ingest.pipeline import collect_files

    shared = {name for doc in open_index(settings).documents if len(doc["source_files"]) > 1
              for name in doc["source_files"]}
    candidates = [p for p in collect_files([settings.data_dir]) if p.name not in shared]
    changed = min(candidates, key=lambda p: p.stat().st_size)
    with open(changed, "a", encoding="utf-8") as handle:
        handle.write(APPENDED)
    with timed() as t:
        report = build_index([settings.data_dir], settings, embeddings, progress=False)
    return {"changed_s": round(t.seconds, 2), "changed_file": changed.name, "changed_embedded": report.embedded,
            "changed_reused": report.reused}


def baseline_ingest(data_dir: Path, embeddings):
    """The plain LangChain pipeline (500/50 character chunks, same model, Chroma) over the same files."""
    from eval.baselines import PlainLangChainBaseline

    with timed() as t:
        baseline = PlainLangChainBaseline([data_dir], embeddings)
    return {"baseline_build_s": round(t.seconds, 2), "baseline_chunks": len(baseline.chunks)}, baseline


# --- queries -------------------------------------------------------------------------------------------


def open_assistant(settings: Settings, embeddings):
    from ingest.index import open_index
    from rag.runtime import make_assistant

    return make_assistant(settings, embeddings, open_index(settings))


def query_latency(assistant, questions: list[str], mode: str, retrieval: str = "hybrid", rounds: int = 2,
                  embeddings=None, repeated: bool = False) -> dict:
    """Warm latency of `assistant.ask`: every question once untimed, then `rounds` timed passes. Each timed
    question starts with an empty query-vector cache — a question not asked before — unless `repeated`."""
    for q in questions:
        assistant.ask(q, mode=mode, retrieval=retrieval)
    seconds = []
    refused = 0
    for _ in range(rounds):
        for q in questions:
            if embeddings is not None and not repeated:
                embeddings.clear_query_cache()
            start = time.perf_counter()
            answer = assistant.ask(q, mode=mode, retrieval=retrieval)
            seconds.append(time.perf_counter() - start)
            refused += answer.refused
    return {**latency_summary(seconds), "refused_share": round(refused / max(1, len(seconds)), 2)}


def baseline_latency(baseline, questions: list[str], k: int, rounds: int = 2, embeddings=None) -> dict:
    """Like `query_latency`: each timed question starts with an empty query-vector cache."""
    for q in questions:
        baseline.store.similarity_search_with_score(q, k=k)
    seconds = []
    for _ in range(rounds):
        for q in questions:
            if embeddings is not None:
                embeddings.clear_query_cache()
            start = time.perf_counter()
            baseline.store.similarity_search_with_score(q, k=k)
            seconds.append(time.perf_counter() - start)
    return latency_summary(seconds)


def profile_queries(assistant, questions: list[str], mode: str, top: int = 25) -> dict:
    """cProfile over one pass of the questions: the functions with the most cumulative and own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for q in questions:
        assistant.ask(q, mode=mode, retrieval="hybrid")
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt

    def rows(key: str) -> list[dict]:
        entries = sorted(stats.stats.items(), key=lambda kv: kv[1][3 if key == "cumulative" else 2], reverse=True)
        out = []
        for (filename, line, func), (_, calls, own, cumulative, _) in entries[:top]:
            out.append(
                {
                    "function": f"{_short(filename)}:{line}:{func}",
                    "calls": calls,
                    "own_s": round(own, 3),
                    "cumulative_s": round(cumulative, 3),
                    "share": round(cumulative / total, 3) if key == "cumulative" else round(own / total, 3),
                }
            )
        return out

    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
    return {
        "questions": len(questions),
        "total_s": round(total, 3),
        "by_cumulative": rows("cumulative"),
        "by_own": rows("own"),
        "text": text.getvalue(),
    }


def _short(filename: str) -> str:
    path = Path(filename)
    if path.is_relative_to(ROOT) and ".venv" not in path.parts:
        return path.relative_to(ROOT).as_posix()
    parts = path.parts
    return "/".join(parts[parts.index("site-packages") + 1 :]) if "site-packages" in parts else filename


# --- server --------------------------------------------------------------------------------------------


def server_figures(settings: Settings, workdir: Path, chat: list[str], hotline: list[str], seconds: float) -> dict:
    """Start the real server over the built index, drive it with 1, 4 and 8 clients, then read its peak RSS."""
    from bench.server import asking, drive, first_answer_seconds, running_server

    out: dict = {"throughput": {}}
    started = time.perf_counter()
    with running_server(settings, workdir) as server:
        out["startup_s"] = round(time.perf_counter() - started, 1)
        out["idle"] = memory_mb(server.pid)
        out["first_answer_s"] = round(first_answer_seconds(server.url, chat[0]), 1)
        drive(server.url, 1, asking(chat, hotline), max_requests=len(chat), max_seconds=seconds)  # warm-up
        for clients in (1, 4, 8):
            run = drive(server.url, clients, asking(chat, hotline), max_requests=200, max_seconds=seconds)
            out["throughput"][str(clients)] = {
                "requests_per_s": round(run.throughput, 2),
                **latency_summary(run.latencies),
                "errors": len(run.errors),
                "first_errors": run.errors[:3],
            }
        out.update(memory_mb(server.pid))
    return out


# --- scale ---------------------------------------------------------------------------------------------


def scale_run(factor: int, workdir: Path, embeddings, chat: list[str], hotline: list[str]) -> dict:
    """Build and query a synthetic corpus `factor` times the real one (see bench.corpus)."""
    from bench.corpus import write_scaled_corpus
    from ingest.index import build_index
    from ingest.pipeline import collect_files, parse_corpus, scan_files

    base = Settings.from_env()
    real = parse_corpus(scan_files([base.data_dir]), base.max_clause_chars)
    data = workdir / f"scaled-{factor}x"
    write_scaled_corpus(collect_files([base.data_dir]), real.documents, data, factor)
    settings = bench_settings(workdir, data, name=f"index-{factor}x")
    with timed() as build:
        report = build_index([data], settings, embeddings, progress=True)
    assistant = open_assistant(settings, embeddings)
    return {
        "factor": factor,
        "documents": report.documents,
        "clauses": report.chunks,
        "build_s": round(build.seconds, 1),
        "chat": query_latency(assistant, chat, "chat", embeddings=embeddings),
        "hotline": query_latency(assistant, hotline, "hotline", embeddings=embeddings),
    }


def engine_comparison(settings: Settings, questions: list[str], sample_size: int = 192) -> dict:
    """Each embedding engine on the same clause texts and questions, beside the PyTorch fp32 baseline measured
    in the same run: passages per second, query p50, and the cosine of each engine's vectors to the baseline's.

    The sample takes clauses evenly spaced by length from the shortest to the longest, so it has the corpus's mix
    of short and long texts (every n-th clause cut at `sample_size` left out the longest sixth)."""
    import numpy as np

    from ingest.embeddings import ENGINES, PolicyEmbeddings
    from ingest.pipeline import parse_corpus, scan_files

    clauses = sorted(parse_corpus(scan_files([settings.data_dir]), settings.max_clause_chars).clauses,
                     key=lambda c: len(c.embed_text))
    picked = sorted(set(np.linspace(0, len(clauses) - 1, min(sample_size, len(clauses))).round().astype(int)))
    texts = [clauses[i].embed_text for i in picked]
    out: dict = {"passages": len(texts), "queries": len(questions)}
    reference = None
    for engine in ENGINES:
        model = PolicyEmbeddings(settings.embedding_model, cache_dir=settings.cache_dir, engine=engine,
                                 batch_size=settings.embed_batch_size, precision="fp32", query_cache_size=0)
        with timed() as load:  # a passage, not a question: a question would move ONNX passages to its one thread
            model.embed_documents(["预热"])
        with timed() as passages:
            vectors = np.asarray(model.embed_documents(texts))
        seconds = []
        for q in questions:
            start = time.perf_counter()
            model.embed_query(q)
            seconds.append(time.perf_counter() - start)
        reference = vectors if reference is None else reference
        cosines = (vectors * reference).sum(axis=1)
        out[engine] = {
            "load_s": round(load.seconds, 1),
            "passages_s": round(passages.seconds, 1),
            "passages_per_s": round(len(texts) / passages.seconds, 1),
            "query_p50_ms": latency_summary(seconds)["p50_ms"],
            "cosine_min": round(float(cosines.min()), 5),
            "cosine_mean": round(float(cosines.mean()), 5),
        }
    return out


def bm25_comparison(index, questions: list[str], rounds: int = 5) -> dict:
    """Scoring every clause for each question: rank-bm25's BM25Okapi (the baseline) against ours."""
    from rank_bm25 import BM25Okapi

    from ingest.tokenize import tokenize
    from rag.retrievers import PostingsBM25

    corpus = [index.tokens.get(cid) or ["∅"] for cid in index.clauses]
    queries = [tokenize(q) for q in questions]
    out = {}
    for name, model in (("rank_bm25", BM25Okapi(corpus)), ("ours", PostingsBM25(corpus))):
        seconds = []
        for _ in range(rounds):
            for tokens in queries:
                start = time.perf_counter()
                model.get_scores(tokens)
                seconds.append(time.perf_counter() - start)
        out[name] = latency_summary(seconds)
    return out


def query_embedding_figures(settings: Settings, chat: list[str], hotline: list[str], seconds: float = 4) -> dict:
    """Two choices behind the query path, each beside its alternative in this run (alternated, so both see the
    same load): questions on one ONNX Runtime thread each, as many passes at once as there are cores, against
    every core on one pass at a time (forward passes per second with 8 threads asking, as a busy server does,
    and a lone question's p50); and a hotline message's queries one pass each side by side, against one pass
    each in turn on every core, and against one padded batch."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from ingest.embeddings import OnnxEncoder, materialise_e5, materialise_onnx, resolve_engine
    from rag.modes import MODES, Turn

    engine = resolve_engine(settings.embed_engine)
    if engine == "torch" or settings.embedding_model != "multilingual-e5-small":
        return {"skipped": f"engine {engine}"}
    cores = os.cpu_count() or 1
    checkpoint = materialise_e5(settings.cache_dir)
    onnx_file = materialise_onnx(checkpoint, engine)
    encoders = {"side_by_side": (OnnxEncoder(checkpoint, onnx_file), cores),
                "one_at_a_time": (OnnxEncoder(checkpoint, onnx_file, question_threads=cores), 1)}
    out: dict = {"threads": {}, "lone_query": {}, "cores": cores}
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    lone: dict[str, list[float]] = {name: [] for name in encoders}
    for encoder, _ in encoders.values():
        encoder.encode(chat[:2], "query", question=True)
    for _ in range(2):
        for name, (encoder, at_once) in encoders.items():
            rates[name].append(_passes_per_second(encoder, chat, threads=8, seconds=seconds, at_once=at_once))
    for q in chat:
        for name, (encoder, _) in encoders.items():
            start = time.perf_counter()
            encoder.encode([q], "query", question=True)
            lone[name].append(time.perf_counter() - start)
    for name in encoders:
        out["threads"][name] = round(sum(rates[name]) / len(rates[name]), 1)
        out["lone_query"][name] = latency_summary(lone[name])
    single, every_core = encoders["side_by_side"][0], encoders["one_at_a_time"][0]
    side, turns, batch = [], [], []
    mode = MODES["hotline"]
    with ThreadPoolExecutor(max_workers=cores) as pool:
        for message in hotline:
            queries = mode.queries(Turn(message, mode, query=message, questions=mode.questions(message)))
            start = time.perf_counter()
            list(pool.map(lambda q: single.encode([q], "query", question=True), queries))
            side.append(time.perf_counter() - start)
            start = time.perf_counter()
            for q in queries:
                every_core.encode([q], "query", question=True)
            turns.append(time.perf_counter() - start)
            start = time.perf_counter()
            every_core.encode(queries, "query", question=True)
            batch.append(time.perf_counter() - start)
    out["hotline_queries"] = {"side_by_side": latency_summary(side), "one_pass_each": latency_summary(turns),
                              "one_batch": latency_summary(batch)}
    return out


def _passes_per_second(encoder, questions: list[str], threads: int, seconds: float, at_once: int = 1) -> float:
    """Single-question forward passes per second with `threads` threads calling the encoder, `at_once` of them
    at a time (the model's gate admits as many in the server)."""
    import threading

    gate, lock, count = threading.Semaphore(at_once), threading.Lock(), [0]
    deadline = time.monotonic() + seconds

    def ask(offset: int) -> None:
        for i in range(offset, 10**9, threads):
            if time.monotonic() > deadline:
                return
            with gate:
                encoder.encode([questions[i % len(questions)]], "query", question=True)
            with lock:
                count[0] += 1

    workers = [threading.Thread(target=ask, args=(n,)) for n in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return count[0] / (time.perf_counter() - start)
