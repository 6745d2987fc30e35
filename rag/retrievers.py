"""The parts of a retrieval pipeline (see rag/retrieval.py for the contract they share).

* `DenseRetriever` — e5 cosine over the store's vectors; evidence: `best_cosine`.
* `BM25Retriever` — Okapi BM25 over jieba tokens; evidence: `lexical_coverage`.
* `TranslatedRetriever` — another retriever over an English question's Chinese pseudo-query.
* `RRF` — reciprocal rank fusion of the retrievers' rankings.
* `Preferences` — scale down secondary text, expired documents, other places and other yearly editions than asked;
  scale up the named document and the clauses stating what is asked for (validity, conditions); a named
  document's validity clause, when its term is asked, is first put level with the document's best clause.
* `TermCoverage` — scale up the clauses that contain more of what the question asks about (IDF-weighted).
  (rag/ranker.py then reorders the head by a model fitted over what all of these measured.)
* `DirectLookup` — a question naming a 文号, or a document plus a clause, gets those clauses first.
* `CrossEncoderReranker` — the optional cross-encoder (none is available offline).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache
from itertools import islice

import numpy as np
from langchain_core.embeddings import Embeddings
from rank_bm25 import BM25Okapi

from domain.jurisdiction import CITY, jurisdiction_of
from domain.terms import load_synonyms
from domain.validity import ASKS_TERM, ASKS_VALIDITY, STATES_VALIDITY, is_expired
from ingest.model import Clause
from ingest.tokenize import normalise, split_sentences, tokenize
from rag import lookup
from rag.retrieval import Candidates, ClauseStore, Query
from rag.substrings import SubstringIndex
from rag.translate import is_latin, term_groups, to_chinese
from settings import Settings

CANDIDATES = 100  # per retriever, before fusion (of ~1,100 clauses)

class DenseRetriever:
    """Nearest clauses by the embedding model's cosine."""

    name = "dense"

    def __init__(self, store: ClauseStore, embeddings: Embeddings) -> None:
        self.store = store
        self.embeddings = embeddings

    def retrieve(self, query: Query) -> Candidates:
        vector = self.embeddings.embed_query(query.text)
        # With filters, ask for everything and filter here: validity is judged by date, which Chroma's
        # metadata filter cannot do, and a full scan of ~1,100 vectors is still a few milliseconds.
        k = CANDIDATES if query.admitted is None else len(self.store.clauses)
        found = [(cid, cos) for cid, cos in self.store.dense_search(vector, k) if query.admits(cid)][:CANDIDATES]
        return Candidates(self.name, found, {"best_cosine": found[0][1] if found else 0.0})


class PostingsBM25(BM25Okapi):
    """rank_bm25's Okapi BM25 (same idf, k1, b, scores) over an inverted index: scoring a question touches only
    the clauses that contain its tokens, not every clause once per token — 20× the corpus would otherwise cost
    20× the time of each BM25 query."""

    def __init__(self, corpus: list[list[str]]) -> None:
        super().__init__(corpus)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for position, freqs in enumerate(self.doc_freqs):
            for token, tf in freqs.items():
                docs, tfs = postings.setdefault(token, ([], []))
                docs.append(position)
                tfs.append(tf)
        self.postings = {t: (np.array(d), np.array(f, dtype=float)) for t, (d, f) in postings.items()}
        self.length_norm = self.k1 * (1 - self.b + self.b * np.array(self.doc_len) / self.avgdl)

    def get_scores(self, query: list[str]) -> np.ndarray:
        scores = np.zeros(self.corpus_size)
        for token in query:  # a repeated token counts again, as in BM25Okapi
            if token in self.postings:
                docs, tf = self.postings[token]
                scores[docs] += self.idf.get(token, 0.0) * tf * (self.k1 + 1) / (tf + self.length_norm[docs])
        return scores


