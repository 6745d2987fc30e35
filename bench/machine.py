"""What the figures were measured on: the CPU model and the instruction sets that decide embedding speed."""

from __future__ import annotations

from pathlib import Path

# AVX-512 and native bf16 / AMX make the same model several times faster; the figures mean little without them.
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def cpu_info(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict:
    """{"model": str, "flags": {flag: bool}} for the first CPU listed."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return {"model": "unknown", "flags": {}}
    fields: dict[str, str] = {}
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    present = set(fields.get("flags", "").split())
    return {"model": fields.get("model name", "unknown"), "flags": {f: f in present for f in FLAGS}}


def describe(info: dict) -> str:
    """One line: model, then the flags it has and the ones it lacks."""
    has = [f for f, on in info["flags"].items() if on]
    lacks = [f for f, on in info["flags"].items() if not on]
    return f"{info['model']}; has {', '.join(has) or 'none of them'}; lacks {', '.join(lacks) or 'none'}"
