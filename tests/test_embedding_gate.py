"""The embedding model's gate: questions and a re-index take turns, so neither starves the other."""

from __future__ import annotations

import threading
import time

from ingest.embeddings import _Gate

BATCHES = 40


def test_a_reindex_finishes_while_questions_keep_coming():
    """Four threads ask without pause; the ingest's batches still all get the model while they ask (with
    questions always first, the ingest waited until the questions stopped)."""
    gate, stop, order = _Gate(), threading.Event(), []
    deadline = time.monotonic() + 20  # bounds the askers if the ingest starves

    def ask() -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            with gate.hold(query=True):
                order.append("q")
                time.sleep(0.002)

    def ingest() -> None:
        for _ in range(BATCHES):
            with gate.hold(query=False):
                order.append("b")
                time.sleep(0.002)

    askers = [threading.Thread(target=ask) for _ in range(4)]
    for thread in askers:
        thread.start()
    time.sleep(0.05)  # the askers are queueing before the ingest arrives
    builder = threading.Thread(target=ingest)
    builder.start()
    builder.join(25)
    still_asking = not stop.is_set() and time.monotonic() < deadline and all(t.is_alive() for t in askers)
    stop.set()
    for thread in askers:
        thread.join(5)
    assert still_asking, "the ingest only finished once the questions stopped"
    assert order.count("b") == BATCHES
    # Nor were the questions starved meanwhile: after each batch, every question then waiting went (four askers,
    # so several per batch — one per batch cut question throughput to a trickle during a re-index).
    during = order[order.index("b") : len(order) - order[::-1].index("b")]
    assert during.count("q") >= 2 * (BATCHES - 1)


def test_questions_encode_side_by_side_up_to_the_limit_and_a_batch_only_alone():
    gate, lock = _Gate(side_by_side=2), threading.Lock()
    state = {"questions": 0, "peak": 0, "batch": False, "overlaps": 0}

    def ask() -> None:
        for _ in range(15):
            with gate.hold(query=True):
                with lock:
                    state["questions"] += 1
                    state["peak"] = max(state["peak"], state["questions"])
                    state["overlaps"] += state["batch"]
                time.sleep(0.003)
                with lock:
                    state["questions"] -= 1

    def ingest() -> None:
        for _ in range(10):
            with gate.hold(query=False):
                with lock:
                    state["batch"] = True
                    state["overlaps"] += state["questions"] > 0
                time.sleep(0.003)
                with lock:
                    state["batch"] = False

    threads = [threading.Thread(target=ask) for _ in range(4)] + [threading.Thread(target=ingest)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert state["peak"] == 2
    assert state["overlaps"] == 0