class LexicalIndex:
    """The BM25 table of one index build and the IDF weights answers are scored with."""

    def __init__(self, store: ClauseStore) -> None:
        self.ids = list(store.clauses)
        # An empty token list would give BM25 a zero-length document; a placeholder keeps lengths sane.
        self.bm25 = PostingsBM25([store.tokens.get(cid) or ["∅"] for cid in self.ids])
        self.max_idf = max(self.bm25.idf.values(), default=1.0)

    def idf(self, token: str) -> float:
        """A token's IDF; one the corpus never uses weighs as much as its rarest word."""
        return max(self.bm25.idf.get(token, self.max_idf), 0.0)

    def document_frequency(self) -> dict[str, int]:
        """Each token of the corpus → how many clauses use it."""
        return {token: len(docs) for token, (docs, _) in self.bm25.postings.items()}


_LEXICAL: dict[str, LexicalIndex] = {}
_LEXICAL_LOCK = threading.Lock()


def lexical_index(store: ClauseStore) -> LexicalIndex:
    """One BM25 table per index build, shared by every pipeline over it (built in ~0.1 s)."""
    key = str(store.build_id)
    with _LEXICAL_LOCK:
        if key not in _LEXICAL:
            _LEXICAL[key] = LexicalIndex(store)
            while len(_LEXICAL) > 4:  # re-ingests: drop the oldest builds
                _LEXICAL.pop(next(iter(_LEXICAL)))
        return _LEXICAL[key]


class BM25Retriever:
    """Okapi BM25 over the jieba tokens the index stored for each clause."""

    name = "bm25"

    def __init__(self, store: ClauseStore, skip_latin: bool = False) -> None:
        self.store = store
        self.lexical = lexical_index(store)
        # BM25 over jieba tokens has nothing to say about an English question except noise ("and", "2020"):
        # in the hybrid the multilingual dense model answers it alone.
        self.skip_latin = skip_latin

    def retrieve(self, query: Query) -> Candidates:
        tokens = tokenize(query.text)
        if not tokens or (self.skip_latin and is_latin(query.text)):
            return Candidates(self.name, [], {"lexical_coverage": 0.0})
        scores = self.lexical.bm25.get_scores(tokens)
        matched = np.flatnonzero(scores > 0)
        # Best first; ties in corpus order, as a stable sort of all clauses would give.
        order = matched[np.lexsort((matched, -scores[matched]))]
        ids = self.lexical.ids
        # Only the first CANDIDATES admitted: a common word matches most of a large corpus.
        ranked = list(islice(((ids[i], float(scores[i])) for i in order if query.admits(ids[i])), CANDIDATES))
        best = ranked[0][0] if ranked else None
        return Candidates(self.name, ranked, {"lexical_coverage": self.coverage(tokens, best)})

    def coverage(self, tokens: list[str], clause_id: str | None) -> float:
        """How much of the query's information (IDF mass) the best lexical clause contains. Tokens the corpus
        never uses weigh as much as its rarest word: a question about 火星移民 is not covered by a clause
        that only shares 补贴."""
        distinct = set(tokens)
        if not distinct or clause_id is None:
            return 0.0
        present = set(self.store.tokens.get(clause_id) or [])
        weight = {t: self.lexical.idf(t) for t in distinct}
        total = sum(weight.values())
        return sum(w for t, w in weight.items() if t in present) / total if total else 0.0


