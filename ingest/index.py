"""The clause index: Chroma vectors, BM25 tokens and full clause records, behind one manifest.

Layout under `settings.index_dir`::

    manifest.json                 the ONLY thing readers follow; replaced atomically at the end of a build
    builds/<build_id>/clauses.jsonl       full Clause records, by document and position
    builds/<build_id>/bm25_tokens.jsonl   {"id", "tokens"} per clause
    chroma/                       local Chroma store holding collection clauses_<build_id> (unless CHROMA_HOST)
    .ingest.lock                  fcntl lock: one ingest at a time; readers never take it

Crash safety: a build writes everything under a new build id, then swaps the manifest (temp file +
`os.replace`), then deletes older builds. Until the swap, readers keep serving the previous build; a build
killed before the swap leaves an orphan folder (and maybe collection) that the next ingest deletes.

Incremental: a build reuses the stored vector of every clause whose id and embedding text are unchanged under
the same embedding model, and embeds only the rest. With no changed file, model or chunking setting there is
no build at all.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from secrets import token_hex

import chromadb
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from ingest.model import Clause
from ingest.pipeline import ParsedCorpus, collect_files, file_sha256, parse_corpus
from ingest.readers import ReadError
from ingest.tokenize import configure as configure_tokenizer
from ingest.tokenize import tokenize
from settings import Settings

MANIFEST = "manifest.json"
BUILDS = "builds"
CLAUSES_FILE = "clauses.jsonl"
TOKENS_FILE = "bm25_tokens.jsonl"
LOCK_FILE = ".ingest.lock"
COLLECTION_PREFIX = "clauses_"
FORMAT = 1
# Source files whose change alters chunks or tokens although no policy file changed.
_PARSER_SOURCES = [
    Path(__file__).with_name(name)
    for name in ("readers.py", "paragraphs.py", "documents.py", "clauses.py", "model.py", "tokenize.py", "userdict.txt")
]


class IndexMissing(RuntimeError):
    """No built index under the configured folder."""


class IndexBusy(RuntimeError):
    """Another ingest holds the lock."""


@dataclass
class BuildReport:
    files: int
    documents: int
    chunks_by_kind: dict[str, int]
    embedded: int  # clauses sent to the embedding model in this run
    reused: int  # clauses whose vector was copied from the previous build
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
    with _ingest_lock(settings.index_dir):
        previous = _read_manifest(settings.index_dir)
        _remove_builds(settings, keep=_serving_builds(previous))
        model_id = embeddings.model_id
        hashes = {str(path): file_sha256(path) for path in collect_files(paths)}
        if previous and previous["fingerprint"] == _fingerprint(hashes, model_id, settings):
            return _unchanged_report(previous, time.monotonic() - started)
        corpus = parse_corpus(paths, settings.max_clause_chars)
        build_id = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S") + token_hex(3)
        try:
            embedded, reused = _write_build(build_id, corpus, previous, settings, embeddings, progress)
            report = BuildReport(
                files=len(corpus.file_hashes),
                documents=len(corpus.documents),
                chunks_by_kind=dict(Counter(c.kind for c in corpus.clauses)),
                embedded=embedded,
                reused=reused,
                errors=corpus.errors,
                superseded=corpus.superseded,
                build_id=build_id,
            )
            report.seconds = time.monotonic() - started
            manifest = _manifest(build_id, previous["build_id"] if previous else None, corpus, model_id, settings, report)
            _atomic_write_json(settings.index_dir / MANIFEST, manifest)
        except BaseException:
            _remove_builds(settings, keep=_serving_builds(previous))
            raise
        _remove_builds(settings, keep=_serving_builds(manifest))
        return report


def _write_build(
    build_id: str,
    corpus: ParsedCorpus,
    previous: dict | None,
    settings: Settings,
    embeddings: Embeddings,
    progress: bool,
) -> tuple[int, int]:
    """Write the build folder and its collection; returns (embedded, reused) counts."""
    folder = settings.index_dir / BUILDS / build_id
    folder.mkdir(parents=True)  # first: an orphan is recognised by its folder, collection or not
    _write_jsonl(folder / CLAUSES_FILE, (c.to_record() for c in corpus.clauses))
    _write_jsonl(folder / TOKENS_FILE, ({"id": c.id, "tokens": tokenize(c.embed_text)} for c in corpus.clauses))

    client = _client(settings)
    vectors = _reusable_vectors(client, corpus.clauses, previous, settings, embeddings.model_id)
    reused = len(vectors)
    # Longest first, so each batch holds texts of similar length (little padding) and the bar's rate only rises.
    missing = sorted((c for c in corpus.clauses if c.id not in vectors), key=lambda c: -len(c.embed_text))
    with tqdm(total=len(missing), desc="embedding", unit="clause", disable=not progress or not missing) as bar:
        for batch in _batches(missing, settings.embed_batch_size):
            for clause, vector in zip(batch, embeddings.embed_documents([c.embed_text for c in batch]), strict=True):
                vectors[clause.id] = list(vector)
            bar.update(len(batch))

    collection = client.create_collection(
        COLLECTION_PREFIX + build_id, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    for batch in _batches(corpus.clauses, client.get_max_batch_size()):
        collection.add(
            ids=[c.id for c in batch],
            embeddings=[vectors[c.id] for c in batch],
            documents=[c.text for c in batch],
            metadatas=[chroma_metadata(c) for c in batch],
        )
    return len(missing), reused


def chroma_metadata(clause: Clause) -> dict[str, str]:
    """Scalar metadata for Chroma filters. Whether a clause is in force depends on the day of the query, so only
    `valid_until` is stored ("" = no end date) and rag decides."""
    doc = clause.doc
    return {
        "doc_id": clause.doc_id,
        "doc_title": doc.get("doc_title") or "",
        "label": clause.label,
        "citation": clause.citation,
        "kind": clause.kind,
        "jurisdiction": doc.get("jurisdiction") or "",
        "doc_kind": doc.get("doc_kind") or "",
        "valid_until": doc.get("valid_until") or "",
    }


def _reusable_vectors(
    client, clauses: list[Clause], previous: dict | None, settings: Settings, model_id: str
) -> dict[str, list[float]]:
    """Vectors of the previous build for clauses whose id and embedding text are unchanged. Never across
    models: vectors of two models must not share one collection."""
    old_clauses = settings.index_dir / BUILDS / (previous or {}).get("build_id", "") / CLAUSES_FILE
    if not previous or previous["model_id"] != model_id or not old_clauses.is_file():
        return {}
    old_texts = {record["id"]: record["embed_text"] for record in _read_jsonl(old_clauses)}
    wanted = [c.id for c in clauses if old_texts.get(c.id) == c.embed_text]
    if not wanted:
        return {}
    try:
        collection = client.get_collection(previous["collection"], embedding_function=None)
    except NotFoundError:  # the store was wiped by hand: re-embed rather than fail
        return {}
    vectors: dict[str, list[float]] = {}
    for batch in _batches(wanted, 1000):
        got = collection.get(ids=batch, include=["embeddings"])
        vectors.update((cid, [float(x) for x in vec]) for cid, vec in zip(got["ids"], got["embeddings"], strict=True))
    return vectors


def _manifest(
    build_id: str,
    previous_build_id: str | None,
    corpus: ParsedCorpus,
    model_id: str,
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
        "previous_build_id": previous_build_id,
        "collection": COLLECTION_PREFIX + build_id,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model_id": model_id,
        "max_clause_chars": settings.max_clause_chars,
        "fingerprint": _fingerprint(corpus.file_hashes, model_id, settings),
        "files": corpus.file_hashes,
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


def _fingerprint(file_hashes: dict[str, str], model_id: str, settings: Settings) -> str:
    """Everything a build depends on: file contents, model, chunk size, and the parser's own source."""
    h = hashlib.sha256(json.dumps([FORMAT, model_id, settings.max_clause_chars, sorted(file_hashes.items())]).encode())
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


