"""Reports of one run: `report.json` (summary + items), `report.md` (PNG plots beside it) and a self-contained
`report.html` (inline CSS, plots embedded as base64 PNG — it can be mailed or archived as one file).

Both human-readable reports are rendered from the same tables, so they never disagree.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: nightly runs have no display
import matplotlib.pyplot as plt  # noqa: E402

from eval.gate import Finding  # noqa: E402
from eval.runner import FULL, SYSTEM_NAMES  # noqa: E402

SUMMARY_METRICS = (
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10", "full_hit@5", "full_hit@10",
    "citation_precision", "citation_recall", "key_fact_coverage", "figures_from_cited", "department_in_answer",
    "figure_first", "refusal_accuracy", "false_refusal_rate", "refused_or_warned", "tentative_rate", "faithfulness",
    "answer_correctness", "latency_p50_ms", "latency_p95_ms", "errors",
)
BREAKDOWN_METRICS = (
    "n", "hit@1", "hit@5", "mrr", "ndcg@10", "citation_precision", "citation_recall", "key_fact_coverage",
    "figures_from_cited", "department_in_answer", "figure_first", "refusal_accuracy", "false_refusal_rate",
    "refused_or_warned", "tentative_rate", "latency_p50_ms",
)
# The plain LangChain baseline never cites and never refuses by construction: its zeros there say nothing.
_NOT_MEANINGFUL = {
    "langchain": {"citation_precision", "citation_recall", "refusal_accuracy", "false_refusal_rate",
                  "refused_or_warned", "tentative_rate"},
}
TREND_METRICS = ("hit@5", "mrr", "ndcg@10", "refusal_accuracy", "false_refusal_rate", "key_fact_coverage")
SNIPPET = 90


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    flagged: set[tuple[int, int]] = field(default_factory=set)  # (row, column) cells to highlight


def fmt(metric: str, value) -> str:
    if value is None:
        return "—"
    if metric in ("n", "errors"):
        return str(int(value))
    if metric.endswith("_ms"):
        return f"{value:.0f} ms"
    return f"{value:.3f}"


def failure_reasons(item: dict) -> list[str]:
    """Why an item counts as failed in the report (retrieval miss, wrong refusal, error)."""
    reasons = []
    if item.get("error"):
        reasons.append(f"error: {item['error']}")
    if item.get("hit@5") == 0.0:
        reasons.append("evidence not in the top 5")
    if item.get("false_refusal_rate") == 1.0:
        reasons.append("refused an answerable question")
    if item.get("refusal_accuracy") == 0.0:  # a confident wrong answer is the worse failure of the two
        how = "with a warning" if item.get("tentative") else "confidently"
        reasons.append(f"answered {how} a question the documents do not cover")
    return reasons


# --- tables ---------------------------------------------------------------------------------------------


def systems_table(summary: dict, previous: dict | None, regressions: list[Finding]) -> Table:
    """Full system and baselines side by side, then the previous run's full-system value and the change."""
    systems = summary["systems"]
    metrics = [m for m in SUMMARY_METRICS if any(m in s for s in systems.values())]
    headers = ["metric"] + [SYSTEM_NAMES.get(name, name) for name in systems]
    if previous:
        headers += ["previous run", "change"]
    regressed = {f.metric for f in regressions}
    table = Table(headers, [])
    for row, metric in enumerate(metrics):
        cells = [metric]
        for name, values in systems.items():
            shown = values.get(metric) if metric not in _NOT_MEANINGFUL.get(name, ()) else None
            cells.append(fmt(metric, shown))
        if previous:
            before, now = previous.get(metric), systems[FULL].get(metric)
            cells += [fmt(metric, before), _change(metric, before, now)]
            if metric in regressed:
                table.flagged.update({(row, 1), (row, len(cells) - 1)})
        table.rows.append(cells)
    return table


def _change(metric: str, before, now) -> str:
    if before is None or now is None:
        return "—"
    delta = now - before
    if metric.endswith("_ms"):
        return f"{delta:+.0f} ms"
    return f"{delta:+.3f}" if metric != "errors" else f"{delta:+.0f}"


def breakdown_table(groups: dict[str, dict], label: str) -> Table:
    return Table(
        [label, *BREAKDOWN_METRICS],
        [[name, *(fmt(m, values.get(m)) for m in BREAKDOWN_METRICS)] for name, values in groups.items()],
    )


def findings_lines(findings: list[Finding]) -> list[str]:
    return [f.describe() for f in findings]