class TranslatedRetriever:
    """Runs another retriever on the Chinese pseudo-query of an English question (rag/translate.py), so BM25 and
    a second dense query see the corpus's own words; a Chinese question passes by. Its evidence is reported
    under the inner names with a `_zh` suffix."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = f"{inner.name}_zh"

    def retrieve(self, query: Query) -> Candidates:
        pseudo = to_chinese(query.text) if is_latin(query.text) else ""
        if not pseudo:
            return Candidates(self.name, [])
        found = self.inner.retrieve(replace(query, text=pseudo))
        return Candidates(self.name, found.ranked, {f"{k}_zh": v for k, v in found.evidence.items()})


class RRF:
    """Reciprocal rank fusion. The textbook k=60 flattens the head; on the golden dev set (151 answerable
    items) 10 put the evidence in the top 5 for 92.7 % against 89.4 % with 60 (30: 91.4 %; 5: 91.4 %)."""

    def __init__(self, k: int = 10, weights: dict[str, float] | None = None) -> None:
        self.k = k
        self.weights = weights or {}

    def fuse(self, found: Sequence[Candidates]) -> dict[str, float]:
        scores: dict[str, float] = {}
        for candidates in found:
            weight = self.weights.get(candidates.source, 1.0)
            for rank, (cid, _) in enumerate(candidates.ranked, start=1):
                scores[cid] = scores.get(cid, 0.0) + weight / (self.k + rank)
        return scores


class Preferences:
    """Multipliers on the fused score. RRF scores of neighbouring ranks differ by a few percent, so these
    reorder clauses that match about equally and leave a clearly better match in front."""

    name = "preference"
    SECONDARY_KIND_FACTOR = 0.85  # 解读, amendment and notice chunks restate body clauses …
    SECONDARY_KINDS = frozenset({"interpretation", "amendment", "notice"})
    KIND_CUES = {  # … unless the question asks for exactly that kind of text
        "interpretation": ("解读",),
        "amendment": ("修改", "修正", "修订", "删去", "改为", "改成"),
        "notice": ("印发", "文号", "发文", "通知"),
    }
    EXPIRED_FACTOR = 0.9
    # The question names a place: another district's or county-level city's document is not the caller's
    # rule; a city-wide document still applies there, but the place's own document leads when both match.
    OTHER_JURISDICTION_FACTOR = 0.8
    CITY_WHEN_DISTRICT_NAMED_FACTOR = 0.92
    NAMED_DOCUMENT_FACTOR = 1.15  # the question names this document by (part of) its title
    # The question names a year and the document's title dates it to other years: another edition of the plan
    # (the 2022 行动计划 when the 2023 实施方案 is asked about).
    OTHER_EDITION_FACTOR = 0.9
    # … and asks whether (or since/until when) it applies: the clause that says so answers it.
    VALIDITY_CLAUSE_FACTOR = 1.5
    # The question asks for the conditions (什么条件, eligibility): the clauses whose heading or opening sentence
    # lays conditions down (符合下列条件之一的…, 申报条件 › （三）) answer it. Such clauses are long enumerations,
    # which BM25's length norm and the embedding of a long text both rank low; an incidental 条件 elsewhere
    # does not count.
    CONDITIONS_CLAUSE_FACTOR = 1.5
    # The question asks who is responsible (这事谁来管, which bureau is in charge): the clause saying who
    # administers the matter answers it (市燃气管理部门负责本市燃气管理工作, 市科技局负责统筹实施…) — a regulation's
    # 主管部门 article shares few words with a caller's story about the thing that went wrong.
    ADMINISTERING_CLAUSE_FACTOR = 1.5

    def __init__(self, store: ClauseStore) -> None:
        self.store = store
        self.title_years = {c.doc_id: years_in(c.doc.get("doc_title") or "") for c in store.clauses.values()}
        self.jurisdictions = {cid: jurisdiction_of(c.doc) for cid, c in store.clauses.items()}
        self._expired: tuple[date, frozenset[str]] | None = None  # (the day, the documents expired on it)
        self.states_conditions = {cid for cid, c in store.clauses.items() if STATES_CONDITIONS.search(_lead(c))}
        self.administers = {cid for cid, c in store.clauses.items() if STATES_ADMINISTRATION.search(c.text)}
        self.states_validity: dict[str, list[str]] = {}
        for cid, clause in store.clauses.items():
            if STATES_VALIDITY.search(clause.text):
                self.states_validity.setdefault(clause.doc_id, []).append(cid)

    def adjust(self, query: Query, scores: dict[str, float]) -> dict[str, float]:
        if query.named_documents and ASKS_TERM.search(query.text):
            scores = self.level_validity_clauses(query, scores)
        asked_kinds = {kind for kind, cues in self.KIND_CUES.items() if any(c in query.text for c in cues)}
        asks_validity = bool(query.named_documents) and ASKS_VALIDITY.search(query.text) is not None
        asked_years = years_in(query.text)
        asks_conditions = ASKS_CONDITIONS.search(query.text) is not None
        asks_department = ASKS_DEPARTMENT.search(query.text) is not None
        expired = self.expired_documents(query.today)
        out = {}
        for cid, score in scores.items():
            clause = self.store.clauses[cid]
            if clause.kind in self.SECONDARY_KINDS and clause.kind not in asked_kinds:
                score *= self.SECONDARY_KIND_FACTOR
            if clause.doc_id in expired:
                score *= self.EXPIRED_FACTOR
            dated = self.title_years[clause.doc_id]
            if asked_years and dated and not asked_years & dated:
                score *= self.OTHER_EDITION_FACTOR
            if asks_conditions and cid in self.states_conditions:
                score *= self.CONDITIONS_CLAUSE_FACTOR
            if asks_department and cid in self.administers:
                score *= self.ADMINISTERING_CLAUSE_FACTOR
            score *= self.place_factor(self.jurisdictions[cid], query.jurisdictions)
            if clause.doc_id in query.named_documents:
                score *= self.NAMED_DOCUMENT_FACTOR
                if asks_validity and STATES_VALIDITY.search(clause.text):
                    score *= self.VALIDITY_CLAUSE_FACTOR
            out[cid] = score
        return out

    def expired_documents(self, today: date) -> frozenset[str]:
        """The documents expired on `today`, worked out once a day rather than for every candidate of every
        question (a document's validity is read from its metadata text each time)."""
        if self._expired is None or self._expired[0] != today:
            docs = {c.doc_id: c.doc for c in self.store.clauses.values()}
            self._expired = (today, frozenset(d for d, doc in docs.items() if is_expired(doc, today)))
        return self._expired[1]

    def level_validity_clauses(self, query: Query, scores: dict[str, float]) -> dict[str, float]:
        """A question asking whether, or until when, a named document is in force is answered by the document's
        own 施行/有效期 sentence. That clause shares few words with the question (an English one shares none)
        and its short text embeds far from it, so the retrievers may rank it anywhere or not at all: it is put
        level with its document's best clause, and the validity factor then lifts it above."""
        out = dict(scores)
        for doc_id in query.named_documents:
            stating = [cid for cid in self.states_validity.get(doc_id, ()) if query.admits(cid)]
            best = max((scores[cid] for cid in scores if self.store.clauses[cid].doc_id == doc_id), default=0.0)
            for cid in stating if best else ():
                out[cid] = max(out.get(cid, 0.0), best)
        return out

    def place_factor(self, jurisdiction: str, places: Sequence[str]) -> float:
        if not places or jurisdiction in places:
            return 1.0
        if jurisdiction == CITY:
            return self.CITY_WHEN_DISTRICT_NAMED_FACTOR
        return self.OTHER_JURISDICTION_FACTOR


# Asking for the conditions, and laying them down (the drafting formulas of eligibility clauses).
ASKS_CONDITIONS = re.compile(r"什么条件|哪些条件|条件是什么|什么要求|哪些要求|什么资格|资格条件|申请条件|申报条件|"
                             r"eligib|qualif|conditions?\b|requirements?\b", re.IGNORECASE)
STATES_CONDITIONS = re.compile(r"下列条件|以下条件|条件之一|基本条件|申报条件|申请条件|应当具备|必须具备|同时具备|"
                               r"具备下列|具备以下|符合下列|符合以下|应当符合|须符合")


# Asking who is responsible, and saying who administers a matter (the drafting formulas of 主管部门 articles).
# In English, who does the work is asked of a body (which government department, which office) or of a verb
# (who runs / issues / reviews it, who is in charge).
ASKS_DEPARTMENT = re.compile(r"哪个部门|哪些部门|什么部门|哪几个部门|哪个单位|哪家单位|归哪|谁管|谁负责|哪里管|"
                             r"\bwhich (?:\w+ ){0,2}(?:departments?|bureaus?|offices?|agenc(?:y|ies)|authorit(?:y|ies)|"
                             r"bod(?:y|ies))\b|\bwho (?:actually |exactly )?(?:runs|issues|handles|administers|oversees|"
                             r"manages|reviews|approves|processes|(?:is|are) (?:in charge|responsible))\b|\bin charge of\b",
                             re.IGNORECASE)
STATES_ADMINISTRATION = re.compile(r"负责(?:本市|全市|本区|本县级市|本行政区域)[^。；]{0,30}(?:管理|监督|组织实施|工作)|"
                                   r"负责统筹|牵头负责|具体负责[^。；]{0,20}(?:工作|实施)")


def _lead(clause: Clause) -> str:
    """What a clause is about: its section headings and its first sentence."""
    sentences = split_sentences(clause.text)
    return "".join(clause.section_path) + (sentences[0] if sentences else "")


# A year as text names it: 2023年, 2021～2023, Action 2022; not an amount (2000万元) or a count (2025个).
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?![\d.%％万亿千百元个件家台项人米])")
_YEAR_RANGE = re.compile(r"(?<![\d.])((?:19|20)\d\d)年?\s*[～~〜\-－–—至到]\s*((?:19|20)\d\d)(?!\d)")


