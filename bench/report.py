"""The printed table: each figure, its target, the baseline's figure and our/baseline ratio."""

from __future__ import annotations

import math

from bench.machine import describe


def _get(results: dict, *path: str):
    node = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _fmt(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:g} {unit}".strip()


def _verdict(value, limit: float | None) -> str:
    if value is None or limit is None:
        return ""
    return "ok" if value <= limit else "MISSED"


def rows(results: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, value, target, verdict, baseline, ratio) per line."""
    q, ing, srv, scale = (results.get(k, {}) for k in ("query", "ingest", "server", "scale"))
    base_q = _get(results, "query", "baseline", "p50_ms")
    out = []

    def add(name, value, unit, limit=None, baseline=None, target_text=None):
        ratio = f"{value / baseline:.2f}×" if value is not None and baseline else ""
        target = target_text or (f"≤ {limit:g} {unit}" if limit is not None else "")
        out.append((name, _fmt(value, unit), target, _verdict(value, limit), _fmt(baseline, unit) if baseline else "", ratio))

    engine = f"[{results.get('engine', '?')}]"
    add(f"cold ingest (model load + build) {engine}", ing.get("cold_s"), "s", 60)
    add("  of which model load", ing.get("model_load_s"), "s")
    add(f"  build with loaded model {engine}", ing.get("build_s"), "s", baseline=ing.get("baseline_build_s"))
    add("first build from the shipped vector cache", ing.get("cached_build_s"), "s", 60,
        baseline=ing.get("build_s"))
    add("  of which embedded (cache misses)", ing.get("cached_embedded"), "clauses")
    add("re-ingest, nothing changed", ing.get("noop_s"), "s", 1)
    add(f"re-ingest, one file changed {engine}", ing.get("changed_s"), "s")
    engines = results.get("engines") or {}
    torch_rate = _get(engines, "torch", "passages_per_s")
    for name in ("torch", "onnx", "onnx-int8"):
        figures = engines.get(name) or {}
        rate = figures.get("passages_per_s")
        speedup = f"{rate / torch_rate:.2f}× faster" if rate and torch_rate else ""
        out.append((f"embedding [{name}]: {engines.get('passages', '?')} passages", _fmt(rate, "/s"),
                    f"cos to torch ≥ {figures.get('cosine_min', '—')}", "", _fmt(torch_rate, "/s"), speedup))
        add(f"embedding [{name}]: query p50", figures.get("query_p50_ms"), "ms",
            baseline=_get(engines, "torch", "query_p50_ms"))
    bm25 = results.get("bm25") or {}
    add("BM25 scoring p50 per question (vs rank-bm25)", _get(bm25, "ours", "p50_ms"), "ms",
        baseline=_get(bm25, "rank_bm25", "p50_ms"))
    add(f"query p50, chat (hybrid, extractive) {engine}", _get(q, "chat", "p50_ms"), "ms", 40, baseline=base_q)
    add(f"query p95, chat (hybrid, extractive) {engine}", _get(q, "chat", "p95_ms"), "ms", 100,
        baseline=_get(q, "baseline", "p95_ms"))
    add("query p50, chat, question asked before (cached vector)", _get(q, "chat_repeated", "p50_ms"), "ms",
        baseline=_get(q, "chat", "p50_ms"))
    add(f"query p50, hotline {engine}", _get(q, "hotline", "p50_ms"), "ms", 60)
    add(f"query p95, hotline {engine}", _get(q, "hotline", "p95_ms"), "ms", 250)
    add("query p50, chat dense only", _get(q, "chat_dense", "p50_ms"), "ms", baseline=base_q)
    add("query p50, chat BM25 only", _get(q, "chat_bm25", "p50_ms"), "ms")
    qe = q.get("embedding") or {}
    add("query passes/s, 8 threads: one thread per pass, side by side (vs every core, one at a time)",
        _get(qe, "threads", "side_by_side"), "/s", baseline=_get(qe, "threads", "one_at_a_time"))
    add("embed a lone question p50: one thread (vs every core)", _get(qe, "lone_query", "side_by_side", "p50_ms"), "ms",
        baseline=_get(qe, "lone_query", "one_at_a_time", "p50_ms"))
    add("hotline queries side by side p50 (vs one pass each in turn)", _get(qe, "hotline_queries", "side_by_side",
        "p50_ms"), "ms", baseline=_get(qe, "hotline_queries", "one_pass_each", "p50_ms"))
    add("hotline queries in one batch p50 (vs one pass each in turn)", _get(qe, "hotline_queries", "one_batch",
        "p50_ms"), "ms", baseline=_get(qe, "hotline_queries", "one_pass_each", "p50_ms"))
    docs = results.get("documents", {})
    if docs.get("error"):
        add(docs["error"], None, "")
    for kind in ("pdf", "ofd"):
        if kind in docs:
            add(f"{kind.upper()} read back: documents", docs[kind]["documents"], "",
                target_text=f"{docs[kind]['documents_plain']} (plain text)")
            add(f"{kind.upper()} read back: clause labels kept", docs[kind]["pairs_pct"], "%", target_text="≥ 98 %")
            add(f"{kind.upper()} read back: page numbers right", docs[kind]["page_right_pct"], "%", target_text="≥ 98 %")
            add(f"{kind.upper()} read: pages per second", docs[kind]["pages_per_s"], "pages/s")
    if docs.get("ocr"):
        add(f"OCR of a scanned PDF ({docs['ocr']['pages']} pages): pages per second", docs["ocr"]["pages_per_s"], "pages/s")
    add("server: first answer after start-up", srv.get("first_answer_s"), "s")
    add("server peak RSS (VmHWM)", srv.get("peak_rss_mb"), "MB", 1229)
    for clients, figures in (srv.get("throughput") or {}).items():
        add(f"HTTP {clients} client(s): throughput", figures.get("requests_per_s"), "req/s")
        add(f"HTTP {clients} client(s): p95", figures.get("p95_ms"), "ms")
        add(f"HTTP {clients} client(s): errors", figures.get("errors"), "", 0)
    if scale:
        factor = scale["factor"]
        add(f"{factor}× corpus: build ({scale['clauses']} clauses)", scale.get("build_s"), "s")
        one = _get(q, "chat", "p50_ms")
        big = _get(scale, "chat", "p50_ms")
        add(f"{factor}× corpus: query p50, chat", big, "ms", limit=1.5 * one if one else None,
            target_text="≤ 1.5× the 1× p50")
        add(f"{factor}× corpus: query p95, chat", _get(scale, "chat", "p95_ms"), "ms")
    return out


def table(results: dict) -> str:
    header = ("figure", "value", "target", "", "baseline", "ours/baseline")
    body = rows(results)
    widths = [max(_width(r[i]) for r in [header, *body]) for i in range(len(header))]
    machine = results.get("machine", {})
    lines = [
        f"CPU: {describe(machine['cpu'])}; {machine.get('cpus')} cores; load average at start "
        f"{results.get('load_average_at_start')} (a busy machine skews every figure)" if "cpu" in machine else "",
        f"embedding engine: {results.get('engine', '?')}; baselines measured in this run: PyTorch fp32 "
        "(sentence-transformers), rank-bm25, the plain LangChain pipeline",
        "",
        _line(header, widths),
        _line(tuple("-" * w for w in widths), widths),
    ]
    lines += [_line(r, widths) for r in body]
    profile = results.get("profile")
    if profile:
        lines += ["", f"query profile ({profile['questions']} chat questions, {profile['total_s']} s), by own time:"]
        for entry in profile["by_own"][:10]:
            lines.append(f"  {entry['own_s']:>7.3f} s {entry['share']:>6.1%}  {entry['function']}")
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _line(cells: tuple, widths: list[int]) -> str:
    return "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(cells, widths))
