"""LangChain's standard retriever suite over `PolicyRetriever` on the real corpus index."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from rag.retrieval import PolicyRetriever, RetrievalPipeline, hybrid
from settings import Settings


class TestPolicyRetrieverStandard(RetrieversIntegrationTests):
    pipeline: RetrievalPipeline | None = None

    @pytest.fixture(autouse=True)
    def _corpus(self, corpus_index, embeddings):
        # The suite builds retrievers from class properties; the session index is handed over here.
        if type(self).pipeline is None:
            type(self).pipeline = hybrid(corpus_index, embeddings, Settings.from_env())

    @property
    def retriever_constructor(self) -> type[PolicyRetriever]:
        return PolicyRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"pipeline": type(self).pipeline}

    @property
    def retriever_query_example(self) -> str:
        return "汽车芯片车规级认证补贴多少？"


def test_policy_retriever_documents_carry_citation_metadata(corpus_index, embeddings):
    retriever = PolicyRetriever(pipeline=hybrid(corpus_index, embeddings, Settings.from_env()), k=3)
    docs = retriever.invoke("燃气管理办法第三十五条")
    assert docs[0].metadata["citation"] == "《苏州市燃气管理办法》第三十五条"
    assert {"validity", "expired", "jurisdiction", "doc_title", "label", "responsible_units"} <= set(docs[0].metadata)
