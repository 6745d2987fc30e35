"""Building the clause index: one orchestrator owns hash once → skip unchanged → parse → embed → write → swap.

Where builds live and how readers open them is `ingest.store` (a folder, or a Chroma server); this module
decides what goes into a build. Its read-side names (`open_index`, `manifest_stamp`, `index_exists`,
`IndexMissing`, `IndexBusy`) are re-exported here, the one module the rest of the app imports for the index.

Crash safety: a build writes everything under a new build id, then swaps the manifest, then deletes older
builds. Until the swap, readers keep serving the previous build; a build killed before the swap leaves an
orphan (folder and/or collection) that the next ingest deletes.

Incremental: a build reuses the stored vector of every clause whose id and embedding text are unchanged under
the same embedding model and engine, and embeds only the rest. With no changed file, model, engine or chunking
setting there is no build at all.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from secrets import token_hex

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from domain.terms import ABSENT_CHINESE_FILE
from ingest.model import Clause
from ingest.pipeline import ParsedCorpus, SourceFile, parse_corpus, scan_files
from ingest.readers import ReadError
from ingest.store import (  # noqa: F401  (the read side, re-exported for the app, eval and tests)
    BUILDS,
    FORMAT,
    LOCK_FILE,
    FolderStore,
    IndexBusy,
    IndexMissing,
    index_exists,
    ingest_running,
    manifest_stamp,
    open_index,
    store_for,
)
from ingest.tokenize import configure as configure_tokenizer
from ingest.tokenize import tokenize
from ingest.vector_cache import cached_vectors
from settings import Settings

# Source files whose change alters chunks or tokens although no policy file changed.
_PARSER_SOURCES = [
    Path(__file__).with_name(name)
    for name in ("readers.py", "layout.py", "ocr.py", "ofd.py", "paragraphs.py", "documents.py", "clauses.py",
                 "model.py", "tokenize.py", "userdict.txt")
] + [ABSENT_CHINESE_FILE]  # words the tokenizer keeps whole


@dataclass
class BuildReport:
    files: int
    documents: int
    chunks_by_kind: dict[str, int]
    embedded: int  # clauses sent to the embedding model in this run
    reused: int  # clauses whose vector was copied from the previous build or the shipped vector cache
    errors: list[ReadError] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # other versions of a document that were left out
    seconds: float = 0.0
    nothing_changed: bool = False
    build_id: str = ""

    @property
    def chunks(self) -> int:
        return sum(self.chunks_by_kind.values())


# --- write side ------------------------------------------------------------------------------------------


def build_index(paths: list[Path], settings: Settings, embeddings: Embeddings, progress: bool = True) -> BuildReport:
    """Index the files under `paths` (the whole corpus: a file left out is removed from the index)."""
    started = time.monotonic()
    configure_tokenizer(settings.cache_dir / "jieba")
    store = store_for(settings)
    with store.lock():
        previous = store.read_manifest()
        store.remove_builds(keep=_serving_builds(previous))
        files = scan_files(paths)  # hash (once)
        vectors_of = model_key(embeddings)
        fingerprint = _fingerprint(files, vectors_of, settings)
        if previous and previous["fingerprint"] == fingerprint:  # skip unchanged
            return _unchanged_report(previous, time.monotonic() - started)
        corpus = parse_corpus(files, settings.max_clause_chars)  # parse
        build_id = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S") + token_hex(3)
        try:
            vectors, embedded = _vectors(corpus.clauses, store, previous, embeddings, settings, progress)  # embed
            tokens = {c.id: tokenize(c.embed_text) for c in corpus.clauses}
            collection = store.write_build(build_id, corpus.clauses, tokens, vectors)  # write
            report = BuildReport(
                files=len(files),
                documents=len(corpus.documents),
                chunks_by_kind=dict(Counter(c.kind for c in corpus.clauses)),
                embedded=embedded,
                reused=len(corpus.clauses) - embedded,
                errors=corpus.errors,
                superseded=corpus.superseded,
                build_id=build_id,
            )
            report.seconds = time.monotonic() - started
            manifest = _manifest(build_id, collection, previous, corpus, files, vectors_of, fingerprint, settings,
                                 report)
            store.swap(manifest)  # swap: readers follow the new build from here on
        except BaseException:
            store.remove_builds(keep=_serving_builds(previous))
            raise
        store.remove_builds(keep=_serving_builds(manifest))
        return report


def model_key(embeddings: Embeddings) -> dict[str, str]:
    """What a vector depends on besides its text: the model and the engine that ran it. Vectors of two keys
    never share a build."""
    return {"model_id": embeddings.model_id, "engine": getattr(embeddings, "engine", "")}


def _vectors(
    clauses: list[Clause],
    store: FolderStore,
    previous: dict | None,
    embeddings: Embeddings,
    settings: Settings,
    progress: bool,
) -> tuple[dict[str, list[float]], int]:
    """A vector for every clause: the previous build's where the embedding text is unchanged, else the shipped
    cache's, else the model's. Returns (vectors, how many were embedded)."""
    key = model_key(embeddings)
    vectors = _reusable_vectors(clauses, store, previous, key)
    vectors |= cached_vectors(settings.vector_cache, key, [c for c in clauses if c.id not in vectors])
    # Longest first, so each batch holds texts of similar length (little padding) and the bar's rate only rises.
    missing = sorted((c for c in clauses if c.id not in vectors), key=lambda c: -len(c.embed_text))
    with tqdm(total=len(missing), desc="embedding", unit="clause", disable=not progress or not missing) as bar:
        for batch in _batches(missing, settings.embed_batch_size):
            for clause, vector in zip(batch, embeddings.embed_documents([c.embed_text for c in batch]), strict=True):
                vectors[clause.id] = list(vector)
            bar.update(len(batch))
    return vectors, len(missing)


def _reusable_vectors(
    clauses: list[Clause], store: FolderStore, previous: dict | None, key: dict[str, str]
) -> dict[str, list[float]]:
    """Vectors of the previous build for clauses whose id and embedding text are unchanged. Never across
    models or engines: their vectors must not share one collection."""
    if not previous or _model_key_of(previous) != key:
        return {}
    old_texts = store.embed_texts(previous)
    wanted = [c.id for c in clauses if old_texts.get(c.id) == c.embed_text]
    return store.vectors(previous, wanted) if wanted else {}


def _model_key_of(manifest: dict) -> dict[str, str]:
    return {"model_id": manifest["model_id"], "engine": manifest.get("engine", "")}


def _manifest(
    build_id: str,
    collection: str,
    previous: dict | None,
    corpus: ParsedCorpus,
    files: list[SourceFile],
    vectors_of: dict[str, str],
    fingerprint: str,
    settings: Settings,
    report: BuildReport,
) -> dict:
    per_doc: dict[str, Counter] = {}
    for clause in corpus.clauses:
        per_doc.setdefault(clause.doc_id, Counter())[clause.kind] += 1
    return {
        "format": FORMAT,
        "build_id": build_id,
        # Kept until the next ingest, so a server still holding the previous build answers until it reopens.
        "previous_build_id": previous["build_id"] if previous else None,
        "collection": collection,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **vectors_of,
        "max_clause_chars": settings.max_clause_chars,
        "fingerprint": fingerprint,
        "files": {str(f.path): f.sha256 for f in files},
        "errors": [{"path": str(e.path), "reason": e.reason} for e in corpus.errors],
        "superseded": corpus.superseded,
        "documents": [
            {
                "doc_id": doc.doc_id,
                "title": doc.title,
                "title_inferred": doc.title_inferred,
                "source_files": list(doc.source_files),
                "metadata": doc.metadata(),
                "chunks": sum(per_doc.get(doc.doc_id, Counter()).values()),
                "chunks_by_kind": dict(per_doc.get(doc.doc_id, Counter())),
            }
            for doc in corpus.documents
        ],
        "chunks_by_kind": report.chunks_by_kind,
        "embedded": report.embedded,
        "reused": report.reused,
        "seconds": round(report.seconds, 2),
    }


def _fingerprint(files: list[SourceFile], vectors_of: dict[str, str], settings: Settings) -> str:
    """Everything a build depends on: file contents, model and engine, chunk size, and the parser's own source."""
    h = hashlib.sha256(json.dumps(
        [FORMAT, vectors_of, settings.max_clause_chars, sorted((str(f.path), f.sha256) for f in files)],
        sort_keys=True,
    ).encode())
    for source in _PARSER_SOURCES:
        h.update(source.read_bytes() if source.exists() else b"-")
    return h.hexdigest()


def _unchanged_report(manifest: dict, seconds: float) -> BuildReport:
    return BuildReport(
        files=len(manifest["files"]),
        documents=len(manifest["documents"]),
        chunks_by_kind=manifest["chunks_by_kind"],
        embedded=0,
        reused=0,
        errors=[ReadError(Path(e["path"]), e["reason"]) for e in manifest["errors"]],
        superseded=manifest.get("superseded", []),
        seconds=seconds,
        nothing_changed=True,
        build_id=manifest["build_id"],
    )


def _serving_builds(manifest: dict | None) -> set[str]:
    """The builds readers may still hold: the manifest's current one and the one it replaced."""
    if not manifest:
        return set()
    return {b for b in (manifest["build_id"], manifest.get("previous_build_id")) if b}


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]
