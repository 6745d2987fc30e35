"""Title matching's longest shared stretch is the longest common substring, the earliest in the question."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.lookup import _longest_common_substring


def _by_every_stretch(a: str, b: str) -> str:
    """Every stretch of `a`, longest first, earliest first among equals: the first one `b` holds."""
    for size in range(len(a), 0, -1):
        for i in range(len(a) - size + 1):
            if a[i : i + size] in b:
                return a[i : i + size]
    return ""


@settings(max_examples=400, deadline=None)
@given(a=st.text("苏州市补贴企业ab", max_size=24), b=st.text("苏州市补贴企业ab", max_size=24))
def test_the_shared_stretch_is_the_longest_and_the_earliest_in_the_question(a, b):
    assert _longest_common_substring(a, b) == _by_every_stretch(a, b)


def test_a_shortened_title_is_matched_by_its_longest_shared_stretch():
    assert _longest_common_substring("燃气管理办法第三条怎么规定", "苏州市燃气管理办法") == "燃气管理办法"