def years_in(text: str) -> frozenset[int]:
    """The years a title or question names; a span (2021～2023年) names every year in it."""
    years = {int(y) for y in _YEAR.findall(text)}
    for start, end in _YEAR_RANGE.findall(text):
        if int(start) <= int(end) <= int(start) + 10:
            years.update(range(int(start), int(end) + 1))
    return frozenset(years)


class TermCoverage:
    """Multiplies each fused score by 1 + WEIGHT × the clause's coverage of the question: the share of the
    question's information (IDF mass) whose terms the clause (with its document and section header) contains.

    RRF keeps only ranks, so two clauses of the right document that each retriever places one or two ranks
    apart end up in near-random order; the clause that mentions more of what is asked (the 专利 of a 专利数量
    question, not only its heading 申报条件) is usually the answer. A term counts through its synonyms too
    (出租车 → 出租汽车). An English question is measured through its term groups (rag/translate.py): a group is
    covered when the clause uses any of its terms, so a phrase's second translation never counts as missing.
    On the golden dev set (176 answerable items) this lifted hit@1 0.790 → 0.84 (English 0.745 → 0.83);
    weights from 1 to 3 give nearly the same ranking, 1.5 is in the middle of that plateau."""

    name = "coverage"
    WEIGHT = 1.5
    TERM_CACHE = 8192  # terms whose clauses are remembered: questions reuse the corpus's words

    def __init__(self, store: ClauseStore) -> None:
        self.lexical = lexical_index(store)
        self.ids = list(store.clauses)
        by_token: dict[str, set[str]] = {}
        for cid, tokens in store.tokens.items():
            for token in tokens:
                by_token.setdefault(token, set()).add(cid)
        self.by_token = {token: frozenset(ids) for token, ids in by_token.items()}
        # Every clause's matching text in one string, each ended by a character no term holds: which clauses
        # contain a term is one index lookup, not a scan of each candidate's text (~160 candidates × ~17 terms
        # a question was a fifth of a warm question's time).
        texts = [normalise(store.clauses[cid].embed_text) + "\0" for cid in self.ids]
        self.starts = np.cumsum([0] + [len(t) for t in texts[:-1]])
        self.text = SubstringIndex("".join(texts))
        self.containing = lru_cache(maxsize=self.TERM_CACHE)(self._containing)
        self.synonyms = load_synonyms()

    def adjust(self, query: Query, scores: dict[str, float]) -> dict[str, float]:
        groups = [tuple(dict.fromkeys(normalise(term) for term in group)) for group in self.groups(query.text)]
        weights = [max(self.weight(term) for term in group) for group in groups]
        total = sum(weights)
        if not total:
            return scores
        holding = [frozenset().union(*(self.containing(term) for term in group)) for group in groups]
        pairs = list(zip(holding, weights, strict=True))
        return {cid: score * (1 + self.WEIGHT * sum(w for ids, w in pairs if cid in ids) / total)
                for cid, score in scores.items()}

    def _containing(self, term: str) -> frozenset[str]:
        """The clauses whose tokens hold the term or whose text contains it."""
        at = np.unique(np.searchsorted(self.starts, self.text.positions(term), side="right") - 1) if term else []
        return self.by_token.get(term, frozenset()) | frozenset(self.ids[i] for i in at)

    def groups(self, text: str) -> list[tuple[str, ...]]:
        """What the question asks about, as groups of interchangeable terms: a Chinese question's tokens, each
        with its synonyms; an English question's term groups."""
        if is_latin(text):
            return list(term_groups(text))
        return [(token, *self.synonyms.get(token, ())) for token in dict.fromkeys(tokenize(text))]

    def weight(self, term: str) -> float:
        """A term's IDF; a term that is several tokens to the index weighs as its rarest token."""
        if term in self.lexical.bm25.idf:
            return self.lexical.idf(term)
        return max((self.lexical.idf(t) for t in tokenize(term)), default=0.0)


