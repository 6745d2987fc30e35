"""The real server (`python app.py`) in a subprocess on a free loopback port, and HTTP clients driving it.

Traffic goes to 127.0.0.1 only, and every client loop is bounded by a request count and a deadline.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from settings import ROOT, Settings
from web.server import free_port

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def require_loopback(url: str) -> str:
    """Load is only ever sent to this machine."""
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK and not host.startswith("127."):
        raise SystemExit(f"refusing to send load to {host!r}: only 127.0.0.1/localhost is allowed")
    return url.rstrip("/")


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    cache_dir: Path  # holds this server's feedback.sqlite3
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def feedback_db(self) -> Path:
        return self.cache_dir / "feedback.sqlite3"


def private_cache(folder: Path, shared_cache: Path) -> Path:
    """A cache dir of the server's own (fresh feedback store, jieba cache) that reuses the materialised model."""
    folder.mkdir(parents=True, exist_ok=True)
    models = folder / "models"
    if not models.exists() and (shared_cache / "models").is_dir():
        models.symlink_to((shared_cache / "models").resolve(), target_is_directory=True)
    return folder


@contextmanager
def running_server(settings: Settings, workdir: Path, ready_timeout: float = 600,
                   extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start `python app.py` over `settings`' data and index (built first if missing); stop it on exit."""
    port = free_port()
    cache = private_cache(workdir / "server-cache", settings.cache_dir)
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(settings.data_dir),
        "POLICYQA_INDEX_DIR": str(settings.index_dir),
        "POLICYQA_CACHE_DIR": str(cache),
        "POLICYQA_HOST": "127.0.0.1",
        "POLICYQA_PORT": str(port),
        # The clients cycle through a few dozen questions; remembered query vectors would time the cache.
        "POLICYQA_QUERY_CACHE": "0",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        **(extra_env or {}),
    }
    log = workdir / f"server-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, stdout=out, stderr=out)
    server = Server(f"http://127.0.0.1:{port}", proc, cache, log)
    try:
        wait_ready(server, ready_timeout)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited ({server.process.returncode}): {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(server.url + "/api/documents", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"server not ready within {timeout:.0f} s; log: {server.log}")


@dataclass
class ClientRun:
    """What concurrent clients saw: per-request latency (s) of successes (and when each finished, on the
    time.monotonic clock), error descriptions, wall time."""

    latencies: list[float] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # successful requests by kind
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: str, seconds: float | None, error: str | None = None) -> None:
        with self.lock:
            if error is None:
                self.latencies.append(seconds)
                self.finished.append(time.monotonic())
                self.counts[kind] = self.counts.get(kind, 0) + 1
            else:
                self.errors.append(f"{kind}: {error}")

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


# A request: (kind, method, path, json body, status expected)
Request = tuple[str, str, str, dict, int]


def drive(
    url: str,
    clients: int,
    requests: Callable[[int], Iterator[Request]],
    max_requests: int,
    max_seconds: float,
    timeout: float = 60,
) -> ClientRun:
    """`clients` threads, each with its own connection, sending requests(client_no) one after another until
    it has sent `max_requests` or `max_seconds` have passed."""
    run = ClientRun()
    deadline = time.monotonic() + max_seconds

    def client(number: int) -> None:
        with httpx.Client(base_url=url, timeout=timeout) as http:
            for request in itertools.islice(requests(number), max_requests):
                if time.monotonic() > deadline:
                    return
                kind, method, path, body, expected = request
                start = time.perf_counter()
                try:
                    response = http.request(method, path, json=body)
                except httpx.HTTPError as exc:
                    run.record(kind, None, f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - start
                if response.status_code == expected:
                    run.record(kind, elapsed)
                else:
                    run.record(kind, None, f"HTTP {response.status_code}: {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + timeout + 5)
    run.seconds = time.perf_counter() - start
    return run


def asking(questions: list[str], hotline: list[str]) -> Callable[[int], Iterator[Request]]:
    """Each client cycles through the questions from its own offset; every fourth request is a hotline one."""

    def requests(number: int) -> Iterator[Request]:
        for i in itertools.count(number):
            if i % 4 == 3:
                yield "hotline", "POST", "/api/hotline", {"message": hotline[i % len(hotline)]}, 200
            else:
                yield "ask", "POST", "/api/ask", {"question": questions[i % len(questions)]}, 200

    return requests


def first_answer_seconds(url: str, question: str, timeout: float = 600) -> float:
    """Time the first question after start-up: the server is up before the model has loaded, and the first
    asker pays for the load. Also warms the server so timed runs measure steady state."""
    start = time.perf_counter()
    response = httpx.post(url + "/api/ask", json={"question": question}, timeout=timeout)
    response.raise_for_status()
    return time.perf_counter() - start