# --- plots ----------------------------------------------------------------------------------------------


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _grouped_bars(groups: dict[str, dict], metrics: tuple[str, ...], title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(groups)), 3.6))
    width = 0.8 / len(metrics)
    names = list(groups)
    for i, metric in enumerate(metrics):
        values = [groups[name].get(metric) or 0.0 for name in names]
        ax.bar([x + i * width for x in range(len(names))], values, width, label=metric)
    ax.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(names))], names, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8, ncols=len(metrics), loc="lower center", bbox_to_anchor=(0.5, 1.08))
    return _png(fig)


def plot_metrics_by_type(by_type: dict[str, dict]) -> bytes:
    return _grouped_bars(by_type, ("hit@5", "mrr", "key_fact_coverage", "refusal_accuracy"), "full system by question type")


def plot_systems(systems: dict[str, dict]) -> bytes:
    return _grouped_bars(systems, ("hit@1", "hit@5", "mrr", "ndcg@10"), "full system vs baselines")


def plot_latency(items: list[dict]) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist([i["latency_ms"] for i in items], bins=30, color="#4a78b5")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("full system latency")
    return _png(fig)


def plot_trend(runs: list[tuple[str, dict]]) -> bytes:
    """Full-system metrics over the runs in the history folder (this one last)."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    labels = [stamp[:16].replace("T", " ") for stamp, _ in runs]
    for metric in TREND_METRICS:
        values = [summary.get("metrics", {}).get(metric) for _, summary in runs]
        if any(v is not None for v in values):
            ax.plot(range(len(runs)), [float("nan") if v is None else v for v in values], marker="o", label=metric)
    ax.set_xticks(range(len(runs)), labels, rotation=30, ha="right", fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_title("trend across runs")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _png(fig)


def plots(report: dict, history: list[tuple[str, dict]]) -> dict[str, bytes]:
    summary = report["summary"]
    images = {
        "metrics_by_type.png": plot_metrics_by_type(summary["by"]["type"]),
        "latency.png": plot_latency(report["items"]),
        "trend.png": plot_trend([*history, (summary["meta"]["stamp"], summary)]),
    }
    if len(summary["systems"]) > 1:
        images["systems.png"] = plot_systems(summary["systems"])
    return images


# --- rendering ------------------------------------------------------------------------------------------


def _header_lines(summary: dict) -> list[str]:
    meta = summary["meta"]
    return [
        f"run {meta['stamp']} · golden `{meta['golden']}` ({meta['n_items']} items) · k = {summary['k']} · "
        f"answerer {meta['answerer']} · wall time {meta['wall_seconds']:.0f} s",
        f"LLM judge: {summary['judge']}",
        "previous run: " + (meta.get("previous") or "none (first run in this history folder)"),
    ]


def render_markdown(report: dict, previous: dict | None, findings: list[Finding], regressions: list[Finding], images: dict) -> str:
    summary = report["summary"]
    out = ["# PolicyQA evaluation", "", *(f"- {line}" for line in _header_lines(summary)), ""]
    out += ["## Gate", "", "**PASSED**" if not findings else "**FAILED**", ""]
    out += [f"- {line}" for line in findings_lines(findings)] + [""]
    out += ["## Summary: full system and baselines", "", markdown_table(systems_table(summary, previous, regressions)), ""]
    if regressions:
        out += ["Regressions since the previous run (⚠):", "", *(f"- {f.describe()}" for f in regressions), ""]
    for name in images:
        out += [f"![{name}]({name})", ""]
    for key, label in (("type", "type"), ("persona", "persona"), ("language", "language"), ("doc_title", "document")):
        out += [f"## By {label}", "", markdown_table(breakdown_table(summary["by"][key], label)), ""]
    failed = [i for i in report["items"] if failure_reasons(i)]
    out += [f"## Failed items ({len(failed)})", ""]
    for item in failed:
        out += _md_failed_item(item)
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(table: Table) -> str:
    lines = ["| " + " | ".join(table.headers) + " |", "|" + "---|" * len(table.headers)]
    for r, row in enumerate(table.rows):
        cells = [f"⚠ **{c}**" if (r, col) in table.flagged else c for col, c in enumerate(row)]
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[:SNIPPET] + "…"


def _md_failed_item(item: dict) -> list[str]:
    expected = f"{item.get('doc_title') or '—'} {' / '.join(item.get('clause') or [])}".strip()
    lines = [
        f"### {item['id']} ({item['type']}, {item['persona']}) — {'; '.join(failure_reasons(item))}",
        "",
        f"- question: {_md_cell(item['question'])}",
        f"- expected: {_md_cell(expected)}; evidence: {_md_cell(' / '.join(item.get('evidence') or []) or '—')}",
        f"- answer{' (refused)' if item['refused'] else ''}: {_md_cell(_snippet(item['answer']))}",
        "- retrieved (top 5):",
    ]
    lines += [f"  {r['rank']}. {_md_cell(r['citation'])} — {_md_cell(_snippet(r['text']))}" for r in item["retrieved"][:5]]
    return lines + [""]


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em auto;
max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f0f3f7}
td.bad{background:#fde2e2;color:#a00;font-weight:bold}
.pass{color:#176b2c;font-weight:bold}.fail{color:#a00;font-weight:bold}
img{max-width:100%;margin:.5em 1em .5em 0;border:1px solid #eee}
details{margin:.3em 0;padding:.3em .6em;border:1px solid #e3e3e3;border-radius:4px}
summary{cursor:pointer}
ol{margin:.3em 0}li{margin:.15em 0}.muted{color:#666}
"""


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    rows = []
    for r, row in enumerate(table.rows):
        cells = "".join(
            f'<td class="bad">{html.escape(c)}</td>' if (r, col) in table.flagged else f"<td>{html.escape(c)}</td>"
            for col, c in enumerate(row)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _html_failed_item(item: dict) -> str:
    e = html.escape
    expected = f"{item.get('doc_title') or '—'} {' / '.join(item.get('clause') or [])}".strip()
    retrieved = "".join(
        f"<li><b>{e(r['citation'])}</b> <span class=muted>{e(_snippet(r['text']))}</span></li>"
        for r in item["retrieved"][:5]
    )
    return (
        f"<details><summary><b>{e(item['id'])}</b> ({e(item['type'])}, {e(item['persona'])}) — "
        f"{e('; '.join(failure_reasons(item)))}: {e(_snippet(item['question']))}</summary>"
        f"<p>question: {e(item['question'])}</p>"
        f"<p>expected: {e(expected)}<br>evidence: {e(' / '.join(item.get('evidence') or []) or '—')}</p>"
        f"<p>answer{' (refused)' if item['refused'] else ''}: {e(_snippet(item['answer']))}</p>"
        f"<p>retrieved (top 5):</p><ol>{retrieved}</ol></details>"
    )


def render_html(report: dict, previous: dict | None, findings: list[Finding], regressions: list[Finding], images: dict) -> str:
    summary = report["summary"]
    e = html.escape
    parts = ["<h1>PolicyQA evaluation</h1>", "<ul>", *(f"<li>{e(line)}</li>" for line in _header_lines(summary)), "</ul>"]
    verdict = '<p class="pass">PASSED</p>' if not findings else '<p class="fail">FAILED</p>'
    parts += ["<h2>Gate</h2>", verdict, "<ul>", *(f"<li>{e(line)}</li>" for line in findings_lines(findings)), "</ul>"]
    parts += ["<h2>Summary: full system and baselines</h2>", _html_table(systems_table(summary, previous, regressions))]
    if regressions:
        parts += ["<p>Regressions since the previous run:</p><ul>", *(f'<li class="fail">{e(f.describe())}</li>' for f in regressions), "</ul>"]
    parts += ["<div>"] + [
        f'<img alt="{e(name)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">' for name, png in images.items()
    ] + ["</div>"]
    for key, label in (("type", "type"), ("persona", "persona"), ("language", "language"), ("doc_title", "document")):
        parts += [f"<h2>By {label}</h2>", _html_table(breakdown_table(summary["by"][key], label))]
    failed = [i for i in report["items"] if failure_reasons(i)]
    parts += [f"<h2>Failed items ({len(failed)})</h2>", *(_html_failed_item(i) for i in failed)]
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>PolicyQA evaluation</title>'
        f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def write_reports(
    out_dir: Path,
    report: dict,
    history: list[tuple[str, dict]],
    findings: list[Finding],
    regressions: list[Finding],
) -> list[Path]:
    """Write report.json, report.md (+ its PNGs) and report.html into `out_dir`; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = history[-1][1].get("metrics") if history else None
    images = plots(report, history)
    written = []
    for name, png in images.items():
        (out_dir / name).write_bytes(png)
        written.append(out_dir / name)
    outputs = {
        "report.json": json.dumps(report, ensure_ascii=False, indent=1),
        "report.md": render_markdown(report, previous, findings, regressions, images),
        "report.html": render_html(report, previous, findings, regressions, images),
    }
    for name, text in outputs.items():
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    return written
