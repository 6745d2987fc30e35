"""Shared pytest fixtures. Heavy ones (the real model, the real corpus index) are session-scoped."""

from __future__ import annotations

import os
from pathlib import Path

# Offline by default: nothing in the test run may reach a model hub or analytics endpoint.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def jieba_cache_dir(tmp_path_factory) -> Path:
    """One jieba prefix-dictionary cache for the session (building it takes ~1 s)."""
    return tmp_path_factory.mktemp("jieba-cache")


@pytest.fixture(scope="session")
def embeddings():
    """The real default model (multilingual-e5-small, materialised offline into the project cache once)."""
    from ingest.embeddings import PolicyEmbeddings
    from settings import Settings

    model = PolicyEmbeddings(cache_dir=Settings.from_env().cache_dir)
    model.embed_query("预热")  # load now, so the first test using it is not charged the load
    return model


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, embeddings, data_dir):
    """The real index of the bundled corpus (`data/`), built once per session with the real model (~3 min on
    2 cores) into a temporary folder, so tests never depend on or disturb the developer's own index."""
    from ingest.index import build_index, open_index
    from settings import Settings

    root = tmp_path_factory.mktemp("corpus-index")
    settings = Settings.from_env(index_dir=root / "index", cache_dir=Settings.from_env().cache_dir)
    build_index([data_dir], settings, embeddings, progress=False)
    return open_index(settings)
