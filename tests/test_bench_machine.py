"""The benchmark names the CPU it ran on and the instruction sets that decide embedding speed."""

from bench.machine import cpu_info, describe

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse2 avx avx2 fma

processor\t: 1
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse2 avx avx2 fma
"""


def test_cpu_info_reads_model_and_which_vector_flags_are_present(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)

    info = cpu_info(path)

    assert info["model"] == "AMD EPYC 7B13"
    assert info["flags"]["avx2"] and not info["flags"]["avx512f"] and not info["flags"]["amx_bf16"]
    assert describe(info).startswith("AMD EPYC 7B13; has avx2; lacks avx512f")


def test_missing_cpuinfo_is_reported_as_unknown(tmp_path):
    assert cpu_info(tmp_path / "absent") == {"model": "unknown", "flags": {}}


def test_a_machine_without_a_cjk_font_skips_the_printed_documents_with_the_reason_not_the_whole_run(
        tmp_path, monkeypatch):
    import bench.printing as printing
    from bench.documents import document_figures
    from bench.report import table

    monkeypatch.setattr(printing, "_font_match", lambda: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:0")
    (tmp_path / "a.txt").write_text("苏州市某某管理办法\n第一条 为了规范管理，制定本办法。\n", encoding="utf-8")

    figures = document_figures(tmp_path, tmp_path / "printed")

    assert figures == {"error": "printed documents not measured: no CJK font installed (apt-get install fonts-noto-cjk)"}
    assert "no CJK font installed" in table({"documents": figures})
