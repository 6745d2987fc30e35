"""The settings object: environment parsing and the README's configuration table."""

from datetime import date
from pathlib import Path

from settings import ROOT, Settings, documented_settings


def test_defaults_apply_when_environment_is_empty():
    s = Settings.from_env({})
    assert s.data_dir == ROOT / "data"
    assert s.embedding_model == "multilingual-e5-small"
    assert s.llm_base_url is None and s.chroma_host is None


def test_environment_values_are_parsed_to_field_types():
    s = Settings.from_env(
        {
            "POLICYQA_TOP_K": "7",
            "POLICYQA_LLM_TIMEOUT": "2.5",
            "POLICYQA_INDEX_DIR": "/tmp/x",
            "POLICYQA_TODAY": "2026-01-31",
            "CHROMA_HOST": "127.0.0.1",
        }
    )
    assert s.top_k == 7 and s.llm_timeout == 2.5
    assert s.index_dir == Path("/tmp/x")
    assert s.current_date() == date(2026, 1, 31)
    assert s.chroma_host == "127.0.0.1"


def test_a_switch_reads_0_false_and_no_as_off_and_1_true_yes_as_on():
    assert Settings.from_env({}).learned_order is True
    for off in ("0", "false", "No"):
        assert Settings.from_env({"POLICYQA_LEARNED_ORDER": off}).learned_order is False
    for on in ("1", "true", "YES"):
        assert Settings.from_env({"POLICYQA_LEARNED_ORDER": on}).learned_order is True


def test_empty_environment_value_means_default():
    assert Settings.from_env({"POLICYQA_TOP_K": ""}).top_k == 5


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [env for env, _, _ in documented_settings() if f"`{env}`" not in readme]
    assert not missing, f"README configuration table lacks {missing}"
