"""The index: incremental builds, crash safety, unreadable files, and the read side (dense search, store).

A fake embedder (hashed character bigrams) stands in for the model: these tests measure what gets embedded
and stored, not retrieval quality.
"""

from __future__ import annotations

import fcntl
import inspect
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

from ingest.index import (
    BUILDS,
    FolderStore,
    LOCK_FILE,
    IndexBusy,
    IndexMissing,
    build_index,
    index_exists,
    open_index,
)
from settings import Settings
from stubs.fake_index import vector as bigram_vector

REPO = Path(__file__).resolve().parents[1]

MEASURES = """苏州市支持专精特新企业发展若干措施

为加快培育专精特新企业，推动中小企业高质量发展，结合本市实际，制定以下措施。

一、支持企业研发创新。对新认定的国家级专精特新“小巨人”企业，给予一次性奖励100万元。（责任单位：市工信局）

二、鼓励使用科技创新券。企业购买检测、认证服务，可使用科技创新券抵扣，每家企业每年最高不超过20万元。（责任单位：市科技局）

三、加强融资支持。对专精特新企业首次获得银行贷款的，按贷款利息的50%给予贴息。（责任单位：市金融监管局）

本措施自2025年1月1日起施行，有效期至2027年12月31日。由市工信局负责解释。
"""

REGULATION = """苏州市算力券管理办法

第一条 为推动人工智能产业发展，降低企业使用算力的成本，制定本办法。

第二条 本办法所称算力券，是指市财政安排资金向企业发放、用于购买智能算力服务的电子凭证。

第三条 算力券按企业实际支付算力服务费用的30%予以抵扣，单个企业每年最高500万元。

第四条 市工信局负责算力券的发放和管理，市财政局负责资金保障。

第五条 本办法自2025年3月1日起施行。
"""

PLAN = """苏州市推进车路云一体化发展行动方案

一、建设智能网联基础设施。到2026年，建成车路云一体化示范道路500公里。（责任单位：市交通运输局）

二、开展示范应用。支持自动驾驶出租车、无人配送车在示范区开展常态化运营。（责任单位：市工信局）

三、完善标准体系。推动车规级芯片、车载终端等地方标准制定。（责任单位：市市场监管局）
"""


class HashEmbeddings(Embeddings):
    """Deterministic fake: hashed character bigrams, L2-normalised. Records every text it embeds; can be
    slowed down (to be killed mid-run) or made to fail after a number of texts."""

    def __init__(self, model_id: str = "fake-bigram", delay: float = 0.0, fail_after: int | None = None,
                 started_marker: str | None = None) -> None:
        self.model_id = model_id
        self.delay = delay
        self.fail_after = fail_after
        self.started_marker = started_marker
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.started_marker:
            Path(self.started_marker).touch()
        time.sleep(self.delay)
        if self.fail_after is not None and len(self.embedded) + len(texts) > self.fail_after:
            raise RuntimeError("embedding service went away")
        self.embedded.extend(texts)
        return [self.vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.vector(text)

    @staticmethod
    def vector(text: str) -> list[float]:
        return bigram_vector(text, dim=64)


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a_measures.txt").write_text(MEASURES, encoding="utf-8")
    (folder / "b_regulation.txt").write_text(REGULATION, encoding="utf-8")
    (folder / "c_plan.txt").write_text(PLAN, encoding="utf-8")
    return folder


@pytest.fixture
def corpus(tmp_path) -> Path:
    return write_corpus(tmp_path / "data")


@pytest.fixture
def settings(tmp_path, jieba_cache_dir) -> Settings:
    return Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "index", cache_dir=jieba_cache_dir)


def doc_ids_of_file(index, file_name: str) -> set[str]:
    return {d["doc_id"] for d in index.documents if file_name in d["source_files"]}


