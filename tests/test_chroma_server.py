"""Server mode: the index on a real Chroma server (`chroma run`, started here on a free loopback port).

With `chroma_host` set, everything a reader needs lives on the server — vectors, clause records, BM25 tokens and
the manifest — and `index_dir` holds only the ingest lock; these tests show a build, incremental re-build, dense
search, the assistant, and reader processes with index folders of their own all work against the same server
and follow a new build. Real embeddings (the session model) on a two-document corpus.
"""

from __future__ import annotations

from rag.runtime import make_assistant

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import httpx
import pytest
from chromadb.config import Settings as ChromaSettings

from ingest.index import build_index, open_index
from settings import Settings
from stubs.policies import GRANT_MEASURES, WASTE_REGULATION
from web.server import free_port

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A `chroma run` process on 127.0.0.1; yields (host, port); killed (and reaped) at the end."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if chroma is None:
        pytest.fail("the chroma CLI of the chromadb package is not installed next to this Python")
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chroma server exited with {proc.returncode}: {(folder / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("chroma server did not answer its heartbeat within 60 s")
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        proc.kill()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def server_settings(chroma_server, tmp_path_factory) -> Settings:
    host, port = chroma_server
    root = tmp_path_factory.mktemp("server-mode")
    data = root / "data"
    data.mkdir()
    (data / "measures.txt").write_text(GRANT_MEASURES, encoding="utf-8")
    (data / "regulation.txt").write_text(WASTE_REGULATION, encoding="utf-8")
    return Settings(
        data_dir=data,
        index_dir=root / "index",
        cache_dir=Settings.from_env().cache_dir,  # the materialised model and jieba cache
        chroma_host=host,
        chroma_port=port,
    )


@pytest.fixture(scope="module")
def built(server_settings, embeddings):
    return build_index([server_settings.data_dir], server_settings, embeddings, progress=False)


def server_collections(settings: Settings) -> dict[str, int]:
    """Clause collections on the server by name, with their record counts."""
    client = chromadb.HttpClient(
        host=settings.chroma_host, port=settings.chroma_port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    return {c.name: c.count() for c in client.list_collections() if c.name.startswith("clauses_")}


@pytest.mark.model
def test_build_stores_every_clause_and_the_manifest_on_the_server_and_nothing_local(server_settings, built):
    assert built.documents == 2 and built.embedded == built.chunks > 0
    assert server_collections(server_settings) == {f"clauses_{built.build_id}": built.chunks}
    assert [p.name for p in server_settings.index_dir.iterdir()] == [".ingest.lock"]
    index = open_index(server_settings)
    assert index.build_id == built.build_id and len(index.clauses) == len(index.tokens) == built.chunks


@pytest.mark.model
def test_dense_search_through_the_server_finds_the_matching_clause(server_settings, built, embeddings):
    index = open_index(server_settings)
    hits = index.dense_search(embeddings.embed_query("本科毕业生租房补贴每月多少钱？"), k=3)
    assert index.clauses[hits[0][0]].citation == "《苏州市促进青年人才安居若干措施》一、"
    fine = index.dense_search(embeddings.embed_query("垃圾不分类罚款多少"), k=1, where={"doc_kind": "regulation"})
    assert index.clauses[fine[0][0]].label == "第三条"


@pytest.mark.model
def test_a_second_process_reading_the_server_sees_the_same_index(server_settings, built, embeddings):
    """Another process (say, a second app worker) opens the index by the manifest and queries the server."""
    vector = embeddings.embed_query("首次购房补贴最高多少")
    expected = [cid for cid, _ in open_index(server_settings).dense_search(vector, k=3)]
    reader = (
        "import json, sys\n"
        "from ingest.index import open_index\n"
        "from settings import Settings\n"
        "job = json.load(sys.stdin)\n"
        "s = Settings(index_dir=__import__('pathlib').Path(job['index_dir']), chroma_host=job['host'], "
        "chroma_port=job['port'])\n"
        "index = open_index(s)\n"
        "print(json.dumps({'build': index.build_id, 'ids': [c for c, _ in index.dense_search(job['vector'], 3)]}))\n"
    )
    job = {
        "index_dir": str(server_settings.index_dir),
        "host": server_settings.chroma_host,
        "port": server_settings.chroma_port,
        "vector": vector,
    }
    out = subprocess.run(
        [sys.executable, "-c", reader], input=json.dumps(job), capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"build": built.build_id, "ids": expected}


@pytest.mark.model
def test_assistant_answers_from_the_server_index_with_citation(server_settings, built, embeddings):

    settings = server_settings.with_(llm_base_url=None)
    assistant = make_assistant(settings, embeddings, open_index(settings))
    answer = assistant.ask("青年人才首次购房能拿多少补贴？")
    assert not answer.refused
    assert any(c.citation == "《苏州市促进青年人才安居若干措施》二、" for c in answer.citations)
    assert "5万元" in answer.text or any("5万元" in c.text for c in answer.citations)


@pytest.mark.model
def test_changed_file_rebuild_on_the_server_reuses_vectors_and_retires_old_collections(
    server_settings, built, embeddings
):
    """Runs last in this module: it changes the corpus. Incremental reuse reads vectors back from the server."""
    path = server_settings.data_dir / "regulation.txt"
    path.write_text(WASTE_REGULATION + "\n第五条 本办法由市城市管理局负责解释。\n", encoding="utf-8")
    second = build_index([server_settings.data_dir], server_settings, embeddings, progress=False)
    assert 0 < second.embedded < second.chunks and second.reused == second.chunks - second.embedded
    third = build_index([server_settings.data_dir], server_settings, embeddings, progress=False)
    assert third.nothing_changed
    path.write_text(WASTE_REGULATION, encoding="utf-8")
    fourth = build_index([server_settings.data_dir], server_settings, embeddings, progress=False)
    # The current build and the one it replaced (a reader may still hold it); the first build is gone.
    assert set(server_collections(server_settings)) == {f"clauses_{fourth.build_id}", f"clauses_{second.build_id}"}
    assert open_index(server_settings).build_id == fourth.build_id


@pytest.mark.model
def test_app_worker_follows_ingests_made_by_another_process(server_settings, built, embeddings):
    """Two ingests elsewhere retire the build this worker opened; its next question reads the newest build."""
    from app import create_app

    settings = server_settings.with_(llm_base_url=None)
    services = create_app(settings).state.services
    opened = services.live.index.build_id
    path = settings.data_dir / "regulation.txt"
    path.write_text(WASTE_REGULATION + "\n第五条 本办法由市城市管理局负责解释。\n", encoding="utf-8")
    build_index([settings.data_dir], settings, embeddings, progress=False)
    path.write_text(WASTE_REGULATION + "\n第五条 本办法由市城市管理局负责解释。\n第六条 本办法自公布之日起施行。\n",
                    encoding="utf-8")
    newest = build_index([settings.data_dir], settings, embeddings, progress=False)
    assert f"clauses_{opened}" not in server_collections(settings)

    answer = services.answering.ask("生活垃圾分类管理办法由哪个部门负责解释？")

    assert services.live.index.build_id == newest.build_id
    assert any(c.citation == "《苏州市生活垃圾分类管理办法》第五条" for c in answer.citations)


def _start_app(settings: Settings, index_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """`python app.py` as its own process, with its own (empty) index folder, pointed at the Chroma server."""
    port = free_port()
    env = {
        **os.environ,
        "CHROMA_HOST": settings.chroma_host,
        "CHROMA_PORT": str(settings.chroma_port),
        "POLICYQA_INDEX_DIR": str(index_dir),
        "POLICYQA_DATA_DIR": str(settings.data_dir),
        "POLICYQA_CACHE_DIR": str(settings.cache_dir),
        "POLICYQA_PORT": str(port),
    }
    env.pop("POLICYQA_LLM_BASE_URL", None)  # extractive answers
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def _wait_ready(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 300
    while True:
        assert proc.poll() is None, f"app exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}"
        try:
            if httpx.get(f"{url}/api/documents", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "app did not serve within 300 s"
        time.sleep(0.5)


def _cited(url: str, question: str) -> list[str]:
    reply = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=120)
    assert reply.status_code == 200, reply.text
    return [c["citation"] for c in reply.json()["citations"]]


@pytest.mark.model
def test_two_app_processes_with_separate_folders_serve_one_build_and_follow_a_third_process_ingest(
    server_settings, built, embeddings, tmp_path
):
    """Replicas share nothing but the Chroma server: neither app's own index folder ever holds a build, both
    answer from the server's build, and both switch to the build a third process ingests."""
    question = "生活垃圾分类管理办法由哪个部门负责解释？"
    rule = "《苏州市生活垃圾分类管理办法》第五条"
    path = server_settings.data_dir / "regulation.txt"
    path.write_text(WASTE_REGULATION, encoding="utf-8")
    before = build_index([server_settings.data_dir], server_settings, embeddings, progress=False)
    apps = [_start_app(server_settings, tmp_path / f"app{i}", tmp_path / f"app{i}.log") for i in (1, 2)]
    try:
        for i, (proc, url) in enumerate(apps, start=1):
            _wait_ready(proc, url, tmp_path / f"app{i}.log")
        assert all(rule not in _cited(url, question) for _, url in apps)

        path.write_text(WASTE_REGULATION + "\n第五条 本办法由市城市管理局负责解释。\n", encoding="utf-8")
        ingest = subprocess.run(
            [sys.executable, "-m", "ingest", "--quiet", str(server_settings.data_dir)], cwd=REPO,
            env={**os.environ, "CHROMA_HOST": server_settings.chroma_host,
                 "CHROMA_PORT": str(server_settings.chroma_port), "POLICYQA_INDEX_DIR": str(tmp_path / "ingester"),
                 "POLICYQA_CACHE_DIR": str(server_settings.cache_dir)},
            capture_output=True, text=True, timeout=600,
        )
        assert ingest.returncode == 0, ingest.stderr[-2000:]
        after = open_index(server_settings).build_id
        assert after != before.build_id

        assert all(rule in _cited(url, question) for _, url in apps)
        for i in (1, 2):  # the apps never built anything locally
            assert not (tmp_path / f"app{i}").exists() or not any((tmp_path / f"app{i}").iterdir())
    finally:
        for proc, _ in apps:
            proc.terminate()
        for proc, _ in apps:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
