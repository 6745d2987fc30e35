"""Shipped clause vectors: a first ingest of the bundled corpus copies them instead of running the model.

One compressed `.npz` per deployment: the model id and engine the vectors were made with, and per clause the
hash of its embedding text and its vector in float16 (lossless enough: cosine ≥ 0.9999 to the float32 vector;
a 1,100-clause corpus fits in about 1 MB). A clause whose embedding text changed, or any clause under another
model or engine, misses the cache and is embedded as usual — the cache can be stale, never wrong.

Regenerate it from a fresh index with `python -m ingest vectors` (see ingest/__main__.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ingest.model import Clause


def text_key(embed_text: str) -> str:
    return hashlib.sha256(embed_text.encode("utf-8")).hexdigest()[:32]


def cached_vectors(path: Path, model_key: dict[str, str], clauses: list[Clause]) -> dict[str, list[float]]:
    """Vectors from the cache at `path` for the clauses whose embedding text it holds under `model_key`
    (model id and engine); empty when the file is missing or was made with another model or engine."""
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as cache:
        if {"model_id": str(cache["model_id"]), "engine": str(cache["engine"])} != model_key:
            return {}
        row = {key: i for i, key in enumerate(cache["keys"].tolist())}
        wanted = [(c.id, row[k]) for c in clauses if (k := text_key(c.embed_text)) in row]
        if not wanted:
            return {}
        vectors = cache["vectors"][[i for _, i in wanted]].astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # undo float16 rounding of the length
    return {cid: vector.tolist() for (cid, _), vector in zip(wanted, vectors, strict=True)}


def write_cache(path: Path, model_key: dict[str, str], embed_texts: list[str], vectors: np.ndarray) -> int:
    """Write the cache for these texts and vectors (one row each); returns the file's size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = np.array([text_key(t) for t in embed_texts])
    tmp = path.with_name(f".{path.name}.tmp.npz")
    np.savez_compressed(tmp, model_id=np.array(model_key["model_id"]), engine=np.array(model_key["engine"]),
                        keys=keys, vectors=np.asarray(vectors, dtype=np.float16))
    tmp.replace(path)
    return path.stat().st_size
