"""Clause retrieval as a pipeline of parts that share one contract.

    question ─► Query (filters, today, admitted ids, named documents, places)
             ─► retrievers (dense, BM25, …)  each → Candidates: ranked clause ids + the evidence it saw
             ─► fusion (RRF) ─► preferences (kind, validity, place, edition, named document; term coverage)
             ─► learned order of the head (rag/ranker.py) ─► direct lookup (文号, document + 条) puts its clauses
             first ─► optional reranker ─► Ranking

The hybrid system and the eval baselines are lists of the same parts (`hybrid`, `dense_only`, `bm25_only`).
A new retriever is one class with `name` and `retrieve(query) -> Candidates`, plus one line in `hybrid`.
`PolicyRetriever` is the LangChain face of a pipeline; the assistant ranks through it too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from domain.jurisdiction import jurisdiction_of, jurisdictions_named, unheld_jurisdictions
from domain.validity import is_expired, validity_of
from ingest.model import Clause
from rag import lookup
from rag.translate import is_latin, to_chinese
from rag.types import Retrieved
from settings import Settings


class ClauseStore(Protocol):
    """The read side of an index build, as retrieval sees it (the real index and the test fakes)."""

    clauses: dict[str, Clause]
    tokens: dict[str, list[str]]
    build_id: str

    def dense_search(self, vector: list[float], k: int) -> list[tuple[str, float]]: ...


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


@dataclass(frozen=True)
class Query:
    """One question as every part sees it: its text, the filters and what they admit, and what it names."""

    text: str
    filters: Filters
    today: date
    admitted: frozenset[str] | None  # clause ids the filters let through; None: all
    named_documents: tuple[str, ...] = ()  # doc ids the question names by title
    jurisdictions: tuple[str, ...] = ()  # places the question names

    def admits(self, clause_id: str) -> bool:
        return self.admitted is None or clause_id in self.admitted


@dataclass
class Candidates:
    """What one retriever found: clause ids best first with their scores, and the evidence it saw (named
    measurements such as `best_cosine` or `lexical_coverage`, for the answerability decision)."""

    source: str
    ranked: list[tuple[str, float]]
    evidence: dict[str, float] = field(default_factory=dict)


class Retriever(Protocol):
    name: str

    def retrieve(self, query: Query) -> Candidates: ...


@dataclass
class Ranking:
    """Ranked clauses plus the evidence every part reported."""

    hits: list[Retrieved]
    evidence: dict[str, float] = field(default_factory=dict)  # e.g. best_cosine, lexical_coverage
    direct: bool = False  # a 文号 or document+clause lookup decided the first hits
    named_documents: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)  # the ones the question names
    unheld: list[str] = field(default_factory=list)  # places it names whose own documents the index lacks
    firsts: dict[str, str] = field(default_factory=dict)  # query → the clause id its own ranking put first
    # The first clause ids in the rules' order, before the learned one: the answerability evidence is read from
    # them. The learned order is fitted to put the answer first, and read as evidence it also puts first the
    # near-topic clause that states a figure of the asked kind: on the dev set the cross-validated refusal fell
    # 0.714 → 0.644 at the same false refusals. Empty: the hits themselves.
    support: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Scored:
    """One question's candidates before the learned order: what each retriever found, the score after fusion and
    after each preference (`stages`, in order, named), and the order the last stage gives."""

    query: Query
    found: list[Candidates]
    stages: list[tuple[str, dict[str, float]]]
    order: list[str]


class RetrievalPipeline:
    """Ranks the clauses of one index build: retrievers → fusion → preferences → learned order → direct lookup →
    reranker."""

    def __init__(self, store: ClauseStore, settings: Settings, retrievers: Sequence[Retriever], fusion: Any,
                 preferences: Sequence[Any] = (), direct: Any | None = None, reranker: Any | None = None,
                 ranker: Any | None = None) -> None:
        self.store = store
        self.settings = settings
        self.retrievers = list(retrievers)
        self.fusion = fusion
        self.preferences = list(preferences)  # each multiplies the fused scores, in order
        self.ranker = ranker  # the learned order of the head (rag/ranker.py)
        self.direct = direct
        self.reranker = reranker
        self.titles = {c.doc_id: c.doc.get("doc_title") or "" for c in store.clauses.values()}
        self.known_jurisdictions = sorted({jurisdiction_of(c.doc) for c in store.clauses.values()})
        self.position = {cid: i for i, cid in enumerate(store.clauses)}  # ties keep the index's order

    def rank(self, question: str, k: int | None = None, filters: Filters | dict | None = None) -> Ranking:
        started = time.perf_counter()
        k = k or self.settings.top_k
        scored = self.score(question, filters)
        query, found, scores = scored.query, scored.found, scored.stages[-1][1]
        order = scored.order if self.ranker is None else self.ranker.reorder(scored, self.store.clauses)
        first = self.direct.first(query, scores) if self.direct is not None else []
        put_first = set(first)
        ruled = first + [cid for cid in scored.order if cid not in put_first]
        order = first + [cid for cid in order if cid not in put_first]
        if self.reranker is not None:
            order = self.reranker.rerank(query, order, keep=len(first))
        evidence = {name: value for c in found for name, value in c.evidence.items()}
        return Ranking(
            hits=[retrieved(rank, self.store.clauses[cid], scores.get(cid, 0.0)) for rank, cid in enumerate(order[:k], 1)],
            evidence=evidence,
            direct=bool(first),
            named_documents=list(query.named_documents),
            jurisdictions=list(query.jurisdictions),
            unheld=unheld_jurisdictions(query.text, self.known_jurisdictions),
            support=ruled[:k],
            seconds=time.perf_counter() - started,
        )

    def score(self, question: str, filters: Filters | dict | None = None) -> Scored:
        """The candidates as the retrievers, fusion and each preference scored them, in the order of the last."""
        query = self.query(question, filters)
        found = [retriever.retrieve(query) for retriever in self.retrievers]
        scores = self.fusion.fuse(found)
        stages = [("fused", scores)]
        for preference in self.preferences:
            scores = preference.adjust(query, scores)
            stages.append((preference.name, scores))
        return Scored(query, found, stages, sorted(scores, key=lambda cid: (-scores[cid], self.position[cid])))

    def query(self, question: str, filters: Filters | dict | None = None) -> Query:
        filters = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        today = self.settings.current_date()
        # An English question names documents and places in English: match them through its Chinese form too.
        named = f"{question} {to_chinese(question)}" if is_latin(question) else question
        admitted = None
        if filters.active:
            admitted = frozenset(cid for cid, c in self.store.clauses.items() if filters.admits(c, today))
        return Query(
            text=question,
            filters=filters,
            today=today,
            admitted=admitted,
            named_documents=tuple(lookup.documents_by_title(named, self.titles)),
            jurisdictions=tuple(jurisdictions_named(named, self.known_jurisdictions)),
        )


def hybrid(store: ClauseStore, embeddings: Embeddings, settings: Settings, reranker: Any | None = None) -> RetrievalPipeline:
    """The full system: dense + BM25 (and both again over an English question's Chinese pseudo-query) fused,
    preferences and term coverage, the learned order of the head (unless `settings.learned_order` is off),
    direct lookups, the configured reranker."""
    from rag.ranker import load_ranker
    from rag.retrievers import (
        RRF, BM25Retriever, CrossEncoderReranker, DenseRetriever, DirectLookup, Preferences, TermCoverage,
        TranslatedRetriever,
    )

    dense, bm25 = DenseRetriever(store, embeddings), BM25Retriever(store, skip_latin=True)
    return RetrievalPipeline(
        store, settings,
        retrievers=[dense, bm25, TranslatedRetriever(dense), TranslatedRetriever(bm25)],
        fusion=RRF(),
        preferences=[Preferences(store), TermCoverage(store)],
        direct=DirectLookup(store),
        reranker=CrossEncoderReranker(store, reranker) if reranker is not None else None,
        ranker=load_ranker() if settings.learned_order else None,
    )


def dense_only(store: ClauseStore, embeddings: Embeddings, settings: Settings) -> RetrievalPipeline:
    """Baseline: the dense retriever alone."""
    from rag.retrievers import RRF, DenseRetriever

    return RetrievalPipeline(store, settings, retrievers=[DenseRetriever(store, embeddings)], fusion=RRF())


def bm25_only(store: ClauseStore, embeddings: Embeddings, settings: Settings) -> RetrievalPipeline:
    """Baseline: BM25 over jieba tokens alone."""
    from rag.retrievers import RRF, BM25Retriever

    return RetrievalPipeline(store, settings, retrievers=[BM25Retriever(store)], fusion=RRF())


PIPELINES = {"hybrid": hybrid, "dense": dense_only, "bm25": bm25_only}


class PolicyRetriever(BaseRetriever):
    """LangChain face of a pipeline: `Document(page_content=clause text, metadata=citation, validity …)`.

    `k` and `filters` can be set on the instance or passed per call (`invoke(q, k=3)`); `rank` returns the
    full `Ranking` (with its evidence) for the assistant.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pipeline: RetrievalPipeline
    k: int = 5
    filters: dict | None = None

    def rank(self, question: str, k: int | None = None, filters: Filters | dict | None = None) -> Ranking:
        return self.pipeline.rank(question, k=k or self.k, filters=filters if filters is not None else self.filters)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None,
        filters: dict | None = None,
    ) -> list[Document]:
        ranking = self.rank(query, k=k, filters=filters)
        today = self.pipeline.settings.current_date()
        return [to_document(hit, self.pipeline.store.clauses[hit.id], today) for hit in ranking.hits]


def retrieved(rank: int, clause: Clause, score: float) -> Retrieved:
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


def to_document(hit: Retrieved, clause: Clause, today: date) -> Document:
    from rag.citations import units_of

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
            "responsible_units": units_of([clause]),
        },
    )
