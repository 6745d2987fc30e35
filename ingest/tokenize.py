"""Text → BM25 tokens. Clauses at ingest and questions at query time go through the same `tokenize`, so
whatever normalisation one side gets, the other gets too.

Segmentation is jieba's `cut_for_search`, not `cut`: it emits a long word *and* the dictionary words inside
it (车路云一体化 → 一体, 一体化, 车路云一体化). A question that names only part of a term (创新券, 一体化) then
still shares tokens with the clause, while an exact full-term match shares more tokens and so scores higher.
A user dictionary of policy terms (`userdict.txt`) keeps terms such as 专精特新 or 科技创新券 from being cut
into meaningless halves (专精 / 特新). Terms of everyday questions that no document uses (公租房, 产假, and the
synonym map's 开公司 or 煤气瓶; generated in `domain/data/zh_absent.txt`) are kept whole too, so that a question
about them is not read as one about the words inside them (租房), and a synonym's key is one token to look up;
being absent from the corpus, they change no clause's tokens.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import jieba

from domain.terms import load_absent_chinese

USER_DICT = Path(__file__).with_name("userdict.txt")
USER_WORD_FREQUENCY = 30000  # as userdict.txt gives its terms: enough to win over the words inside them

# Function words and question words: frequent in questions, uninformative for matching clauses.
STOPWORDS = frozenset(
    """的 地 得 了 着 过 和 与 及 以及 或 或者 等 在 对 为 是 将 按 由 把 被 并 其 之 于 以 从 向 给 则 而 即 如
    这 那 该 此 有 也 都 就 还 又 吗 呢 吧 啊 呀 么 什么 哪些 哪个 哪里 如何 怎么 怎样 怎么样 多少 是否 请问 可以
    能否 能 会 要 需要 我 我们 你 你们 他们 它 一下 一个""".split()
)

# A token must contain a letter, digit or CJK ideograph; everything else is punctuation or symbols.
_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u9fff]")
# 首台（套）, 市（区）: a one-character bracketed insertion inside a word; keep the word whole (首台套).
_ONE_CHAR_INSERT = re.compile(r"(?<=[\u4e00-\u9fff])\(([\u4e00-\u9fff])\)")
_SPACE_RUN = re.compile(r"\s+")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_cache_dir: Path | None = None


def configure(cache_dir: Path) -> None:
    """Where jieba keeps its prefix-dictionary cache (built once, ~1 s). Call before the first `tokenize`;
    without it the cache folder of `Settings.from_env()` is used."""
    global _cache_dir
    _cache_dir = Path(cache_dir)


def normalise(text: str) -> str:
    """Matching form of a text: NFKC (full-width digits, letters and spaces → ASCII), lower case, one-character
    bracket insertions dissolved, whitespace kept only between ASCII words."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _ONE_CHAR_INSERT.sub(r"\1", text)
    return _SPACE_RUN.sub(_space_or_nothing, text).strip()


def _space_or_nothing(match: re.Match) -> str:
    """Whitespace means nothing next to CJK characters or between digits ("100 万元", "1 000", "专精 特新");
    it only separates two ASCII words (ai agent, agent 5)."""
    text = match.string
    left = text[match.start() - 1] if match.start() else ""
    right = text[match.end()] if match.end() < len(text) else ""
    words = left.isascii() and right.isascii() and left.isalnum() and right.isalnum()
    return " " if words and not (left.isdigit() and right.isdigit()) else ""


_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")


def split_sentences(text: str) -> list[str]:
    """A clause's sentences (and semicolon-separated parts), in order, each with its closing mark."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


QUESTION_CHARS = 600  # texts up to this long are remembered by `tokenize`: questions, not clauses
TOKENIZED_CACHE = 4096


def tokenize(text: str) -> list[str]:
    """BM25 tokens of a clause or a question, in order, duplicates kept (BM25 counts them). A question's are
    remembered: retrieval, term coverage and the answerer each cut the same question."""
    if len(text) <= QUESTION_CHARS:
        return list(_tokenize_remembered(text))
    return _tokenize(text)


@lru_cache(maxsize=TOKENIZED_CACHE)
def _tokenize_remembered(text: str) -> tuple[str, ...]:
    return tuple(_tokenize(text))


def _tokenize(text: str) -> list[str]:
    tokens = _get_tokenizer().cut_for_search(normalise(text))
    return [t for t in tokens if t not in STOPWORDS and _WORDLIKE.search(t)]


def words(text: str) -> list[str]:
    """The text cut into dictionary words, in order, nothing dropped. Unknown words are not guessed: a pair of
    characters the dictionary lacks (a typo: 从叶) stays two one-character words."""
    return list(_get_tokenizer().cut(text, HMM=False))


def word_frequency() -> Mapping[str, int]:
    """How common each dictionary word is in general usage: jieba's counts (policy terms at
    USER_WORD_FREQUENCY)."""
    tokenizer = _get_tokenizer()
    tokenizer.check_initialized()
    return tokenizer.FREQ


def _get_tokenizer() -> jieba.Tokenizer:
    """One private jieba instance per process, initialised once even when many threads ask at the same time.
    A private instance leaves the global `jieba.dt` (and anyone else's words) alone."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)  # jieba logs its cache building at INFO on every start
            tokenizer = jieba.Tokenizer()
            cache_dir = _cache_dir or _default_cache_dir()
            cache_dir.mkdir(parents=True, exist_ok=True)
            tokenizer.tmp_dir = str(cache_dir)
            tokenizer.load_userdict(str(USER_DICT))  # initialises the dictionary first
            for word in load_absent_chinese():  # 公租房, 产假: kept whole in a question (see domain.terms)
                tokenizer.add_word(word, USER_WORD_FREQUENCY, "n")
            _tokenizer = tokenizer
        return _tokenizer


def _default_cache_dir() -> Path:
    from settings import Settings

    return Settings.from_env().cache_dir / "jieba"
