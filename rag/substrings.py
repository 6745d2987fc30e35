"""A long text that answers `term in text` and `text.count(term)` without scanning it.

Answerability asks, for every question, whether each of its terms occurs anywhere in the corpus and how often a
word occurs glued to its neighbour (rag/answerability.py). Each was a scan of the whole corpus text: at 20× the
corpus (4.7 million characters) those scans were the part of a question's time that grew with the corpus. An
index of where each pair of adjacent characters (a bigram) occurs makes a search cost what the term's rarest
bigram costs instead: a term occurs at p exactly when each of its bigrams occurs at p + its offset.
"""

from __future__ import annotations

import numpy as np

_SHIFT = np.uint64(21)  # a code point fits in 21 bits: a bigram is one 42-bit number


class SubstringIndex:
    """`term in index` and `index.count(term)` give what they give on `index.text`, a plain `str`."""

    def __init__(self, text: str) -> None:
        self.text = text
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        keys = (codes[:-1] << _SHIFT) | codes[1:]
        del codes
        # Each bigram's positions, ascending. Narrowed and freed as it goes: at 20× the corpus (4.7 million
        # characters) the build would otherwise hold over 200 MB for a moment.
        self._positions = np.argsort(keys, kind="stable").astype(np.int32 if len(text) < 2**31 else np.int64)
        keys = keys[self._positions]
        first = np.flatnonzero(np.diff(keys)) + 1 if len(keys) else np.zeros(0, dtype=np.int64)
        first = np.concatenate(([0], first)) if len(keys) else first
        self._bigrams = keys[first]
        self._bounds = np.append(first, len(keys))  # the positions of bigram i: _positions[_bounds[i]:_bounds[i + 1]]

    def __len__(self) -> int:
        return len(self.text)

    def __contains__(self, term: str) -> bool:
        if len(term) < 2:
            return term in self.text
        return len(self._starts(term)) > 0

    def count(self, term: str) -> int:
        """Occurrences that do not overlap, counted from the left, as `str.count` counts them."""
        if len(term) < 2:
            return self.text.count(term)
        starts = self._starts(term)
        if len(starts) < 2 or np.diff(starts).min() >= len(term):
            return len(starts)
        count, free = 0, 0  # a term that overlaps itself (啊啊 in 啊啊啊): skip the ones inside the last counted
        for start in starts.tolist():
            if start >= free:
                count, free = count + 1, start + len(term)
        return count

    def positions(self, term: str) -> np.ndarray:
        """Every position where `term` starts, ascending, overlapping ones included. A one-character term is
        found as the first character of its bigrams, so not as the text's last character."""
        if len(term) >= 2:
            return self._starts(term)
        low = (np.uint64(ord(term)) << _SHIFT) if term else np.uint64(0)
        i, j = np.searchsorted(self._bigrams, [low, low + (np.uint64(1) << _SHIFT)])
        return np.sort(self._positions[self._bounds[i] : self._bounds[j]])

    def _starts(self, term: str) -> np.ndarray:
        """Every position where `term` (two or more characters) starts, ascending, overlapping ones included."""
        spans = []
        for offset in range(len(term) - 1):
            positions = self._occurrences(term[offset : offset + 2])
            if not len(positions):
                return positions
            spans.append((len(positions), offset, positions))
        spans.sort(key=lambda span: span[0])
        _, offset, positions = spans[0]
        starts = positions - offset  # from the rarest bigram; each further bigram keeps the starts it agrees with
        for _, offset, positions in spans[1:]:
            if not len(starts):
                break
            wanted = starts + offset
            at = np.minimum(np.searchsorted(positions, wanted), len(positions) - 1)
            starts = starts[positions[at] == wanted]
        return starts

    def _occurrences(self, bigram: str) -> np.ndarray:
        key = (np.uint64(ord(bigram[0])) << _SHIFT) | np.uint64(ord(bigram[1]))
        i = int(np.searchsorted(self._bigrams, key))
        if i == len(self._bigrams) or self._bigrams[i] != key:
            return self._positions[:0]
        return self._positions[self._bounds[i] : self._bounds[i + 1]]
