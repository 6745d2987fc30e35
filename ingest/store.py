"""Where builds of the clause index live, and the read side every retriever sees (`ClauseStore`).

Two layouts, chosen by `settings.chroma_host`:

* `FolderStore` (default) — everything under `settings.index_dir`::

      manifest.json                         the ONLY thing readers follow; replaced atomically by a build
      builds/<build_id>/clauses.jsonl       full Clause records, by document and position
      builds/<build_id>/bm25_tokens.jsonl   {"id", "tokens"} per clause
      chroma/                               local Chroma store holding collection clauses_<build_id>
      .ingest.lock                          fcntl lock: one ingest at a time; readers never take it

* `ServerStore` (`CHROMA_HOST` set) — everything a reader needs lives on the Chroma server, so app replicas on
  separate machines share nothing but the server: collection `clauses_<build_id>` holds each clause's vector,
  text, filter metadata, full record and BM25 tokens; collection `policyqa_manifest` holds the manifest as one
  record, replaced by one upsert (the swap). Only the ingest lock stays in the local `index_dir`.

The write side (`ingest.index.build_index`) decides what to build; a store only writes, swaps, reads back and
removes builds.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Protocol

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from langchain_core.embeddings import Embeddings

from ingest.model import Clause
from settings import Settings

MANIFEST = "manifest.json"
BUILDS = "builds"
CLAUSES_FILE = "clauses.jsonl"
TOKENS_FILE = "bm25_tokens.jsonl"
LOCK_FILE = ".ingest.lock"
COLLECTION_PREFIX = "clauses_"
MANIFEST_COLLECTION = "policyqa_manifest"
MANIFEST_RECORD = "current"
FORMAT = 1


class IndexMissing(RuntimeError):
    """No built index under the configured folder."""


class IndexBusy(RuntimeError):
    """Another ingest holds the lock."""


class ClauseStore(Protocol):
    """What retrieval reads from one build: the real `ClauseIndex` and the tests' `FakeIndex` both follow it."""

    build_id: str
    clauses: dict[str, Clause]  # by id, in document order
    tokens: dict[str, list[str]]  # BM25 tokens by clause id

    @property
    def documents(self) -> list[dict]: ...

    def dense_search(self, query_vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """The k nearest clauses as (clause id, cosine similarity), best first."""
        ...


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


# --- read side -------------------------------------------------------------------------------------------


class ClauseIndex:
    """One build of the index, as named by the manifest at the time it was opened (a `ClauseStore`)."""

    def __init__(self, store: "FolderStore", manifest: dict) -> None:
        self.settings = store.settings
        self.manifest = manifest
        self._store = store
        self.clauses, self.tokens = store.load(manifest)
        self._collection = store.client.get_collection(manifest["collection"], embedding_function=None)
        self._ids, self._vectors = self._load_vectors()

    def _load_vectors(self) -> tuple[list[str], np.ndarray]:
        """The build's clause vectors from Chroma, unit length, for exact search: Chroma's HNSW graph is
        approximate (its default search breadth misses true neighbours of most questions) and differs from build
        to build, so the same question could rank differently after a re-ingest; an exact scan of a few thousand
        vectors takes a fraction of a millisecond."""
        got = self._collection.get(include=["embeddings"])
        if not got["ids"]:
            return [], np.zeros((0, 1), dtype=np.float32)
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return list(got["ids"]), vectors / np.where(norms == 0, 1.0, norms)

    @property
    def build_id(self) -> str:
        return self.manifest["build_id"]

    @property
    def model_id(self) -> str:
        return self.manifest["model_id"]

    @property
    def engine(self) -> str:
        return self.manifest.get("engine", "")

    @property
    def documents(self) -> list[dict]:
        return self.manifest["documents"]

    def is_current(self) -> bool:
        """False once a newer ingest has replaced this build: reopen with `open_index`."""
        latest = self._store.read_manifest()
        return latest is not None and latest["build_id"] == self.build_id

    def dense_search(self, query_vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """The k nearest clauses as (clause id, cosine similarity), best first; `where` is a Chroma filter on
        the metadata of `chroma_metadata`."""
        k = min(k, len(self.clauses))
        if k <= 0:
            return []
        if where:  # a metadata filter: Chroma applies it
            result = self._collection.query(
                query_embeddings=[list(query_vector)], n_results=k, where=where, include=["distances"]
            )
            return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]
        query = np.asarray(query_vector, dtype=np.float32)
        _one_blas_thread()
        cosines = self._vectors @ (query / (np.linalg.norm(query) or 1.0))
        # The k best without sorting them all (a 20× corpus); ties keep the build's order: the same ranking every
        # time. The k-th best's ties just outside the partition are taken in too, so the cut is the sorted one's.
        if k < len(cosines):
            kth = np.partition(-cosines, k - 1)[k - 1]
            top = np.flatnonzero(-cosines <= kth)
        else:
            top = np.arange(len(cosines))
        best = top[np.lexsort((top, -cosines[top]))][:k]
        return [(self._ids[i], float(cosines[i])) for i in best]

    def vectorstore(self, embeddings: Embeddings):
        """A LangChain Chroma store over this build's collection (page_content = clause text)."""
        from langchain_chroma import Chroma

        return Chroma(client=self._store.client, collection_name=self.manifest["collection"],
                      embedding_function=embeddings)


@cache
def _one_blas_thread() -> None:
    """numpy's matrix products in this process run on one thread, as the model's question session does. The scan
    reads every vector once per question (31 MB at 20× the corpus), bound by memory, not arithmetic: with questions
    side by side (one per core) or other work on a 2-core machine, OpenBLAS's second thread only contends — at 20×
    a scan took 2.4 ms on one thread against 5.1 ms on two, with the other core busy. Each row's sum is the same
    either way, so the cosines are the very same."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


@lru_cache(maxsize=16)
def store_for(settings: Settings) -> "FolderStore":
    """The store the settings name: on the Chroma server when `chroma_host` is set, else in `index_dir`. One per
    settings, so a server worker asking for the current build on every request reuses one connection."""
    return ServerStore(settings) if settings.chroma_host else FolderStore(settings)


def open_index(settings: Settings) -> ClauseIndex:
    """The build the manifest currently names; raises `IndexMissing` when nothing was ingested yet."""
    store = store_for(settings)
    manifest = store.read_manifest()
    if manifest is None:
        raise IndexMissing(
            f"索引不存在，请先运行 `python -m ingest` / no index in {store.where}: run `python -m ingest` first"
        )
    return ClauseIndex(store, manifest)


def manifest_stamp(settings: Settings):
    """A cheap token that changes when another process swaps in a new build (None: no index)."""
    return store_for(settings).stamp()


def index_exists(settings: Settings) -> bool:
    return store_for(settings).read_manifest() is not None


# --- the stores ------------------------------------------------------------------------------------------


class FolderStore:
    """Manifest, clause records and tokens as files in `index_dir`; vectors in a local Chroma store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir = settings.index_dir
        self._client = None

    @property
    def where(self) -> str:
        return str(self.index_dir)

    @property
    def client(self):
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self):
        return chromadb.PersistentClient(path=str(self.index_dir / "chroma"),
                                         settings=ChromaSettings(anonymized_telemetry=False))

    # manifest

    def read_manifest(self) -> dict | None:
        path = self.index_dir / MANIFEST
        if not path.is_file():
            return None
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return manifest if manifest.get("format") == FORMAT else None

    def stamp(self) -> int | None:
        """When the manifest was last replaced (ns): a stat, so following other processes costs nothing."""
        try:
            return (self.index_dir / MANIFEST).stat().st_mtime_ns
        except OSError:
            return None

    def swap(self, manifest: dict) -> None:
        """Make `manifest` the current build: readers see the old file or the new one, never half of one."""
        _atomic_write_json(self.index_dir / MANIFEST, manifest)

    # builds

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive, non-blocking: a second ingest fails fast instead of queueing behind a long one. The kernel
        drops the lock when the holder dies, so a killed ingest never blocks the next."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / LOCK_FILE, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusy(f"另一个导入正在进行 / another ingest is running on {self.index_dir}") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write_build(self, build_id: str, clauses: list[Clause], tokens: dict[str, list[str]],
                    vectors: dict[str, list[float]]) -> str:
        """Store one build under its own id (nothing current changes); returns its collection name."""
        folder = self.index_dir / BUILDS / build_id
        folder.mkdir(parents=True)  # first: an orphan is recognised by its folder, collection or not
        _write_jsonl(folder / CLAUSES_FILE, (c.to_record() for c in clauses))
        _write_jsonl(folder / TOKENS_FILE, ({"id": c.id, "tokens": tokens[c.id]} for c in clauses))
        return self._write_collection(build_id, clauses, vectors, extra=lambda position, clause: {})

    def _write_collection(self, build_id: str, clauses: list[Clause], vectors: dict[str, list[float]],
                          extra) -> str:
        name = COLLECTION_PREFIX + build_id
        collection = self.client.create_collection(
            name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        size = self.client.get_max_batch_size()
        for start in range(0, len(clauses), size):
            batch = clauses[start : start + size]
            collection.add(
                ids=[c.id for c in batch],
                embeddings=[vectors[c.id] for c in batch],
                documents=[c.text for c in batch],
                metadatas=[chroma_metadata(c) | extra(start + i, c) for i, c in enumerate(batch)],
            )
        return name

    def embed_texts(self, manifest: dict) -> dict[str, str]:
        """Clause id → the text its stored vector was made from."""
        folder = self.index_dir / BUILDS / manifest["build_id"]
        if not (folder / CLAUSES_FILE).is_file():
            return {}
        return {r["id"]: r["embed_text"] for r in _read_jsonl(folder / CLAUSES_FILE)}

    def vectors(self, manifest: dict, ids: list[str]) -> dict[str, list[float]]:
        """Stored vectors of `ids` in a build; empty when its collection is gone (wiped by hand: re-embed)."""
        try:
            collection = self.client.get_collection(manifest["collection"], embedding_function=None)
        except NotFoundError:
            return {}
        vectors: dict[str, list[float]] = {}
        for start in range(0, len(ids), 1000):
            got = collection.get(ids=ids[start : start + 1000], include=["embeddings"])
            vectors.update((cid, [float(x) for x in v]) for cid, v in zip(got["ids"], got["embeddings"], strict=True))
        return vectors

    def load(self, manifest: dict) -> tuple[dict[str, Clause], dict[str, list[str]]]:
        """A build's clauses (document order) and BM25 tokens."""
        folder = self.index_dir / BUILDS / manifest["build_id"]
        clauses = {r["id"]: Clause(**r) for r in _read_jsonl(folder / CLAUSES_FILE)}
        tokens = {r["id"]: r["tokens"] for r in _read_jsonl(folder / TOKENS_FILE)}
        return clauses, tokens

    def remove_builds(self, keep: set[str]) -> None:
        """Delete every build folder and its collection not in `keep`: builds older than the previous one after
        a swap, orphans of a killed or failed ingest before one. Only our own build ids are touched, so other
        collections in the same Chroma store are safe."""
        for tmp in self.index_dir.glob(f".{MANIFEST}.*.tmp"):  # a manifest write cut short
            tmp.unlink()
        builds = self.index_dir / BUILDS
        if not builds.is_dir():
            return
        stale = [folder for folder in builds.iterdir() if folder.name not in keep]
        if not stale:
            return
        existing = self._collection_names()
        for folder in stale:
            if COLLECTION_PREFIX + folder.name in existing:
                self.client.delete_collection(COLLECTION_PREFIX + folder.name)
            shutil.rmtree(folder, ignore_errors=True)

    def _collection_names(self) -> set[str]:
        return {c.name if hasattr(c, "name") else c for c in self.client.list_collections()}


class ServerStore(FolderStore):
    """Everything on the Chroma server: replicas with separate local folders serve the same build."""

    @property
    def where(self) -> str:
        return f"chroma://{self.settings.chroma_host}:{self.settings.chroma_port}"

    def _connect(self):
        return chromadb.HttpClient(host=self.settings.chroma_host, port=self.settings.chroma_port,
                                   settings=ChromaSettings(anonymized_telemetry=False))

    @cached_property
    def _manifest_collection(self):
        # Chroma wants a vector per record; the manifest record carries a one-number placeholder.
        return self.client.get_or_create_collection(MANIFEST_COLLECTION, embedding_function=None)

    def read_manifest(self) -> dict | None:
        got = self._manifest_collection.get(ids=[MANIFEST_RECORD], include=["documents"])
        if not got["ids"]:
            return None
        manifest = json.loads(got["documents"][0])
        return manifest if manifest.get("format") == FORMAT else None

    def stamp(self) -> str | None:
        """The current build id: one small request to the server."""
        got = self._manifest_collection.get(ids=[MANIFEST_RECORD], include=["metadatas"])
        return got["metadatas"][0]["build_id"] if got["ids"] else None

    def swap(self, manifest: dict) -> None:
        """One upsert of one record: readers see the old manifest or the new one."""
        self._manifest_collection.upsert(
            ids=[MANIFEST_RECORD],
            embeddings=[[0.0]],
            documents=[json.dumps(manifest, ensure_ascii=False)],
            metadatas=[{"build_id": manifest["build_id"]}],
        )

    def write_build(self, build_id: str, clauses: list[Clause], tokens: dict[str, list[str]],
                    vectors: dict[str, list[float]]) -> str:
        def record(position: int, clause: Clause) -> dict:
            full = clause.to_record()
            del full["text"]  # the collection's document
            return {"position": position, "record": json.dumps(full, ensure_ascii=False),
                    "tokens": json.dumps(tokens[clause.id], ensure_ascii=False)}

        return self._write_collection(build_id, clauses, vectors, extra=record)

    def _records(self, manifest: dict) -> list[tuple[dict, str, list[str]]]:
        """(record, text, tokens) per clause of a build, in document order."""
        try:
            collection = self.client.get_collection(manifest["collection"], embedding_function=None)
        except NotFoundError:
            return []
        rows = []
        total = collection.count()
        for start in range(0, total, 1000):
            got = collection.get(include=["metadatas", "documents"], limit=1000, offset=start)
            rows.extend(zip(got["metadatas"], got["documents"], strict=True))
        rows.sort(key=lambda row: row[0]["position"])
        return [({**json.loads(m["record"]), "text": text}, text, json.loads(m["tokens"])) for m, text in rows]

    def embed_texts(self, manifest: dict) -> dict[str, str]:
        return {record["id"]: record["embed_text"] for record, _, _ in self._records(manifest)}

    def load(self, manifest: dict) -> tuple[dict[str, Clause], dict[str, list[str]]]:
        rows = self._records(manifest)
        return {r["id"]: Clause(**r) for r, _, _ in rows}, {r["id"]: tokens for r, _, tokens in rows}

    def remove_builds(self, keep: set[str]) -> None:
        """Delete our collections of builds not in `keep` (orphans included); other collections are safe."""
        for name in self._collection_names():
            if name.startswith(COLLECTION_PREFIX) and name[len(COLLECTION_PREFIX):] not in keep:
                self.client.delete_collection(name)


# --- files ------------------------------------------------------------------------------------------------


def _atomic_write_json(path: Path, data: dict) -> None:
    """Readers see the old file or the new one, never half of one, even if the machine stops mid-write."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _write_jsonl(path: Path, records: Iterable[dict]) -> None:
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
