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