def _remove_builds(settings: Settings, keep: set[str]) -> None:
    """Delete every build folder and its collection not in `keep`: builds older than the previous one after a
    swap, orphans of a killed or failed ingest before one. Only our own build ids are touched, so a shared Chroma server's other
    collections are safe."""
    for tmp in settings.index_dir.glob(f".{MANIFEST}.*.tmp"):  # a manifest write cut short
        tmp.unlink()
    builds = settings.index_dir / BUILDS
    if not builds.is_dir():
        return
    stale = [folder for folder in builds.iterdir() if folder.name not in keep]
    if not stale:
        return
    client = _client(settings)
    existing = {c.name if hasattr(c, "name") else c for c in client.list_collections()}
    for folder in stale:
        if COLLECTION_PREFIX + folder.name in existing:
            client.delete_collection(COLLECTION_PREFIX + folder.name)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _ingest_lock(index_dir: Path) -> Iterator[None]:
    """Exclusive, non-blocking: a second ingest fails fast instead of queueing behind a long one. The kernel
    drops the lock when the holder dies, so a killed ingest never blocks the next."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(f"另一个导入正在进行 / another ingest is running on {index_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ingest_running(index_dir: Path) -> bool:
    """Whether an ingest (this process or another) holds the lock right now: a probe that takes and drops it,
    so callers can refuse up front instead of failing half-way (the server checks before deleting files)."""
    lock = index_dir / LOCK_FILE
    if not lock.exists():
        return False
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


# --- read side -------------------------------------------------------------------------------------------


class ClauseIndex:
    """One build of the index, as named by the manifest at the time it was opened."""

    def __init__(self, settings: Settings, manifest: dict) -> None:
        self.settings = settings
        self.manifest = manifest
        folder = settings.index_dir / BUILDS / manifest["build_id"]
        self.clauses: dict[str, Clause] = {r["id"]: Clause(**r) for r in _read_jsonl(folder / CLAUSES_FILE)}
        self.tokens: dict[str, list[str]] = {r["id"]: r["tokens"] for r in _read_jsonl(folder / TOKENS_FILE)}
        self._client = _client(settings)
        self._collection = self._client.get_collection(manifest["collection"], embedding_function=None)

    @property
    def build_id(self) -> str:
        return self.manifest["build_id"]

    @property
    def model_id(self) -> str:
        return self.manifest["model_id"]

    @property
    def documents(self) -> list[dict]:
        return self.manifest["documents"]

    def is_current(self) -> bool:
        """False once a newer ingest has replaced this build: reopen with `open_index`."""
        latest = _read_manifest(self.settings.index_dir)
        return latest is not None and latest["build_id"] == self.build_id

    def dense_search(self, query_vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """The k nearest clauses as (clause id, cosine similarity), best first; `where` is a Chroma filter on
        the metadata of `chroma_metadata`."""
        k = min(k, len(self.clauses))
        if k <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[list(query_vector)], n_results=k, where=where or None, include=["distances"]
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    def vectorstore(self, embeddings: Embeddings):
        """A LangChain Chroma store over this build's collection (page_content = clause text)."""
        from langchain_chroma import Chroma

        return Chroma(client=self._client, collection_name=self.manifest["collection"], embedding_function=embeddings)


def open_index(settings: Settings) -> ClauseIndex:
    """The build the manifest currently names; raises `IndexMissing` when nothing was ingested yet."""
    manifest = _read_manifest(settings.index_dir)
    if manifest is None:
        raise IndexMissing(
            f"索引不存在，请先运行 `python -m ingest` / no index in {settings.index_dir}: run `python -m ingest` first"
        )
    return ClauseIndex(settings, manifest)


def manifest_stamp(settings: Settings) -> int | None:
    """When the manifest was last replaced (ns), or None: a cheap test of whether another process ingested."""
    try:
        return (settings.index_dir / MANIFEST).stat().st_mtime_ns
    except OSError:
        return None


def index_exists(settings: Settings) -> bool:
    return (settings.index_dir / MANIFEST).is_file()


# --- files ------------------------------------------------------------------------------------------------


def _client(settings: Settings):
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)


def _read_manifest(index_dir: Path) -> dict | None:
    path = index_dir / MANIFEST
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    return manifest if manifest.get("format") == FORMAT else None


def _atomic_write_json(path: Path, data: dict) -> None:
    """Readers see the old file or the new one, never half of one, even if the machine stops mid-write."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _write_jsonl(path: Path, records) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]
