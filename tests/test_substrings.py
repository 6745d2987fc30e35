"""The corpus substring index answers exactly what a scan of the text answers."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answerability import miscut_words
from rag.substrings import SubstringIndex

# A small alphabet, so terms repeat, overlap themselves (啊啊 in 啊啊啊) and often occur; one character
# outside the Basic Multilingual Plane, which a 16-bit encoding would split in two.
ALPHABET = "啊补贴企业a1𠀋"


@settings(max_examples=300, deadline=None)
@given(text=st.text(ALPHABET, max_size=60), terms=st.lists(st.text(ALPHABET, max_size=6), max_size=20))
def test_membership_and_count_are_those_of_the_plain_text(text, terms):
    index = SubstringIndex(text)
    for term in terms:
        assert (term in index) == (term in text)
        assert index.count(term) == text.count(term)


@settings(max_examples=100, deadline=None)
@given(text=st.text(ALPHABET, min_size=1, max_size=60), data=st.data())
def test_every_piece_of_the_text_is_found_as_often_as_the_text_holds_it(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    term = text[start : data.draw(st.integers(start + 1, len(text)))]
    index = SubstringIndex(text)
    assert term in index
    assert index.count(term) == text.count(term)


def test_a_term_spanning_two_joined_clauses_is_found_as_in_the_joined_text():
    clauses = ["申请人应当提交承诺", "书签订后生效"]
    index = SubstringIndex("".join(clauses))
    assert "承诺书" in index
    assert "承诺书" not in SubstringIndex("|".join(clauses))


def test_a_self_overlapping_term_is_counted_without_overlaps():
    assert SubstringIndex("啊啊啊啊啊").count("啊啊") == 2
    assert SubstringIndex("补补补贴补补贴").count("补补") == 2


def test_split_words_are_judged_the_same_over_the_index_as_over_the_text():
    corpus = "管道保护范围内不得种植深根植物。范围内的单位应当配合。保护范围由规划部门划定。"
    question = "燃气管道保护范围内能不能种树？"
    assert miscut_words(question, SubstringIndex(corpus)) == miscut_words(question, corpus)


@settings(max_examples=200, deadline=None)
@given(text=st.text(ALPHABET, max_size=60), term=st.text(ALPHABET, min_size=1, max_size=3))
def test_positions_are_every_start_of_the_term_but_the_last_character(text, term):
    """One-character terms are found as the first character of a bigram: a text ending in a separator loses
    nothing (rag/retrievers.TermCoverage joins its clauses that way)."""
    text += "\0"
    expected = [i for i in range(len(text)) if text.startswith(term, i)]
    assert SubstringIndex(text).positions(term).tolist() == expected
