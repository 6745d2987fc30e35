"""Command line: build the index, list its documents, export its chunks.

    python -m ingest [PATH ...]          index PATHs (default: the data folder); exit 1 if any file failed
    python -m ingest docs                one row per indexed document
    python -m ingest export --out F.jsonl   one JSON object per chunk, with its document's metadata
    python -m ingest vectors             embed the data folder afresh and write the shipped vector cache
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ingest.index import IndexBusy, IndexMissing, build_index, open_index
from ingest.readers import suffix_list
from settings import Settings

TITLE_WIDTH = 36  # characters of a title shown in `docs`; a few titles run past 60


def main(argv: list[str] | None = None, embeddings: Embeddings | None = None) -> int:
    """Entry point. `embeddings` replaces the configured model (tests pass a fast fake)."""
    argv = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    try:
        if argv and argv[0] == "docs":
            _parser_docs().parse_args(argv[1:])
            return _docs(settings)
        if argv and argv[0] == "export":
            return _export(settings, Path(_parser_export().parse_args(argv[1:]).out))
        if argv and argv[0] == "vectors":
            out = _parser_vectors().parse_args(argv[1:]).out
            return _vectors(settings, Path(out) if out else settings.vector_cache, embeddings)
        args = _parser_ingest().parse_args(argv)
        return _ingest(settings, [Path(p) for p in args.paths] or [settings.data_dir], embeddings, not args.quiet)
    except (IndexMissing, IndexBusy, FileNotFoundError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2


def _parser_ingest() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Index policy files (incremental). Subcommands: docs, export --out FILE.jsonl, vectors",
    )
    parser.add_argument(
        "paths", nargs="*", help=f"files or folders (default: POLICYQA_DATA_DIR); file types: {suffix_list()}"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _parser_docs() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog="python -m ingest docs", description="List the indexed documents.")


def _parser_export() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest export", description="Export every chunk as JSONL.")
    parser.add_argument("--out", required=True, help="output .jsonl file")
    return parser


def _parser_vectors() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest vectors",
        description="Embed the data folder with the configured model and engine (no cache, a throw-away index) "
        "and write the vector cache a first ingest copies from.",
    )
    parser.add_argument("--out", help="cache file (default: POLICYQA_VECTOR_CACHE)")
    return parser


def _ingest(settings: Settings, paths: list[Path], embeddings: Embeddings | None, progress: bool) -> int:
    if embeddings is None:
        from ingest.embeddings import load_embeddings

        embeddings = load_embeddings(settings)
    report = build_index(paths, settings, embeddings, progress=progress)
    if report.nothing_changed:
        print(f"没有变化，未重新嵌入 / nothing changed (build {report.build_id})")
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(report.chunks_by_kind.items()))
    rows = [
        ("文件 files", str(report.files)),
        ("文档 documents", str(report.documents)),
        ("条款 chunks", f"{report.chunks} ({kinds})"),
        ("新嵌入 embedded", str(report.embedded)),
        ("复用 reused", str(report.reused)),
        ("失败 failed files", str(len(report.errors))),
        ("耗时 seconds", f"{report.seconds:.1f}"),
        ("build", report.build_id),
    ]
    print(_table(("", ""), rows))
    if report.superseded:
        print("\n同名文档的其他版本，已采用最近修改的文件中的版本 / other versions of a document, newest file kept:")
        print("\n".join(f"  {line}" for line in report.superseded))
    if report.errors:
        print("\n未能导入的文件 / files not indexed:")
        print(_table(("文件 file", "原因 reason"), [(str(e.path), e.reason) for e in report.errors]))
        return 1
    return 0


def _vectors(settings: Settings, out: Path, embeddings: Embeddings | None) -> int:
    """Embedded afresh rather than copied from the live index, so a cache never inherits its own old vectors."""
    import tempfile

    import numpy as np

    from ingest.index import model_key, store_for
    from ingest.vector_cache import write_cache

    if embeddings is None:
        from ingest.embeddings import load_embeddings

        embeddings = load_embeddings(settings)
    with tempfile.TemporaryDirectory(prefix="policyqa-vectors-") as tmp:
        fresh = settings.with_(index_dir=Path(tmp) / "index", vector_cache=Path(tmp) / "no-cache.npz")
        build_index([settings.data_dir], fresh, embeddings, progress=True)
        index = open_index(fresh)
        vectors = store_for(fresh).vectors(index.manifest, list(index.clauses))
        clauses = list(index.clauses.values())
        size = write_cache(out, model_key(embeddings), [c.embed_text for c in clauses],
                           np.array([vectors[c.id] for c in clauses]))
    print(f"{len(clauses)} vectors ({index.model_id}, {index.engine or 'default engine'}) → {out} ({size / 1e6:.2f} MB)")
    return 0


def _docs(settings: Settings) -> int:
    index = open_index(settings)
    rows = []
    for doc in index.documents:
        meta = doc["metadata"]
        start = meta.get("effective_date") or meta.get("issue_date") or ""
        period = f"{start}～{meta.get('valid_until') or ''}" if (start or meta.get("valid_until")) else ""
        rows.append(
            (
                _clip(doc["title"], TITLE_WIDTH) + (" *" if doc["title_inferred"] else ""),
                meta.get("doc_number") or "",
                meta.get("jurisdiction") or "",
                meta.get("doc_kind") or "",
                period,
                str(doc["chunks"]),
            )
        )
    print(_table(("标题 title", "文号", "层级 jurisdiction", "类型 kind", "有效期 period", "条款 chunks"), rows))
    print(f"\n{len(rows)} documents, build {index.build_id}, model {index.model_id}; * = 标题为推断 / inferred title")
    return 0


def _export(settings: Settings, out: Path) -> int:
    index = open_index(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        for clause in index.clauses.values():
            record = clause.to_record()
            doc = record.pop("doc")
            handle.write(json.dumps({**doc, **record}, ensure_ascii=False) + "\n")
    print(f"{len(index.clauses)} chunks → {out}")
    return 0


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(_width(cell) for cell in column) for column in zip(headers, *rows)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(cells, widths)).rstrip()

    lines = [line(headers), "  ".join("-" * w for w in widths)] if any(headers) else []
    return "\n".join(lines + [line(row) for row in rows])


if __name__ == "__main__":
    sys.exit(main())
