"""Files → documents and clauses, for a whole corpus at once.

Parsing is cheap (a second for the bundled corpus), so every changed ingest re-parses all files; only
embedding is incremental (see `ingest.index`). Duplicates are merged across files, which is why one file
cannot be parsed in isolation.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ingest.clauses import chunk_document
from ingest.documents import merge_duplicates, parse_text
from ingest.model import Clause, Document
from ingest.readers import SUPPORTED_SUFFIXES, ReadError, read_file

PARSE_FAILED = "解析失败 / parse failed"


@dataclass
class ParsedCorpus:
    documents: list[Document]  # after merge_duplicates, in file order
    clauses: list[Clause]  # by document, then position in the document
    file_hashes: dict[str, str]  # absolute path → sha256 of the file's bytes, unreadable files included
    errors: list[ReadError] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # other versions of a document, left out (see below)


def collect_files(paths: list[Path]) -> list[Path]:
    """Absolute file paths, sorted: folders expand to their supported files (hidden ones skipped), files are
    taken as given so an unsupported one is reported by the reader rather than silently ignored."""
    found: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            found.update(
                p.resolve()
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            found.add(path.resolve())
        else:
            raise FileNotFoundError(f"没有这个文件或文件夹 / no such file or folder: {path}")
    return sorted(found)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def parse_corpus(paths: list[Path], max_chars: int) -> ParsedCorpus:
    """Read, split, de-duplicate and chunk every file. A file that cannot be read or parsed becomes an entry
    in `errors`; the others are still parsed."""
    files = collect_files(paths)
    hashes: dict[str, str] = {}
    documents: list[Document] = []
    errors: list[ReadError] = []
    for path in files:
        hashes[str(path)] = file_sha256(path)
        try:
            documents.extend(parse_text(path.name, read_file(path)))
        except ReadError as exc:
            errors.append(exc)
        except Exception as exc:  # a parser bug on one odd upload must not stop the other files
            errors.append(ReadError(path, f"{PARSE_FAILED}: {type(exc).__name__}: {exc}"))
    documents = merge_duplicates(documents)
    documents, superseded = keep_newest_versions(documents, {p.name: p.stat().st_mtime for p in files})
    clauses = [clause for doc in documents for clause in chunk_document(doc, max_chars=max_chars)]
    _check_unique_ids(clauses)
    return ParsedCorpus(documents, clauses, hashes, errors, superseded)


def keep_newest_versions(documents: list[Document], file_mtime: dict[str, float]) -> tuple[list[Document], list[str]]:
    """One document per title. Two documents with one title but different bodies are two versions of one policy
    (an administrator uploaded a revised text beside the old one): the version from the most recently modified
    file is indexed, and each other version is reported as a line naming its title and file.

    Identical copies were already merged by `merge_duplicates`; this only sees differing texts.
    """
    by_id: dict[str, list[Document]] = {}
    for doc in documents:
        by_id.setdefault(doc.doc_id, []).append(doc)

    def age(doc: Document) -> tuple[float, str]:
        return max((file_mtime.get(f, 0.0), f) for f in doc.source_files)

    kept: dict[str, Document] = {doc_id: max(versions, key=age) for doc_id, versions in by_id.items()}
    superseded = [
        f"《{doc.title}》 {'、'.join(doc.source_files)} → {'、'.join(kept[doc.doc_id].source_files)}"
        for doc in documents
        if kept[doc.doc_id] is not doc
    ]
    return [doc for doc in documents if kept[doc.doc_id] is doc], superseded


def _check_unique_ids(clauses: list[Clause]) -> None:
    """Clause ids key the vector store and the incremental vector reuse; a repeated id would silently drop
    or mix up chunks, so it is a bug to surface, not to paper over."""
    repeated = [cid for cid, n in Counter(c.id for c in clauses).items() if n > 1]
    if repeated:
        raise ValueError(f"duplicate clause ids: {repeated[:5]}")
