"""`python -m ingest`, `python -m ingest docs`, `python -m ingest export`.

The ingest command is run in-process with the fake embedder (`main(..., embeddings=...)`), the read-only
commands as real subprocesses; one `model` test runs the whole thing with the configured model.
"""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.__main__ import main
from ingest.index import open_index
from settings import Settings
from test_index import HashEmbeddings, write_corpus

REPO = Path(__file__).resolve().parents[1]
TITLES = ["苏州市支持专精特新企业发展若干措施", "苏州市算力券管理办法", "苏州市推进车路云一体化发展行动方案"]


@pytest.fixture
def env(tmp_path, jieba_cache_dir, monkeypatch) -> dict[str, str]:
    """Environment of a PolicyQA process whose data and index live in tmp_path."""
    values = {
        "POLICYQA_DATA_DIR": str(write_corpus(tmp_path / "data")),
        "POLICYQA_INDEX_DIR": str(tmp_path / "index"),
        "POLICYQA_CACHE_DIR": str(jieba_cache_dir),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **values}


def run_module(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_ingest_names_each_failed_file_exits_nonzero_and_indexes_the_rest(env, capsys):
    data = Path(env["POLICYQA_DATA_DIR"])
    (data / "empty.txt").write_bytes(b"")

    code = main([], embeddings=HashEmbeddings())

    out = capsys.readouterr().out
    assert code == 1
    assert str(data / "empty.txt") in out and "empty file" in out
    assert {d["title"] for d in open_index(Settings.from_env()).documents} == set(TITLES)


def test_ingest_twice_reports_nothing_changed(env, capsys):
    assert main([], embeddings=HashEmbeddings()) == 0
    capsys.readouterr()

    assert main([], embeddings=HashEmbeddings()) == 0

    out = capsys.readouterr().out
    assert "nothing changed" in out
    assert re.search(r"embedded\s+0\n", out)


def test_ingest_of_explicit_paths_indexes_only_those(env):
    data = Path(env["POLICYQA_DATA_DIR"])

    assert main([str(data / "b_regulation.txt"), "--quiet"], embeddings=HashEmbeddings()) == 0

    assert [d["title"] for d in open_index(Settings.from_env()).documents] == ["苏州市算力券管理办法"]


def test_docs_lists_every_document_with_its_metadata(env):
    main(["--quiet"], embeddings=HashEmbeddings())

    result = run_module("docs", env=env)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for title in TITLES:
        row = next(line for line in lines if line.startswith(title))
        assert "苏州市" in row[len(title):]
    measures = next(line for line in lines if line.startswith(TITLES[0]))
    assert "2025-01-01～2027-12-31" in measures
    assert "3 documents" in result.stdout


def test_export_writes_one_record_per_chunk_with_document_metadata(env, tmp_path):
    main(["--quiet"], embeddings=HashEmbeddings())
    out = tmp_path / "export" / "chunks.jsonl"

    result = run_module("export", "--out", str(out), env=env)

    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    clauses = open_index(Settings.from_env()).clauses
    assert [r["id"] for r in records] == list(clauses)
    for record in records:
        clause = clauses[record["id"]]
        assert record["text"] == clause.text and record["citation"] == clause.citation
        assert record["label"] == clause.label and record["section_path"] == clause.section_path
        assert record["kind"] == clause.kind and record["doc_title"] in TITLES
        assert {"jurisdiction", "valid_until", "doc_number", "source_files"} <= record.keys()


def test_docs_before_any_ingest_exits_with_a_clear_error(env):
    result = run_module("docs", env=env)

    assert result.returncode == 2
    assert "python -m ingest" in result.stderr


@pytest.mark.model
def test_ingest_module_with_the_configured_model_indexes_and_answers_a_dense_query(env):
    result = run_module("--quiet", env=env)

    assert result.returncode == 0, result.stderr
    assert "条款 chunks" in result.stdout
    index = open_index(Settings.from_env())
    from ingest.embeddings import load_embeddings

    query = load_embeddings(Settings.from_env()).embed_query("算力券每年最高抵扣多少")
    best = index.clauses[index.dense_search(query, k=1)[0][0]]
    assert "算力券" in best.text