def collection_names(settings: Settings) -> set[str]:
    client = chromadb.PersistentClient(path=str(settings.index_dir / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    return {c.name for c in client.list_collections()}


# --- incremental --------------------------------------------------------------------------------------


def test_reingest_without_changes_embeds_nothing_and_keeps_build(corpus, settings):
    fake = HashEmbeddings()
    first = build_index([corpus], settings, fake, progress=False)
    assert first.embedded == first.chunks > 0 and not first.nothing_changed

    again = build_index([corpus], settings, fake, progress=False)

    assert again.nothing_changed
    assert again.embedded == 0
    assert len(fake.embedded) == first.chunks
    assert again.build_id == first.build_id == open_index(settings).build_id


def test_changed_file_reembeds_only_its_own_chunks(corpus, settings):
    fake = HashEmbeddings()
    first = build_index([corpus], settings, fake, progress=False)
    (corpus / "b_regulation.txt").write_text(REGULATION.replace("30%", "40%"), encoding="utf-8")
    fake.embedded.clear()

    report = build_index([corpus], settings, fake, progress=False)

    index = open_index(settings)
    regulation = doc_ids_of_file(index, "b_regulation.txt")
    by_text = {c.embed_text: c for c in index.clauses.values()}
    assert report.build_id != first.build_id
    assert report.embedded == len(fake.embedded) >= 1
    assert all(by_text[t].doc_id in regulation for t in fake.embedded)
    assert any("40%" in t for t in fake.embedded)
    assert report.reused == report.chunks - report.embedded
    assert report.reused >= len([c for c in index.clauses.values() if c.doc_id not in regulation])


def test_revised_copy_of_a_document_in_another_file_replaces_it_and_is_reported(corpus, settings):
    """The same policy in two files, then one copy edited: one version is indexed (the newest file's), the
    other is reported, and the ingest does not fail on the shared clause ids."""
    fake = HashEmbeddings()
    (corpus / "d_copy.txt").write_text(REGULATION, encoding="utf-8")
    first = build_index([corpus], settings, fake, progress=False)
    assert first.documents == 3 and first.superseded == []

    revised = corpus / "d_copy.txt"
    revised.write_text(REGULATION.replace("30%", "40%"), encoding="utf-8")
    os.utime(revised, (time.time() + 10, time.time() + 10))
    report = build_index([corpus], settings, fake, progress=False)

    index = open_index(settings)
    texts = [c.text for c in index.clauses.values()]
    assert report.documents == 3
    assert any("40%" in t for t in texts) and not any("30%" in t for t in texts)
    assert len(report.superseded) == 1
    assert "苏州市算力券管理办法" in report.superseded[0] and "b_regulation.txt" in report.superseded[0]


def test_same_named_files_in_two_folders_keep_the_newer_version(tmp_path, settings):
    """Two versions of one policy in `2024/x.txt` and `2025/x.txt` (newer): the newer file's version is indexed,
    and the report tells the two files apart by their folder."""
    root = tmp_path / "nested"
    for folder, text, age in (("2024", REGULATION, 0), ("2025", REGULATION.replace("30%", "40%"), 10)):
        (root / folder).mkdir(parents=True)
        path = root / folder / "x.txt"
        path.write_text(text, encoding="utf-8")
        os.utime(path, (time.time() + age, time.time() + age))

    report = build_index([root], settings, HashEmbeddings(), progress=False)

    texts = [c.text for c in open_index(settings).clauses.values()]
    assert any("40%" in t for t in texts) and not any("30%" in t for t in texts)
    assert report.superseded == ["《苏州市算力券管理办法》 2024/x.txt → 2025/x.txt"]


def test_index_opened_before_a_rebuild_keeps_answering_after_it(corpus, settings):
    fake = HashEmbeddings()
    build_index([corpus], settings, fake, progress=False)
    held = open_index(settings)  # a running server's view
    (corpus / "b_regulation.txt").write_text(REGULATION.replace("30%", "40%"), encoding="utf-8")

    build_index([corpus], settings, fake, progress=False)

    assert not held.is_current()
    hits = held.dense_search(fake.embed_query("补贴"), k=3)
    assert hits and all(clause_id in held.clauses for clause_id, _ in hits)


def test_reused_vectors_equal_freshly_embedded_ones(corpus, settings):
    fake = HashEmbeddings()
    build_index([corpus], settings, fake, progress=False)
    (corpus / "c_plan.txt").write_text(PLAN.replace("500公里", "800公里"), encoding="utf-8")
    build_index([corpus], settings, fake, progress=False)

    index = open_index(settings)
    clause = next(c for c in index.clauses.values() if "算力券" in c.text)  # from an unchanged file
    best_id, similarity = index.dense_search(HashEmbeddings.vector(clause.embed_text), k=1)[0]
    assert best_id == clause.id
    assert similarity == pytest.approx(1.0, abs=1e-5)


def test_removed_file_chunks_disappear_everywhere(corpus, settings):
    fake = HashEmbeddings()
    build_index([corpus], settings, fake, progress=False)
    removed = doc_ids_of_file(open_index(settings), "c_plan.txt")
    (corpus / "c_plan.txt").unlink()
    fake.embedded.clear()

    report = build_index([corpus], settings, fake, progress=False)

    index = open_index(settings)
    assert report.embedded == 0 and fake.embedded == []
    assert not {c.doc_id for c in index.clauses.values()} & removed
    assert not doc_ids_of_file(index, "c_plan.txt")
    assert set(index.tokens) == set(index.clauses)
    hits = index.dense_search(HashEmbeddings.vector("车路云一体化示范道路"), k=50)
    assert {cid for cid, _ in hits} == set(index.clauses)
    assert report.files == 2


def test_model_change_reembeds_everything(corpus, settings):
    build_index([corpus], settings, HashEmbeddings(model_id="model-a"), progress=False)
    other = HashEmbeddings(model_id="model-b")

    report = build_index([corpus], settings, other, progress=False)

    assert report.reused == 0
    assert report.embedded == report.chunks == len(other.embedded)
    assert open_index(settings).model_id == "model-b"


def test_engine_change_reembeds_everything_and_is_recorded(corpus, settings):
    """Two engines running one model give vectors close but not equal: they are never mixed in one build."""
    build_index([corpus], settings, HashEmbeddings(), progress=False)
    other = HashEmbeddings()
    other.engine = "onnx"

    report = build_index([corpus], settings, other, progress=False)

    assert not report.nothing_changed and report.reused == 0
    assert report.embedded == report.chunks == len(other.embedded)
    assert open_index(settings).engine == "onnx"


def test_chunk_setting_change_triggers_a_new_build(corpus, settings):
    fake = HashEmbeddings()
    first = build_index([corpus], settings, fake, progress=False)

    report = build_index([corpus], settings.with_(max_clause_chars=400), fake, progress=False)

    assert not report.nothing_changed and report.build_id != first.build_id


# --- crash safety ------------------------------------------------------------------------------------


def _only_serving_builds_left(settings: Settings, *build_ids: str) -> None:
    """Orphans are gone; only the current build and the one it replaced (still held by running servers) stay."""
    assert {p.name for p in (settings.index_dir / BUILDS).iterdir()} == set(build_ids)
    assert collection_names(settings) == {f"clauses_{b}" for b in build_ids}


def test_killed_ingest_leaves_previous_index_serving_and_next_ingest_cleans_up(corpus, settings, tmp_path):
    first = build_index([corpus], settings, HashEmbeddings(), progress=False)
    (corpus / "a_measures.txt").write_text(MEASURES.replace("100万元", "200万元"), encoding="utf-8")
    marker = tmp_path / "embedding-started"
    script = tmp_path / "slow_ingest.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path[:0] = [{str(REPO)!r}, {str(REPO / 'tests')!r}]\n"
        "from pathlib import Path\n"
        "from stubs.fake_index import vector as bigram_vector\n"
        "from langchain_core.embeddings import Embeddings\n"
        "from settings import Settings\n"
        "from ingest.index import build_index\n"
        + textwrap.dedent(inspect.getsource(HashEmbeddings))
        + f"settings = Settings(index_dir=Path({str(settings.index_dir)!r}), cache_dir=Path({str(settings.cache_dir)!r}))\n"
        # A changed file plus a new model: every clause is embedded, slowly, so the kill lands mid-build.
        f"build_index([Path({str(corpus)!r})], settings, HashEmbeddings('model-b', delay=30, "
        f"started_marker={str(marker)!r}), progress=False)\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen([sys.executable, str(script)], cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the ingest subprocess died before embedding"
            assert time.monotonic() < deadline, "the ingest subprocess never started embedding"
            time.sleep(0.1)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    # Embedding comes before writing, so a kill there leaves nothing behind …
    assert [p.name for p in (settings.index_dir / BUILDS).iterdir()] == [first.build_id]
    index = open_index(settings)
    assert index.build_id == first.build_id and index.model_id == "fake-bigram"
    assert len(index.clauses) == first.chunks
    assert not any("200万元" in c.text for c in index.clauses.values())
    assert len(index.dense_search(HashEmbeddings.vector("算力券"), k=100)) == first.chunks
    # … while a kill between writing and swapping leaves a written build no manifest names.
    store = FolderStore(settings)
    store.write_build("orphan", list(index.clauses.values()), index.tokens,
                      store.vectors(index.manifest, list(index.clauses)))
    assert open_index(settings).build_id == first.build_id

    report = build_index([corpus], settings, HashEmbeddings(), progress=False)

    _only_serving_builds_left(settings, report.build_id, first.build_id)
    assert any("200万元" in c.text for c in open_index(settings).clauses.values())


def test_failure_mid_embedding_leaves_previous_index_as_it_was(corpus, settings):
    first = build_index([corpus], settings, HashEmbeddings(), progress=False)
    manifest_before = (settings.index_dir / "manifest.json").read_bytes()
    (corpus / "c_plan.txt").write_text(PLAN.replace("500公里", "800公里"), encoding="utf-8")

    with pytest.raises(RuntimeError, match="went away"):
        build_index([corpus], settings, HashEmbeddings(model_id="model-b", fail_after=2), progress=False)

    assert (settings.index_dir / "manifest.json").read_bytes() == manifest_before
    index = open_index(settings)
    assert index.build_id == first.build_id and len(index.clauses) == first.chunks
    _only_serving_builds_left(settings, first.build_id)


def test_second_ingest_while_one_holds_the_lock_fails_fast(corpus, settings):
    settings.index_dir.mkdir(parents=True)
    with open(settings.index_dir / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(IndexBusy, match="another ingest"):
            build_index([corpus], settings, HashEmbeddings(), progress=False)


# --- unreadable files ----------------------------------------------------------------------------------


def test_unreadable_files_are_reported_by_name_and_the_rest_is_indexed(corpus, settings):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "broken.docx").write_bytes(b"PK\x03\x04 this is not a real docx archive")

    report = build_index([corpus], settings, HashEmbeddings(), progress=False)

    failed = {e.path.name: e.reason for e in report.errors}
    assert set(failed) == {"empty.txt", "broken.docx"}
    assert "empty" in failed["empty.txt"] and "docx" in failed["broken.docx"]
    index = open_index(settings)
    assert {d["title"] for d in index.documents} == {
        "苏州市支持专精特新企业发展若干措施",
        "苏州市算力券管理办法",
        "苏州市推进车路云一体化发展行动方案",
    }
    assert {Path(e["path"]).name for e in index.manifest["errors"]} == {"empty.txt", "broken.docx"}
    # still reported when nothing changed since
    assert {e.path.name for e in build_index([corpus], settings, HashEmbeddings(), progress=False).errors} == set(failed)


# --- read side -------------------------------------------------------------------------------------------


def test_open_index_before_any_ingest_raises_index_missing(settings):
    assert not index_exists(settings)
    with pytest.raises(IndexMissing, match="python -m ingest"):
        open_index(settings)


def test_dense_search_returns_cosine_similarity_and_respects_where(corpus, settings):
    build_index([corpus], settings, HashEmbeddings(), progress=False)
    index = open_index(settings)
    query = HashEmbeddings.vector("算力券按企业实际支付算力服务费用抵扣")

    hits = index.dense_search(query, k=4)

    assert len(hits) == 4
    for clause_id, similarity in hits:
        expected = sum(a * b for a, b in zip(query, HashEmbeddings.vector(index.clauses[clause_id].embed_text)))
        assert similarity == pytest.approx(expected, abs=1e-4)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert "第三条" in index.clauses[hits[0][0]].label

    items = index.dense_search(query, k=50, where={"kind": "item"})
    assert items and all(index.clauses[cid].kind == "item" for cid, _ in items)
    assert len(items) == sum(c.kind == "item" for c in index.clauses.values())


@pytest.mark.model
def test_dense_search_is_exact_the_true_nearest_clauses_of_the_whole_corpus(corpus_index, embeddings):
    import numpy as np

    stored = corpus_index._collection.get(include=["embeddings"])  # the vectors as Chroma holds them
    vectors = np.asarray(stored["embeddings"], dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for question in ("燃气经营许可证怎么申请？", "How much subsidy for a car chip certification?", "人才落户需要什么条件"):
        query = np.asarray(embeddings.embed_query(question))
        cosines = vectors @ (query / np.linalg.norm(query))
        truth = sorted(cosines.tolist(), reverse=True)[:50]

        found = corpus_index.dense_search(list(query), k=50)

        assert [c for _, c in found] == pytest.approx(truth, abs=1e-5)  # HNSW's approximate graph misses some


def test_index_loads_clauses_in_document_order_with_tokens_and_counts(corpus, settings):
    report = build_index([corpus], settings, HashEmbeddings(), progress=False)
    index = open_index(settings)

    doc_order = [c.doc_id for c in index.clauses.values()]
    assert doc_order == sorted(doc_order, key=[d["doc_id"] for d in index.documents].index)
    articles = [c.label for c in index.clauses.values() if c.kind == "article"]
    assert [a[:3] for a in articles] == ["第一条", "第二条", "第三条", "第四条", "第五条"]
    assert sum(d["chunks"] for d in index.documents) == len(index.clauses) == report.chunks
    assert "算力券" in index.tokens[next(c.id for c in index.clauses.values() if "第二条" in c.label)]


def test_vectorstore_searches_the_current_collection(corpus, settings):
    build_index([corpus], settings, HashEmbeddings(), progress=False)
    store = open_index(settings).vectorstore(HashEmbeddings())

    found = store.similarity_search("建成车路云一体化示范道路500公里", k=1)

    assert "车路云一体化示范道路" in found[0].page_content
    assert found[0].metadata["doc_title"] == "苏州市推进车路云一体化发展行动方案"
    assert found[0].metadata["citation"].startswith("《苏州市推进车路云一体化发展行动方案》")


# --- shipped vector cache ------------------------------------------------------------------------------


def write_vector_cache(corpus: Path, settings: Settings, cache: Path, embeddings: Embeddings, monkeypatch) -> None:
    """`python -m ingest vectors --out cache` over `corpus`, in-process with the given embeddings."""
    from ingest.__main__ import main

    monkeypatch.setenv("POLICYQA_DATA_DIR", str(corpus))
    monkeypatch.setenv("POLICYQA_CACHE_DIR", str(settings.cache_dir))
    assert main(["vectors", "--out", str(cache)], embeddings=embeddings) == 0
    assert not settings.index_dir.exists()  # the cache is made in a throw-away index


def test_first_build_copies_cached_vectors_and_embeds_only_changed_clauses(corpus, settings, tmp_path, monkeypatch):
    cache = tmp_path / "vectors.npz"
    write_vector_cache(corpus, settings, cache, HashEmbeddings(), monkeypatch)
    (corpus / "b_regulation.txt").write_text(REGULATION.replace("30%", "40%"), encoding="utf-8")
    fake = HashEmbeddings()

    report = build_index([corpus], settings.with_(vector_cache=cache), fake, progress=False)

    assert fake.embedded and all("40%" in t for t in fake.embedded)
    assert report.embedded == len(fake.embedded) and report.reused == report.chunks - report.embedded
    index = open_index(settings)
    clause = next(c for c in index.clauses.values() if "专精特新" in c.text)  # copied from the cache
    best_id, similarity = index.dense_search(HashEmbeddings.vector(clause.embed_text), k=1)[0]
    assert best_id == clause.id and similarity == pytest.approx(1.0, abs=1e-3)


def test_cached_vectors_of_another_model_are_not_used(corpus, settings, tmp_path, monkeypatch):
    cache = tmp_path / "vectors.npz"
    write_vector_cache(corpus, settings, cache, HashEmbeddings(model_id="model-a"), monkeypatch)
    other = HashEmbeddings(model_id="model-b")

    report = build_index([corpus], settings.with_(vector_cache=cache), other, progress=False)

    assert report.embedded == report.chunks == len(other.embedded)
