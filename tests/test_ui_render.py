"""The pure parts behind the browser tests: how an answer's text is paced into the chat and how its sources are
rendered once (chips in the bubble, clauses in the panel). No browser, no model."""

from __future__ import annotations

import time
from datetime import date

from rag.citations import make_citation
from rag.types import Answer, FinalAnswer, TextDelta
from stubs.fake_index import sample_clauses
from web import render
from web.ui import Conversation, paced

TODAY = date(2026, 6, 1)


def answer_citing(*clauses, text: str = "答复[1]。", body: str = "") -> Answer:
    citations = [make_citation(n, c, TODAY) for n, c in enumerate(clauses, 1)]
    return Answer(question="问", text=text, citations=citations, refused=False, retrieved=[], body=body)


def test_text_that_arrives_at_once_is_paced_into_pieces_within_the_budget():
    answer = answer_citing(sample_clauses()[0])
    text = "根据第一条：补贴50%，最高100万元[1]。\n负责部门：市工信局[1]。"
    started = time.monotonic()
    stamps, pieces = [], []
    for item in paced([TextDelta(text), FinalAnswer(answer)], pace=0.05, budget=0.5):
        stamps.append(time.monotonic())
        pieces.append(item)
    assert pieces[-1] is answer and "".join(pieces[:-1]) == text
    assert len(pieces) - 1 >= 4  # split at punctuation, not one lump
    gaps = [b - a for a, b in zip(stamps, stamps[1:-1])]
    assert min(gaps) >= 0.045
    assert stamps[-1] - started < 0.5 + 0.1  # the budget caps the delay


def test_slow_deltas_are_not_held_up():
    def slow():
        for word in ["燃气", "管理", "办法"]:
            time.sleep(0.06)
            yield TextDelta(word)
        yield FinalAnswer(answer_citing())

    started = time.monotonic()
    assert [p for p in paced(slow(), pace=0.05) if isinstance(p, str)] == ["燃气", "管理", "办法"]
    assert time.monotonic() - started < 0.06 * 3 + 0.05


def test_a_reference_list_at_the_end_of_the_text_is_left_to_the_chips():
    clause = sample_clauses()[0]
    listed = answer_citing(clause, text="最高100万元[1]。\n\n引用：\n[1] 《某办法》第一条（有效）")
    assert render.answer_body(listed) == "最高100万元[1]。"
    assert render.answer_body(answer_citing(clause, text="全文[1]。\n\n参考条款：\n[1] x", body="正文[1]。")) == "正文[1]。"
    in_body = answer_citing(clause, body="正文[1]。\n\n**参考条款**\n- [1] 《某办法》第一条")
    assert render.answer_body(in_body) == "正文[1]。"
    bubble = render.chat_message(listed, Conversation().source_keys(listed))
    assert "引用" not in bubble and bubble.count(listed.citations[0].citation) == 1


def test_a_clause_cited_by_two_answers_is_held_once_in_the_panel():
    first, second, third = sample_clauses()[:3]
    conversation = Conversation()
    keys_a = conversation.source_keys(answer_citing(first, second))
    keys_b = conversation.source_keys(answer_citing(second, third))
    assert keys_a[second.id] == keys_b[second.id] and len(conversation.sources) == 3
    panel = render.sources_panel(conversation.sources)
    assert panel.count('class="pq-source"') == 3 and 'id="pq-src-2"' in panel
    assert f'href="#pq-src-{keys_b[third.id]}"' in render.source_chips(answer_citing(second, third), keys_b)


def test_an_english_questions_sources_are_labelled_in_english():
    clause = sample_clauses()[0]
    english = Answer(question="How much is the gas subsidy?", text="Under Article 1 …[1]",
                     citations=[make_citation(1, clause, TODAY)], refused=False, retrieved=[])
    chips = render.source_chips(english, Conversation().source_keys(english))
    assert "Sources" in chips and "来源" not in chips and "Open the full clause" in chips
    chinese = answer_citing(clause)
    assert "来源" in render.source_chips(chinese, Conversation().source_keys(chinese))


def test_badges_say_in_force_or_expired_in_the_questions_language():
    assert ">有效<" in render.badge("有效（有效期至2027年12月31日）", False)
    assert ">In force<" in render.badge("有效（有效期至2027年12月31日）", False, "en")
    assert ">Expired<" in render.badge("已过期（有效期至2020年12月31日）", True, "en")
    assert ">No end date stated<" in render.badge("未注明有效期", False, "en")


def test_the_notice_of_a_tentative_answer_is_shown_as_a_warning_and_other_notices_as_information():
    weak = "以下条款与所问内容的对应不够明确，可能并不直接回答该问题，请对照条款原文核实。"
    typo = "已按“人才”理解“人材”。"
    answer = Answer(question="问", text="答", citations=[], refused=False, retrieved=[], notices=[typo, weak],
                    reasons=[weak], tentative=True)
    shown = render.notices_md(answer).splitlines()
    assert shown == [f"> ℹ️ {typo}", f"> ⚠️ {weak}"]
    answer.tentative = False
    assert render.notices_md(answer).splitlines()[1].startswith("> ℹ️")
