"""Homophone typos of a pasted message, read as the word the writer meant: 人材 → 人才, 从叶 → 从业, 申清 → 申请.

Callers' messages are typed with a pinyin keyboard, so a wrong character is mostly one with the same sound. Such
a word is unknown to the documents: the question would be judged uncovered for it, and retrieval would miss the
clause. A word (or a pair of characters the dictionary has no word for) is read as another when all hold — a
small noisy-channel rule, the meant word being far likelier than the typed one:

* the typed characters occur nowhere in the corpus, and the meant word is a word of the corpus;
* both have the same length and the same toneless pinyin, and differ in exactly one character, which is not a
  function word (我是 is no typo of 我市);
* in general usage (jieba's dictionary counts) the meant word is at least LIKELIER times as common;
* the corpus has the meant word with the message's own neighbouring word (人才落户, 从业资格), at least CONTEXT
  characters of it: the context confirms it, so that a real but rarer word is left alone (领到 is not 领导 in
  补助款领到后). Two characters the dictionary has no word for are a likelier typo: a one-character neighbour
  confirms them (出组车 → 出租车), but a longer one only whole (营业执造 is not 营业制造, though 工业制造 has 业制造).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from pypinyin import Style, lazy_pinyin, pinyin

from ingest.tokenize import STOPWORDS, word_frequency, words
from rag.substrings import SubstringIndex

LENGTHS = (2, 3)
LIKELIER = 20
CONTEXT = 2  # characters beside the meant word that the corpus must have beside it too (1 for a non-word)
MIN_DOCUMENTS = 2  # a corpus word in one clause only may itself be a typo or a name
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Repair:
    typed: str
    meant: str


class TypoRepair:
    """Built once per index, from its vocabulary (token → clauses using it) and its text."""

    def __init__(self, vocabulary: Mapping[str, int], corpus: SubstringIndex,
                 frequency: Mapping[str, int] | None = None) -> None:
        self.corpus = corpus
        self.frequency = word_frequency() if frequency is None else frequency
        self._by_sound: dict[tuple[str, ...], list[str]] = {}
        for word, documents in vocabulary.items():
            if len(word) in LENGTHS and documents >= MIN_DOCUMENTS and _CJK_WORD.fullmatch(word):
                self._by_sound.setdefault(tuple(lazy_pinyin(word)), []).append(word)

    def repair(self, text: str) -> tuple[str, list[Repair]]:
        """The text with each typo replaced by the word meant, and the repairs made, in reading order."""
        cut = words(text)
        repairs: list[Repair] = []
        out, done, start = [], 0, 0
        for i, word in enumerate(cut):
            end = start + len(word)
            # A typo is a whole word (人材), or two one-character words that make none (从 叶).
            pair = word + cut[i + 1] if i + 1 < len(cut) and len(word) == len(cut[i + 1]) == 1 else ""
            for typed in (word, pair):
                if start < done or not (len(typed) in LENGTHS and _CJK_WORD.fullmatch(typed)):
                    continue
                n = CONTEXT if typed in self.frequency else 1
                # The neighbours are whole words, at least n characters: 营业执造 is checked as 营业 + 制造, which the
                # corpus never writes, not as 业 + 制造, which it does (工业制造).
                following = i + (2 if typed == pair else 1)
                before = max(n, len(cut[i - 1]) if i else 0)
                after = max(n, len(cut[following]) if following < len(cut) else 0)
                end_typed = start + len(typed)
                found = self._meant(typed, text[max(0, start - before):start], text[end_typed:end_typed + after])
                if found:
                    out.append(text[done:start] + found.meant)
                    repairs.append(found)
                    done = start + len(typed)
                    break
            start = end
        out.append(text[done:])
        return "".join(out), repairs

    def _meant(self, typed: str, before: str, after: str) -> Repair | None:
        if typed in self.corpus:
            return None
        least = LIKELIER * max(self.frequency.get(typed, 0), 1)
        candidates = {
            word for sound in _sounds(typed) for word in self._by_sound.get(sound, ())
            if _one_typo(typed, word) and self.frequency.get(word, 0) >= least
            and (before + word in self.corpus or word + after in self.corpus)
        }
        if len(candidates) != 1:  # none, or several words it could be: left as typed
            return None
        return Repair(typed, candidates.pop())


def _one_typo(typed: str, word: str) -> bool:
    """Exactly one character differs, and the typed one is no function word."""
    differing = [t for t, w in zip(typed, word) if t != w]
    return len(differing) == 1 and differing[0] not in STOPWORDS


@lru_cache(maxsize=8192)
def _sounds(text: str) -> list[tuple[str, ...]]:
    """Every toneless reading of the characters (a character may have several: 行 xing / hang)."""
    return [tuple(s) for s in product(*pinyin(text, style=Style.NORMAL, heteronym=True))]