class DirectLookup:
    """The named clause of the named document, else every clause of the document whose own 文号 the question
    names (most relevant first). An article asked by its regulation's title is followed by the amendment items
    that changed it, never by a decision's item that merely shares its ordinal."""

    def __init__(self, store: ClauseStore) -> None:
        self.store = store
        self.position = {cid: i for i, cid in enumerate(store.clauses)}
        self.doc_numbers = {c.doc_id: c.doc.get("doc_number") for c in store.clauses.values()}
        self.titles = {c.doc_id: c.doc.get("doc_title") or "" for c in store.clauses.values()}
        self.amended_by = lookup.amendment_links(store.clauses.values())

    def first(self, query: Query, scores: dict[str, float]) -> list[str]:
        by_number = lookup.documents_by_number(query.text, self.doc_numbers)
        ref = lookup.clause_ref_in(query.text)
        found: list[str] = []
        if ref:
            found = self.named_clause(ref, by_number or self.most_named(query))
        if not found and by_number:
            doc_clauses = [c.id for doc_id in by_number for c in self.document(doc_id)]
            found = sorted(doc_clauses, key=lambda cid: (-scores.get(cid, 0.0), self.position[cid]))
        return [cid for cid in found if query.admits(cid)]

    def most_named(self, query: Query) -> list[str]:
        """The named documents, the one whose title the question repeats most completely first."""
        coverage = {d: lookup.title_coverage(query.text, self.titles.get(d, "")) for d in query.named_documents}
        return sorted(query.named_documents, key=lambda d: -coverage[d])

    def named_clause(self, ref: lookup.ClauseRef, doc_ids: list[str]) -> list[str]:
        """The clause `ref` names in the first of `doc_ids` that has it, then the amendment items that changed
        that article."""
        for doc_id in doc_ids:
            clauses = lookup.clauses_for_ref(ref, self.document(doc_id))
            if clauses:
                found = [c.id for c in clauses]
                article = lookup.article_number(clauses[0].label)
                amended = self.amended_by.get((doc_id, article), []) if article else []
                return found + [cid for cid in amended if cid not in found]
        return []

    def document(self, doc_id: str) -> list[Clause]:
        """A document's clauses in reading order."""
        clauses = [c for c in self.store.clauses.values() if c.doc_id == doc_id]
        return sorted(clauses, key=lambda c: (c.line, self.position[c.id]))


class CrossEncoderReranker:
    """Reorders the head of a ranking with a cross-encoder (anything with CrossEncoder's
    `predict(list[(query, text)]) -> scores`); clauses a direct lookup put first stay first."""

    DEPTH = 20

    def __init__(self, store: ClauseStore, model) -> None:
        self.store = store
        self.model = model

    def rerank(self, query: Query, order: list[str], keep: int) -> list[str]:
        head, tail = order[keep : keep + self.DEPTH], order[keep + self.DEPTH :]
        if not head:
            return order
        scores = self.model.predict([(query.text, self.store.clauses[cid].text) for cid in head])
        reranked = [cid for _, cid in sorted(zip(scores, head, strict=True), key=lambda pair: -float(pair[0]))]
        return order[:keep] + reranked + tail


def load_reranker(settings: Settings):
    """The configured cross-encoder, or None when `settings.reranker_model` is unset (the default)."""
    if not settings.reranker_model:
        return None
    from sentence_transformers import CrossEncoder

    return CrossEncoder(settings.reranker_model, device="cpu")
