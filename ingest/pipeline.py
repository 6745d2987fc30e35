"""Files → documents and clauses, for a whole corpus at once.

Parsing is cheap (a second for the bundled corpus), so every changed ingest re-parses all files; only
embedding is incremental (see `ingest.index`, which scans and hashes the files once and hands them here).
Duplicates are merged across files, which is why one file cannot be parsed in isolation.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ingest.clauses import chunk_document
from ingest.documents import merge_duplicates, parse_text
from ingest.model import Clause, Document
from ingest.readers import SUPPORTED_SUFFIXES, ReadError, read_source

PARSE_FAILED = "解析失败 / parse failed"


@dataclass(frozen=True)
class SourceFile:
    """One file of the corpus, read once for its hash and age."""

    path: Path  # absolute
    name: str  # as documents cite it: the path under the folder it was found in (a file given alone: its name)
    sha256: str
    mtime: float


@dataclass
class ParsedCorpus:
    documents: list[Document]  # after merge_duplicates, in file order
    clauses: list[Clause]  # by document, then position in the document
    errors: list[ReadError] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # other versions of a document, left out (see below)


def collect_files(paths: list[Path]) -> list[Path]:
    """Absolute file paths, sorted: folders expand to their supported files (hidden ones skipped), files are
    taken as given so an unsupported one is reported by the reader rather than silently ignored."""
    return sorted(_found(paths))


def scan_files(paths: list[Path]) -> list[SourceFile]:
    """The corpus under `paths` (see `collect_files`), each file named, dated and hashed — here and nowhere
    else."""
    found = _found(paths)
    names = _unique_names(found)
    return [SourceFile(p, names[p], file_sha256(p), p.stat().st_mtime) for p in sorted(found)]


def _found(paths: list[Path]) -> dict[Path, str]:
    """Absolute path → the path under the folder it was found in (a file given alone: its name)."""
    found: dict[Path, str] = {}
    for path in map(Path, paths):
        if path.is_dir():
            for p in path.rglob("*"):
                relative = p.relative_to(path)
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not any(
                    part.startswith(".") for part in relative.parts
                ):
                    found.setdefault(p.resolve(), relative.as_posix())
        elif path.is_file():
            found.setdefault(path.resolve(), path.name)
        else:
            raise FileNotFoundError(f"没有这个文件或文件夹 / no such file or folder: {path}")
    return found


def _unique_names(found: dict[Path, str]) -> dict[Path, str]:
    """A file's name must identify it (document ages are looked up by it): two folders given on one command line
    may both hold `a/x.txt`, and then those files are named by their absolute paths."""
    taken = Counter(found.values())
    return {p: name if taken[name] == 1 else str(p) for p, name in found.items()}


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def parse_corpus(files: list[SourceFile], max_chars: int) -> ParsedCorpus:
    """Read, split, de-duplicate and chunk every file. A file that cannot be read or parsed becomes an entry
    in `errors`; the others are still parsed."""
    documents: list[Document] = []
    errors: list[ReadError] = []
    for file in files:
        try:
            source = read_source(file.path)  # OCR confidence of scanned pages travels with the text
            documents.extend(parse_text(file.name, source.text, source.ocr_confidence))
        except ReadError as exc:
            errors.append(exc)
        except Exception as exc:  # a parser bug on one odd upload must not stop the other files
            errors.append(ReadError(file.path, f"{PARSE_FAILED}: {type(exc).__name__}: {exc}"))
    documents = merge_duplicates(documents)
    documents, superseded = keep_newest_versions(documents, {f.name: f.mtime for f in files})
    clauses = [clause for doc in documents for clause in chunk_document(doc, max_chars=max_chars)]
    _check_unique_ids(clauses)
    return ParsedCorpus(documents, clauses, errors, superseded)


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
