"""The plain LangChain pipeline the full system is measured against: raw files, fixed 500-character chunks,
the same embedding model, Chroma similarity search. No clause parsing, no BM25, no refusal — what a RAG
tutorial would build — so the report shows what the clause-aware pipeline adds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from eval.golden import GoldenItem
from ingest.pipeline import collect_files
from ingest.readers import ReadError, read_file
from rag.types import Answer, Retrieved

CHUNK_SIZE = 500
CHUNK_OVERLAP = 50


def split_raw_files(paths: list[Path]) -> list[Document]:
    """Every supported file under `paths`, read with the project's reader and split with no knowledge of
    clauses; unreadable files are skipped as a tutorial pipeline would."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks = []
    for path in collect_files(paths):
        try:
            text = read_file(path)
        except ReadError:
            continue
        for n, chunk in enumerate(splitter.split_text(text), start=1):
            chunks.append(Document(page_content=chunk, metadata={"source": path.name, "chunk": n}))
    return chunks


class PlainLangChainBaseline:
    """Chroma over raw-text chunks in a temporary folder; `close()` removes it."""

    def __init__(self, paths: list[Path], embeddings: Embeddings) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="policyqa-baseline-", ignore_cleanup_errors=True)
        client = chromadb.PersistentClient(path=self._folder.name, settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(
            client=client,
            collection_name="baseline_chunks",
            embedding_function=embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )
        self.chunks = split_raw_files(paths)
        self.store.add_documents(self.chunks, ids=[_chunk_id(c) for c in self.chunks])

    def ask(self, item: GoldenItem, k: int) -> Answer:
        """Top-k similar chunks; the "answer" is the top chunk's text, never a refusal."""
        found = self.store.similarity_search_with_score(item.question, k=k)
        retrieved = [
            Retrieved(
                rank=rank,
                id=_chunk_id(doc),
                citation=_chunk_id(doc),
                doc_title=doc.metadata["source"],  # raw chunks know their file, not their document
                label="",
                text=doc.page_content,
                score=1.0 - distance,
            )
            for rank, (doc, distance) in enumerate(found, start=1)
        ]
        return Answer(
            question=item.question,
            text=retrieved[0].text if retrieved else "",
            citations=[],
            refused=False,
            retrieved=retrieved,
        )

    def close(self) -> None:
        self._folder.cleanup()


def _chunk_id(doc: Document) -> str:
    return f"{doc.metadata['source']}#{doc.metadata['chunk']}"
