"""Hybrid clause retrieval: dense (Chroma, e5 cosine) + BM25 (jieba tokens), fused by reciprocal rank fusion.

On top of the fusion:
* direct lookups — a question naming a 文号, or a document plus a clause, gets that clause (document) first;
* metadata filters — document, jurisdiction, in force or not, clause kind;
* preferences — 解读 / amendment / notice chunks, expired documents and other jurisdictions than the one a
  question names are scaled down, so that among clauses saying the same thing the body clause of the current
  policy of the asked-about place leads; a document the question names by title is scaled up;
* an optional cross-encoder reranker (settings.reranker_model; none is available offline).

`PolicyRetriever` wraps it all as a LangChain `BaseRetriever`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict
from rank_bm25 import BM25Okapi

from ingest.model import Clause
from ingest.tokenize import tokenize
from rag import lookup
from rag.types import Retrieved
from rag.validity import is_expired, jurisdictions_named, validity_of
from settings import Settings

Method = Literal["hybrid", "dense", "bm25"]

# RRF constant. The textbook 60 flattens the head; on the golden dev set (151 answerable items) 10 put the
# evidence in the top 5 for 92.7 % against 89.4 % with 60 (30: 91.4 %; 5: 91.4 %).
RRF_K = 10
DENSE_WEIGHT = 1.0
BM25_WEIGHT = 1.0
CANDIDATES = 100  # per retriever, before fusion (of ~1,100 clauses)
# Multipliers on the fused score. RRF scores of neighbouring ranks differ by a few percent, so these reorder
# clauses that match about equally and leave a clearly better match in front.
SECONDARY_KIND_FACTOR = 0.85  # 解读, amendment and notice chunks restate body clauses
SECONDARY_KINDS = frozenset({"interpretation", "amendment", "notice"})
# ... unless the question asks for exactly that kind of text.
KIND_CUES = {
    "interpretation": ("解读",),
    "amendment": ("修改", "修正", "修订", "删去", "改为", "改成"),
    "notice": ("印发", "文号", "发文", "通知"),
}
EXPIRED_FACTOR = 0.9
# The question names a place: another district's or county-level city's document is not the caller's rule;
# a city-wide document still applies there, but the place's own document leads when both match.
OTHER_JURISDICTION_FACTOR = 0.8
CITY_WHEN_DISTRICT_NAMED_FACTOR = 0.92
CITY = "苏州市"
NAMED_DOCUMENT_FACTOR = 1.15  # the question names this document by (part of) its title
RERANK_DEPTH = 20


@dataclass
class Filters:
    """Metadata filters; every given one must hold. Built from the API's plain dict by `from_dict`."""

    doc_ids: frozenset[str] | None = None
    document: str | None = None  # (part of) a title
    jurisdictions: frozenset[str] | None = None
    in_force: bool | None = None  # True: only documents not expired today; False: only expired ones
    kinds: frozenset[str] | None = None  # clause kinds
    doc_kinds: frozenset[str] | None = None

    @classmethod
    def from_dict(cls, raw: dict | None) -> "Filters":
        raw = raw or {}

        def many(key: str) -> frozenset[str] | None:
            value = raw.get(key)
            if value in (None, "", []):
                return None
            return frozenset([value] if isinstance(value, str) else value)

        in_force = raw.get("in_force")
        if isinstance(in_force, str):
            in_force = in_force.lower() in ("1", "true", "yes", "有效")
        return cls(
            doc_ids=many("doc_id"),
            document=raw.get("document") or raw.get("doc_title") or None,
            jurisdictions=many("jurisdiction"),
            in_force=in_force,
            kinds=many("kind"),
            doc_kinds=many("doc_kind"),
        )

    def admits(self, clause: Clause, today: date) -> bool:
        doc = clause.doc
        if self.doc_ids is not None and clause.doc_id not in self.doc_ids:
            return False
        if self.document and self.document not in (doc.get("doc_title") or ""):
            return False
        if self.jurisdictions is not None and doc.get("jurisdiction") not in self.jurisdictions:
            return False
        if self.in_force is not None and is_expired(doc, today) == self.in_force:
            return False
        if self.kinds is not None and clause.kind not in self.kinds:
            return False
        if self.doc_kinds is not None and doc.get("doc_kind") not in self.doc_kinds:
            return False
        return True

    @property
    def active(self) -> bool:
        return any(v is not None for v in vars(self).values())


