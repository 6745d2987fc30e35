"""Admin file handling: accept an uploaded policy file into the data folder, or remove a document's files.

An upload is checked in full before anything lands in the data folder: a safe name, the size limit, and the
ingest reader's own verdict (empty, binary, undecodable, no text layer …). A rejected file leaves nothing behind.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.readers import SUPPORTED_SUFFIXES, ReadError
from ingest.report import FileReport, report_file

MAX_NAME_CHARS = 120


class UploadRejected(Exception):
    """An upload refused with a reason shown to the administrator as is (Chinese)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class SavedUpload:
    name: str  # file name inside the data folder
    path: Path
    size: int
    replaced: bool  # a file of that name was there before
    report: FileReport | None = None  # what the ingest will find in it: documents, clauses, pages, warnings


def safe_filename(name: str) -> str:
    """The name an upload is stored under, or `UploadRejected`.

    Names that try to leave the folder (`../x.txt`, `/etc/x.txt`, `a\\b.txt`) or hide (`.x.txt`) are refused
    outright rather than quietly rewritten: an administrator should learn the name was unsafe. Other odd
    characters become `_`.
    """
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        raise UploadRejected("文件名为空")
    if "/" in name or "\\" in name or ".." in name or "\x00" in name:
        raise UploadRejected(f"文件名不安全（含路径或“..”）：{name}")
    if name.startswith("."):
        raise UploadRejected(f"不接受隐藏文件：{name}")
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in SUPPORTED_SUFFIXES:
        allowed = "、".join(sorted(SUPPORTED_SUFFIXES))
        raise UploadRejected(f"不支持的文件类型：{name}（支持 {allowed}）")
    # Keep letters of any script, digits, - and _; anything else (spaces, quotes, control chars) becomes _.
    stem = re.sub(r"[^\w\-]+", "_", stem).strip("_")[: MAX_NAME_CHARS - len(suffix) - 1]
    if not stem:
        raise UploadRejected(f"文件名无有效字符：{name}")
    return f"{stem}.{suffix.lower()}"


def save_upload(data: bytes, filename: str, data_dir: Path, max_mb: int) -> SavedUpload:
    """Check an uploaded file and store it in `data_dir`; raises `UploadRejected` and keeps nothing otherwise."""
    name = safe_filename(filename)
    if len(data) > max_mb * 1024 * 1024:
        raise UploadRejected(f"文件超过大小上限 {max_mb} MB：{filename}", status=413)
    with tempfile.TemporaryDirectory(prefix="policyqa-upload-") as tmp:
        candidate = Path(tmp) / name
        candidate.write_bytes(data)
        try:
            # The ingest's own reader and parser decide whether this is usable policy text; OCR of scanned pages
            # waits for the ingest (seconds a page: never inside a request).
            report = report_file(candidate, ocr=False)
        except ReadError as exc:
            raise UploadRejected(f"{filename}：{exc.reason}") from exc
        except Exception as exc:  # noqa: BLE001 — a file the reader's library chokes on (a PDF decompression
            # bomb hits pypdf's LimitReachedError) is a refused upload, not a server error
            raise UploadRejected(f"{filename}：无法读取（{type(exc).__name__}：文件损坏或解压后过大）") from exc
        data_dir.mkdir(parents=True, exist_ok=True)
        target = data_dir / name
        replaced = target.exists()
        shutil.move(str(candidate), target)
    return SavedUpload(name=name, path=target, size=len(data), replaced=replaced, report=report)


def source_paths(source_files: list[str], data_dir: Path) -> list[Path]:
    """The files in `data_dir` that hold a document; names pointing anywhere else are ignored, never touched."""
    root = data_dir.resolve()
    paths = []
    for name in source_files:
        path = (root / Path(name).name).resolve()
        if path.parent == root and path.is_file():
            paths.append(path)
    return paths
