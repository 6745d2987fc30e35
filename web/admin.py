"""Administration: the one admin login check (UI and API), uploads, delete-then-reindex, re-index, eval report.

Login: the configured user and password, compared in constant time; failed attempts are counted per client and
logged (user name and client, never the password); a client with too many recent failures is refused without
its password being looked at, until the window has passed.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from ingest.index import ingest_running
from settings import ROOT, Settings
from web.library import LibraryService
from web.live import Busy, LiveIndex
from web.uploads import SavedUpload, UploadRejected, save_upload, source_paths

log = logging.getLogger("policyqa.web.admin")

EVAL_REPORT_DIR = ROOT / "eval" / "reports" / "latest"
LOGIN_WINDOW_S = 60.0
_MAX_TRACKED_CLIENTS = 10_000


class LoginDenied(Exception):
    """An admin action refused: 403 locked (no password configured), 401 wrong credentials, 429 too many."""

    def __init__(self, reason: str, status: int, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.retry_after = reason, status, retry_after


@dataclass
class Removal:
    doc_id: str
    files: list[str]  # file names deleted from the data folder
    documents: list[dict]  # every document those files held (the requested one and any others)
    summary: str  # the re-index that followed


class LoginThrottle:
    """Failed logins per client in a sliding window. Successes do not reset it: a guesser who finds the
    password after four tries still spent them."""

    def __init__(self, failures: int, window: float = LOGIN_WINDOW_S,
                 clock=time.monotonic) -> None:
        self.failures, self.window, self.clock = failures, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until `client` may try again; 0 when it may try now."""
        with self._lock:
            recent = self._recent(client)
            if len(recent) < self.failures:
                return 0
            return max(1, int(recent[0] + self.window - self.clock()) + 1)

    def failed(self, client: str) -> int:
        """Record a failure; returns the client's failures in the window."""
        with self._lock:
            if len(self._seen) > _MAX_TRACKED_CLIENTS:  # bounded memory under a spray of client addresses
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > self.clock() - self.window}
            recent = self._recent(client)
            recent.append(self.clock())
            return len(recent)

    def _recent(self, client: str) -> deque[float]:
        recent = self._seen.setdefault(client, deque())
        while recent and recent[0] <= self.clock() - self.window:
            recent.popleft()
        return recent


class AdminService:
    def __init__(self, settings: Settings, live: LiveIndex, library: LibraryService,
                 throttle: LoginThrottle | None = None) -> None:
        self.settings = settings
        self.live = live
        self.library = library
        self.throttle = throttle or LoginThrottle(failures=settings.admin_login_attempts)

    # --- login ---------------------------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return not self.settings.admin_password

    def check_login(self, user: str | None, password: str | None, client: str) -> str:
        """The user name when these credentials are the administrator's; LoginDenied otherwise."""
        if self.locked:
            raise LoginDenied("管理功能已锁定：未设置管理员密码（POLICYQA_ADMIN_PASSWORD）", 403)
        wait = self.throttle.retry_after(client)
        if wait:
            log.warning("admin login refused: too many failures from %s (retry in %d s)", client, wait)
            raise LoginDenied(f"登录失败次数过多，请 {wait} 秒后再试", 429, retry_after=wait)
        if user is None and password is None:  # no credentials sent (a browser's first try): not a guess
            raise LoginDenied("需要管理员登录", 401)
        user, password = user or "", password or ""
        ok = secrets.compare_digest(user.encode("utf-8", "replace"), self.settings.admin_user.encode()) & (
            secrets.compare_digest(password.encode("utf-8", "replace"), self.settings.admin_password.encode())
        )
        if not ok:
            count = self.throttle.failed(client)
            log.warning("admin login failed: user %r from %s (%d in %.0f s)", user[:40], client, count,
                        self.throttle.window)
            raise LoginDenied("用户名或密码错误", 401)
        return user

    # --- files ---------------------------------------------------------------------------------------------------

    def upload(self, data: bytes, filename: str) -> SavedUpload:
        return save_upload(data, filename, self.settings.data_dir, self.settings.max_upload_mb)

    def reindex(self) -> str:
        """Rebuild the index from the data folder; raises Busy when a re-index or another ingest is running."""
        with self.live.exclusive():
            self._refuse_if_ingesting()
            return self.live.rebuild_held()

    def remove_and_reindex(self, doc_id: str, cascade: bool = False) -> Removal:
        """Delete the files a document came from, then re-index. A file holding other documents too is only
        deleted with `cascade`, since removing it removes them all (UploadRejected 409 otherwise). When the
        index is busy (Busy) nothing is deleted: the files come back if the re-index cannot start."""
        with self.live.exclusive():
            doc = self.library.document(doc_id)
            if doc is None:
                raise UploadRejected(f"没有这份文件：{doc_id}", status=404)
            paths = source_paths(doc.get("source_files", []), self.settings.data_dir)
            if not paths:
                raise UploadRejected(f"在数据目录中找不到《{doc['doc_title']}》的源文件", status=404)
            names = {p.name for p in paths}
            affected = [d for d in self.library.documents()
                        if names & {Path(f).name for f in d.get("source_files", [])}]
            others = [d for d in affected if d["doc_id"] != doc_id]
            if others and not cascade:
                titles = "、".join(f"《{d['doc_title']}》" for d in others[:5]) + ("等" if len(others) > 5 else "")
                raise UploadRejected(
                    f"源文件 {'、'.join(sorted(names))} 还包含另外 {len(others)} 份文件（{titles}），"
                    "删除会一并移除；确认请勾选“一并删除”（API：cascade=true）",
                    status=409,
                )
            self._refuse_if_ingesting()
            kept = {path: path.read_bytes() for path in paths}
            for path in paths:
                path.unlink()
            try:
                summary = self.live.rebuild_held()
            except BaseException:
                for path, data in kept.items():  # the index still lists the document: keep its files too
                    path.write_bytes(data)
                raise
        return Removal(doc_id=doc_id, files=sorted(names), documents=affected, summary=summary)

    def _refuse_if_ingesting(self) -> None:
        if ingest_running(self.settings.index_dir):
            raise Busy("另一个导入（命令行或其他服务进程）正在更新索引，请稍后再试")

    def eval_report(self) -> str | None:
        """The latest eval report as Markdown, if `make eval` has written one."""
        path = EVAL_REPORT_DIR / "report.md"
        return path.read_text(encoding="utf-8") if path.is_file() else None