@dataclass
class Ranking:
    """Ranked clauses plus the evidence the refusal decision needs."""

    hits: list[Retrieved]
    best_cosine: float  # best dense cosine among admitted clauses (0 when dense was not run)
    lexical_coverage: float  # IDF share of the query's tokens found in the best BM25 clause (0..1)
    direct: bool = False  # a 文号 or document+clause lookup decided the first hits
    named_documents: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)  # the ones the question names
    seconds: float = 0.0
    method: Method = "hybrid"  # which retrievers produced it: without dense, best_cosine is no evidence


_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_latin(question: str) -> bool:
    """Mostly non-Chinese text (an English question): BM25 over jieba tokens cannot support it."""
    return len(_CJK.findall(question)) < max(2, len(question) // 10)


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


_BM25_CACHE: dict[tuple[str, str], tuple[list[str], PostingsBM25]] = {}
_BM25_LOCK = threading.Lock()


def _bm25_for(index) -> tuple[list[str], PostingsBM25]:
    """One BM25 table per index build, shared by every retriever over it (built in ~0.1 s)."""
    key = (str(getattr(getattr(index, "settings", None), "index_dir", "")), str(getattr(index, "build_id", id(index))))
    with _BM25_LOCK:
        if key not in _BM25_CACHE:
            ids = list(index.clauses)
            # An empty token list would give BM25 a zero-length document; a placeholder keeps lengths sane.
            _BM25_CACHE[key] = (ids, PostingsBM25([index.tokens.get(cid) or ["∅"] for cid in ids]))
            while len(_BM25_CACHE) > 4:  # re-ingests: drop the oldest builds
                _BM25_CACHE.pop(next(iter(_BM25_CACHE)))
        return _BM25_CACHE[key]


def load_reranker(settings: Settings):
    """The configured cross-encoder, or None when `settings.reranker_model` is unset (the default)."""
    if not settings.reranker_model:
        return None
    from sentence_transformers import CrossEncoder

    return CrossEncoder(settings.reranker_model, device="cpu")


class HybridRetriever:
    """Ranks the clauses of one index build for a question."""

    def __init__(self, index, embeddings: Embeddings, settings: Settings, reranker: Any | None = None) -> None:
        self.index = index
        self.embeddings = embeddings
        self.settings = settings
        self.reranker = reranker  # anything with CrossEncoder's predict(list[(query, text)]) -> scores
        self.ids, self.bm25 = _bm25_for(index)
        self.position = {cid: i for i, cid in enumerate(self.ids)}
        self.doc_numbers = {c.doc_id: c.doc.get("doc_number") for c in index.clauses.values()}
        self.titles = {c.doc_id: c.doc.get("doc_title") or "" for c in index.clauses.values()}
        self.known_jurisdictions = sorted({c.doc.get("jurisdiction") or "苏州市" for c in index.clauses.values()})
        self.max_idf = max(self.bm25.idf.values(), default=1.0)

    # --- public ------------------------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None, filters: Filters | dict | None = None,
               method: Method = "hybrid") -> Ranking:
        started = time.perf_counter()
        k = k or self.settings.top_k
        filters = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        today = self.settings.current_date()
        admitted = self._admitted(filters, today)
        tokens = tokenize(query)

        dense = self._dense(query, admitted) if method in ("hybrid", "dense") else []
        # BM25 over jieba tokens has nothing to say about an English question except noise ("and", "2020"):
        # the multilingual dense model answers it alone.
        lexical = self._lexical(tokens, admitted) if method == "bm25" or (method == "hybrid" and not is_latin(query)) else []
        scores = self._fuse(dense, lexical)
        named_docs, places = [], []
        if method == "hybrid":
            named_docs = lookup.documents_by_title(query, self.titles)
            places = jurisdictions_named(query, self.known_jurisdictions)
            asked_kinds = {kind for kind, cues in KIND_CUES.items() if any(c in query for c in cues)}
            scores = self._prefer(scores, today, named_docs, places, asked_kinds)
        order = sorted(scores, key=lambda cid: (-scores[cid], self.position[cid]))
        direct = self._direct(query, named_docs, admitted, scores) if method == "hybrid" else []
        if direct:
            order = direct + [cid for cid in order if cid not in set(direct)]
        if self.reranker is not None and method == "hybrid":
            order = self._rerank(query, order, keep=len(direct))

        hits = [self._retrieved(rank, cid, scores.get(cid, 0.0)) for rank, cid in enumerate(order[:k], start=1)]
        best_lexical_id = lexical[0][0] if lexical else None
        return Ranking(
            hits=hits,
            best_cosine=dense[0][1] if dense else 0.0,
            lexical_coverage=self._coverage(tokens, best_lexical_id),
            direct=bool(direct),
            named_documents=named_docs,
            jurisdictions=places,
            seconds=time.perf_counter() - started,
            method=method,
        )

    def clause(self, clause_id: str) -> Clause:
        return self.index.clauses[clause_id]

    # --- the two retrievers --------------------------------------------------------------------------------

    def _admitted(self, filters: Filters, today: date) -> set[str] | None:
        """Clause ids the filters let through; None when there are no filters (everything passes)."""
        if not filters.active:
            return None
        return {cid for cid, clause in self.index.clauses.items() if filters.admits(clause, today)}

    def _dense(self, query: str, admitted: set[str] | None) -> list[tuple[str, float]]:
        vector = self.embeddings.embed_query(query)
        # With filters, ask for everything and filter here: validity is judged by date, which Chroma's
        # metadata filter cannot do, and a full scan of ~1,100 vectors is still a few milliseconds.
        k = CANDIDATES if admitted is None else len(self.index.clauses)
        found = self.index.dense_search(vector, k)
        return [(cid, cos) for cid, cos in found if admitted is None or cid in admitted][:CANDIDATES]

    def _lexical(self, tokens: list[str], admitted: set[str] | None) -> list[tuple[str, float]]:
        if not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        matched = np.flatnonzero(scores > 0)
        # Best first; ties in corpus order, as a stable sort of all clauses would give.
        order = matched[np.lexsort((matched, -scores[matched]))]
        ranked = ((self.ids[i], float(scores[i])) for i in order)
        return [pair for pair in ranked if admitted is None or pair[0] in admitted][:CANDIDATES]

    def _coverage(self, tokens: list[str], clause_id: str | None) -> float:
        """How much of the query's information (IDF mass) the best lexical clause contains. Tokens the corpus
        never uses weigh as much as its rarest word: a question about 火星移民 is not covered by a clause
        that only shares 补贴."""
        distinct = set(tokens)
        if not distinct or clause_id is None:
            return 0.0
        present = set(self.index.tokens.get(clause_id) or [])
        weight = {t: max(self.bm25.idf.get(t, self.max_idf), 0.0) for t in distinct}
        total = sum(weight.values())
        return sum(w for t, w in weight.items() if t in present) / total if total else 0.0

    def _fuse(self, dense: list[tuple[str, float]], lexical: list[tuple[str, float]]) -> dict[str, float]:
        scores: dict[str, float] = {}
        for weight, ranked in ((DENSE_WEIGHT, dense), (BM25_WEIGHT, lexical)):
            for rank, (cid, _) in enumerate(ranked, start=1):
                scores[cid] = scores.get(cid, 0.0) + weight / (RRF_K + rank)
        return scores

    def _prefer(self, scores: dict[str, float], today: date, named_docs: list[str], places: list[str],
                asked_kinds: set[str]) -> dict[str, float]:
        out = {}
        for cid, score in scores.items():
            clause = self.index.clauses[cid]
            if clause.kind in SECONDARY_KINDS and clause.kind not in asked_kinds:
                score *= SECONDARY_KIND_FACTOR
            if is_expired(clause.doc, today):
                score *= EXPIRED_FACTOR
            score *= _place_factor(clause.doc.get("jurisdiction") or CITY, places)
            if clause.doc_id in named_docs:
                score *= NAMED_DOCUMENT_FACTOR
            out[cid] = score
        return out

    # --- direct lookups ----------------------------------------------------------------------------------------

    def _direct(self, query: str, named_docs: list[str], admitted: set[str] | None, scores: dict[str, float]) -> list[str]:
        """Clause ids a direct lookup puts first: the named clause of the named document, else every clause of
        the document whose own 文号 the question names (most relevant first)."""
        by_number = lookup.documents_by_number(query, self.doc_numbers)
        ref = lookup.clause_ref_in(query)
        found: list[str] = []
        if ref:
            for doc_id in by_number or named_docs:
                found += [c.id for c in lookup.clauses_for_ref(ref, self._document(doc_id))]
        if not found and by_number:
            doc_clauses = [c.id for doc_id in by_number for c in self._document(doc_id)]
            found = sorted(doc_clauses, key=lambda cid: (-scores.get(cid, 0.0), self.position[cid]))
        return [cid for cid in found if admitted is None or cid in admitted]

    def _document(self, doc_id: str) -> list[Clause]:
        """A document's clauses in reading order."""
        clauses = [c for c in self.index.clauses.values() if c.doc_id == doc_id]
        return sorted(clauses, key=lambda c: (c.line, self.position[c.id]))

    def _rerank(self, query: str, order: list[str], keep: int) -> list[str]:
        head, tail = order[keep : keep + RERANK_DEPTH], order[keep + RERANK_DEPTH :]
        if not head:
            return order
        scores = self.reranker.predict([(query, self.index.clauses[cid].text) for cid in head])
        reranked = [cid for _, cid in sorted(zip(scores, head, strict=True), key=lambda pair: -float(pair[0]))]
        return order[:keep] + reranked + tail

    def _retrieved(self, rank: int, clause_id: str, score: float) -> Retrieved:
        clause = self.index.clauses[clause_id]
        return Retrieved(
            rank=rank,
            id=clause.id,
            citation=clause.citation,
            doc_title=clause.doc.get("doc_title") or "",
            label=clause.label,
            text=clause.text,
            score=round(score, 6),
            kind=clause.kind,
            doc=dict(clause.doc),
        )


def _place_factor(jurisdiction: str, places: list[str]) -> float:
    if not places or jurisdiction in places:
        return 1.0
    if jurisdiction == CITY:
        return CITY_WHEN_DISTRICT_NAMED_FACTOR
    return OTHER_JURISDICTION_FACTOR


class PolicyRetriever(BaseRetriever):
    """LangChain retriever over the hybrid ranking: `Document(page_content=clause text, metadata=…)`.

    `k`, `filters` and `method` can be set on the instance or passed per call (`invoke(q, k=3)`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: HybridRetriever
    k: int = 5
    filters: dict | None = None
    method: Method = "hybrid"

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filters: dict | None = None,
        method: Method | None = None,
    ) -> list[Document]:
        ranking = self.search.search(query, k=k or self.k, filters=filters or self.filters, method=method or self.method)
        today = self.search.settings.current_date()
        return [to_document(hit, self.search.clause(hit.id), today) for hit in ranking.hits]


def to_document(hit: Retrieved, clause: Clause, today: date) -> Document:
    validity, expired = validity_of(clause.doc, today)
    return Document(
        id=hit.id,
        page_content=hit.text,
        metadata={
            "id": hit.id,
            "rank": hit.rank,
            "score": hit.score,
            "citation": hit.citation,
            "label": hit.label,
            "kind": hit.kind,
            "doc_id": clause.doc_id,
            "doc_title": hit.doc_title,
            "doc_number": clause.doc.get("doc_number"),
            "jurisdiction": clause.doc.get("jurisdiction"),
            "valid_until": clause.doc.get("valid_until"),
            "validity": validity,
            "expired": expired,
            "section_path": list(clause.section_path),
            "responsible_units": unit_list([clause]),
        },
    )


def unit_list(clauses: Iterable[Clause]) -> list[str]:
    """Responsible departments of clauses: lead units first, then the rest, then inherited ones; no repeats."""
    out: list[str] = []
    for attr in ("lead_units", "responsible_units", "inherited_units"):
        for clause in clauses:
            for unit in getattr(clause, attr):
                if unit not in out:
                    out.append(unit)
    return out
