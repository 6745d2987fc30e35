"""`Assistant`: question (and history) in, cited `Answer` out — in any mode (rag/modes.py), extractive or LLM.

The flow of one input: prepare (mask PII, check it, rewrite a follow-up, find its questions) → retrieve →
decide (answer or refuse) → answer (extractive; with an LLM configured, the LLM answer streamed, its [n]
markers validated, the extractive answer as fallback with a notice when the endpoint fails).

`stream` yields typed events: `TextDelta`s, then exactly one `FinalAnswer`, last.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from domain.places import places_named
from domain.terms import without_measure_words
from domain.validity import cn_date
from ingest.clauses import whole_of
from ingest.model import Clause
from rag.citations import (
    check_markers,
    citation_list,
    competent_article,
    defined_roles,
    departments_asked,
    departments_of,
    jurisdictions_of,
    make_citation,
    supported_sentences,
    units_of,
    validity_notes,
)
from rag.extractive import (
    Extract, answer_slots, compose, conclusion, english_conclusion, extract, one_per_clause, quoted_units,
    sets_penalty,
)
from rag.followup import carry_topic
from rag.frames import CHINESE, REFUSAL_PREFIX, english_validity, frame_for
from rag.hotline import find_questions, tentative_script
from rag.lookup import amendment_links, article_number, penalty_links
from rag.llm import NOTICE_UNCITED, LLMAnswerer, LLMUnavailable, context_block
from rag.modes import MODES, Mode, Turn
from rag.privacy import mask_pii
from rag.answerability import Answerability, Decision, Features, foreign_places, salient_terms
from rag.retrieval import PIPELINES, Filters, PolicyRetriever, Ranking
from rag.retrievers import DenseRetriever, TranslatedRetriever, lexical_index
from rag.translate import is_latin, to_chinese
from rag.typos import TypoRepair
from rag.types import Answer, Citation, FinalAnswer, Retrieved, StreamEvent, TextDelta
from settings import Settings

log = logging.getLogger(__name__)

NOTICE_DROPPED = "大模型回答中有{n}句的数字、日期或部门与所引条款不符，已删去"
NOTICE_UNSUPPORTED = "大模型回答的数字、日期或部门与所引条款不符，已改用摘录式回答"
NOTICE_TYPOS = "已将{}理解（疑为同音错字）"
NEARBY_SHOWN = 3
NOTICE_EMPTY = "问题为空，请输入要咨询的政策问题"
NOTICE_NO_CONTENT = "问题只包含标点或符号，请用文字描述要咨询的政策问题"
NOTICE_GARBLED = "问题似乎是乱码，请检查输入后重试"
T = TypeVar("T")
_MOJIBAKE = ("锟斤拷", "烫烫烫", "屯屯屯", "\ufffd")
_CONTENT = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")


class Assistant:
    def __init__(
        self,
        settings: Settings,
        index,
        embeddings,
        chat_model: BaseChatModel | None = None,
        reranker=None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.embeddings = embeddings
        self.llm = LLMAnswerer(chat_model, settings.llm_timeout) if chat_model is not None else None
        self.retriever = PolicyRetriever(pipeline=PIPELINES["hybrid"](index, embeddings, settings, reranker),
                                         k=settings.top_k)
        self._baselines: dict[str, PolicyRetriever] = {}
        self.lexical = lexical_index(index)
        self.answerability = Answerability(index.clauses, self.lexical.idf, cutoff=settings.answer_cutoff)
        self.amended_by = amendment_links(index.clauses.values())
        self.penalties = penalty_links(index.clauses.values())
        self._competent_cache: dict[str, tuple[str, list[str]] | None] = {}
        self._roles_cache: dict[str, dict[str, str]] = {}

    # --- public API ------------------------------------------------------------------------------------------

    def ask(self, question: str, history: list[dict] | None = None, mode: str = "chat", filters: dict | None = None,
            retrieval: str = "hybrid", k: int | None = None) -> Answer:
        """The final Answer of `stream`."""
        for event in self.stream(question, history, mode, filters, retrieval, k):
            if isinstance(event, FinalAnswer):
                return event.answer
        raise AssertionError("stream ended without a FinalAnswer")

    def stream(self, question: str, history: list[dict] | None = None, mode: str = "chat",
               filters: dict | None = None, retrieval: str = "hybrid", k: int | None = None) -> Iterator[StreamEvent]:
        """`TextDelta`s of the answer text as it is produced, then exactly one `FinalAnswer`, last.

        `retrieval` names the pipeline: "hybrid" (the full system) or a baseline ("dense", "bm25")."""
        turn = self._prepare(question, history, MODES[mode])
        if isinstance(turn, Answer):
            yield from _as_events(turn)
            return
        k = k or self.settings.top_k
        ranking, per_question = self._retrieve(turn, filters, retrieval, k)
        topical = turn.mode.nouns_are_topics
        decision = self.answerability.decide(turn.mode.asked(turn), ranking, topical, turn.query)
        uncovered: list[str] = []
        per_question = _own_topics(per_question)
        if len(per_question) > 1 and not turn.mode.lists_questions and decision.answerable:
            # A chat question holding several is answered as one (on the dev set, judging its parts apart lost
            # more right clauses than it dropped wrong ones, and near-topic halves turned refusals into answers);
            # a part about what no document names, or about another place only, is said to be uncovered.
            verdicts = [(q, self.answerability.decide(q, r, topical, turn.query)) for q, r in per_question]
            uncovered = [q for q, v in verdicts if not v.answerable and (v.unknown_terms or v.foreign_places)]
            uncovered = uncovered if len(uncovered) < len(verdicts) else []  # the whole was answered: not nothing
        elif len(per_question) > 1 and turn.mode.lists_questions:  # a message: answer what is covered, name the rest
            verdicts = [(q, r, self.answerability.decide(q, r, topical, turn.query)) for q, r in per_question]
            # A message the documents do not cover as a whole is answered in part only by a question that stands
            # on its own: on the dev set every message saved by a bare follow-up (哪天截止？) was uncovered.
            carries = _answers_on_its_own if decision.answerable else _stands_on_its_own
            carried = _carrying(verdicts, carries)
            covered = [r for (_, r, _), ok in zip(verdicts, carried) if ok]
            uncovered = [q for (q, _, _), ok in zip(verdicts, carried) if not ok]
            if covered and (uncovered or not decision.answerable):
                # Answered only on the weak evidence of its parts, the message is answered as tentative. So is a
                # message each of whose questions stands on its own though the whole did not (the clause stating
                # a question's fact was below the whole's first few): the whole's evidence still speaks against.
                weak = decision.tentative or not uncovered or all(
                    v.tentative for (_, _, v), ok in zip(verdicts, carried) if ok)
                ranking, decision = _interleave(covered, k), Decision(True, 1.0, tentative=weak)
        if not decision.answerable:
            yield from _as_events(self._refusal(turn, ranking, decision))
            return
        answer = self._extractive(turn, ranking, decision.unstated_slots)
        if uncovered:
            _mention_uncovered(answer, uncovered)
        weak = frame_for(turn.mode.asked(turn)).tentative(decision) if decision.tentative else None
        if weak:
            _mark_tentative(answer, weak)
        if self.llm is None:
            yield from _as_events(answer)
            return
        yield from self._llm(turn, ranking, answer, weak)

    def evidence(self, question: str, mode: str = "chat") -> Features:
        """The answerability evidence for a question as a user would ask it (what `fit_answerability` fits on)."""
        turn = self._prepare(question, None, MODES[mode])
        if isinstance(turn, Answer):
            raise ValueError(f"not a usable question: {turn.notices}")
        ranking, _ = self._retrieve(turn, None, "hybrid", self.settings.top_k)
        return self.answerability.features(turn.mode.asked(turn), ranking, turn.query)[0]

    def warm_up(self) -> None:
        """Load the embedding model, jieba and the BM25 table now, so the first user's question is not charged
        for them (tens of seconds on a cold machine)."""
        self.retriever.rank("燃气经营许可证怎么申请？", k=1)
        self.typos.repair("燃气经营许可证怎么申请？")

    def as_runnable(self) -> Runnable:
        """The whole chain as an LCEL Runnable: input a question string or a dict with `question` and
        optionally `history`, `mode`, `filters`, `retrieval`, `k`; output an Answer."""

        def run(inputs: str | dict) -> Answer:
            if isinstance(inputs, str):
                inputs = {"question": inputs}
            return self.ask(**{key: inputs[key] for key in ("question", "history", "mode", "filters", "retrieval", "k")
                               if key in inputs})

        return RunnableLambda(run, name="PolicyQA")

    def clause(self, clause_id: str) -> Clause:
        return self.index.clauses[clause_id]

    @cached_property
    def typos(self) -> TypoRepair:
        """Built on first use (about a second: every corpus word's pinyin); `warm_up` builds it."""
        return TypoRepair(self.lexical.document_frequency(), self.answerability.corpus)

    # --- steps -----------------------------------------------------------------------------------------------

    def _prepare(self, question: str, history: list[dict] | None, mode: Mode) -> Turn | Answer:
        """Mask, check and (for follow-ups) rewrite the input; an unusable input ends here as an Answer."""
        question = question if isinstance(question, str) else ""
        question, cut = mode.trim(question)
        notices = [cut] if cut else []
        masked = mask_pii(question)
        masked, repairs = self.typos.repair(without_measure_words(masked))
        if repairs:
            notices.append(NOTICE_TYPOS.format("、".join(f"“{r.typed}”按“{r.meant}”" for r in repairs)))
        log.info("question mode=%s chars=%d text=%s", mode.name, len(masked), masked[:300])
        problem = _input_problem(masked, mode)
        if problem:
            return self._unusable(masked, mode, notices + [problem])
        standalone = self._standalone(masked, history, notices) if mode.uses_history else None
        return Turn(masked, mode, query=standalone or masked, questions=mode.questions(masked),
                    standalone=standalone, notices=notices)

    def _standalone(self, question: str, history: list[dict] | None, notices: list[str]) -> str | None:
        if not history:
            return None
        history = [{"role": t.get("role"), "content": mask_pii(str(t.get("content") or ""))} for t in history]
        heuristic = carry_topic(question, history)
        if self.llm is None or heuristic is None:
            return heuristic
        try:  # the LLM is only asked when the heuristic sees an elliptical follow-up: a cheap gate
            rewritten = self.llm.rewrite(question, history)
        except LLMUnavailable as exc:
            notices.append(exc.notice)
            return heuristic
        return None if rewritten == question else rewritten

    def _retrieve(self, turn: Turn, filters: dict | None, retrieval: str, k: int) -> tuple[Ranking, list[tuple[str, Ranking]]]:
        """Rank each query the mode asks for; several rankings are interleaved. Also returns each question the
        input holds with its own ranking (for answering some questions of a message and not others)."""
        retriever = self._retriever(retrieval)
        parsed = Filters.from_dict(filters)
        queries = turn.mode.queries(turn)
        with self._embedded(queries, retriever):
            rankings = [retriever.rank(q, k=k, filters=parsed) for q in queries]
        for query, own in zip(queries, rankings, strict=True):  # each part of a question is answered from its own
            own.firsts = {query.strip(): own.hits[0].id} if own.hits else {}
        ranking = rankings[0] if len(rankings) == 1 else _interleave(rankings, k)
        by_query = dict(zip(queries, rankings, strict=True))
        # A chat input lists no questions of its own; one holding several is judged question by question too.
        questions = turn.questions or find_questions(turn.query)
        per_question = [(q, by_query[q]) for q in questions if q in by_query]
        log.info("retrieved mode=%s retrieval=%s evidence=%s top=%s", turn.mode.name, retrieval,
                 {n: round(v, 3) for n, v in ranking.evidence.items()}, [h.id for h in ranking.hits[:3]])
        return ranking, per_question

    def _embedded(self, queries: list[str], retriever: PolicyRetriever) -> contextlib.AbstractContextManager:
        """Every text the dense retrievers will embed for this input (its queries, and an English query's Chinese
        pseudo-query) embedded up front, side by side on the cores, for them to find; they would otherwise be
        embedded one after another."""
        remembering = getattr(self.embeddings, "remembering", None)
        parts = retriever.pipeline.retrievers
        texts = list(queries) if any(isinstance(r, DenseRetriever) for r in parts) else []
        if any(isinstance(r, TranslatedRetriever) and isinstance(r.inner, DenseRetriever) for r in parts):
            texts += [pseudo for q in queries if is_latin(q) and (pseudo := to_chinese(q))]
        if remembering is None or len(set(texts)) < 2:
            return contextlib.nullcontext()
        return remembering(texts)

    def _retriever(self, name: str) -> PolicyRetriever:
        if name == "hybrid":
            return self.retriever
        if name not in self._baselines:
            pipeline = PIPELINES[name](self.index, self.embeddings, self.settings)
            self._baselines[name] = PolicyRetriever(pipeline=pipeline, k=self.settings.top_k)
        return self._baselines[name]

    def _clauses(self, hits: list[Retrieved]) -> list[Clause]:
        return [self.clause(h.id) for h in hits]

    def _extractive(self, turn: Turn, ranking: Ranking, unstated: Sequence[str] = ()) -> Answer:
        """The answer quoted from the ranked clauses; `unstated`: asked kinds of fact the clauses do not state."""
        today = self.settings.current_date()
        shown = ranking.hits[: self.settings.top_k]
        asked = turn.mode.asked(turn)
        extracts = extract(asked, self._clauses(shown), self.lexical.idf, whole_first=ranking.direct,
                           firsts=ranking.firsts)
        extracts += self._penalty_extracts(asked, extracts)
        extracts = one_per_clause(extracts, lambda clause: whole_of(clause, self.index.clauses))
        numbers = {ex.clause.id: n for n, ex in enumerate(extracts, start=1)}
        citations = [make_citation(numbers[ex.clause.id], ex.clause, today, quoted_units(ex)) for ex in extracts]
        frame = frame_for(asked)
        leads = {c.id: frame.lead(c) for c in citations}
        departments = departments_asked(asked, citations, self._competent, self._roles)
        if frame is CHINESE:  # the asked facts first, in one line; the department is part of it
            first = conclusion(asked, extracts, numbers, citations, self.lexical.idf, departments, unstated)
            department_line = ""
        else:
            first = english_conclusion(asked, extracts, numbers, citations, self.lexical.idf,
                                       english_validity(citations[0].doc, citations[0].validity, citations[0].expired)
                                       if citations else None, unstated)
            department_line = frame.departments(departments)
        body = "\n".join(
            part for part in (first, compose(extracts, leads, numbers), department_line,
                              self._amendment_notes(citations),
                              frame.jurisdiction(citations, ranking.jurisdictions, ranking.unheld)) if part
        )
        text = body + "\n\n参考条款：\n" + citation_list(citations)
        answer = self._answer(turn, ranking, text, citations, refused=False, body=body)
        if not answer.responsible_units:  # no 责任单位 trailer: the body the clauses or their document charge
            answer.responsible_units = departments_of(citations, self._competent, self._roles, asked).units
        turn.mode.finish(answer, turn, extracts, citations,
                         lambda cited, question: departments_of(cited, self._competent, self._roles, question),
                         ranking.unheld)
        return answer

    def _penalty_extracts(self, asked: str, extracts: list[Extract]) -> list[Extract]:
        """When a penalty is asked and no quoted passage sets one, the article that sets the penalty for breaking
        a cited article (违反本办法第二十六条规定的，…罚款) — at most one. A passage that only refers to other
        rules (按有关规定实施处罚) sets no penalty: a penalty is set with its figure."""
        if "penalty" not in answer_slots(asked) or any(sets_penalty(s) for ex in extracts for s in ex.sentences):
            return []
        cited = {ex.clause.id for ex in extracts}
        for ex in extracts:
            article = article_number(ex.clause.label)
            for clause_id in self.penalties.get((ex.clause.doc_id, article), []) if article else []:
                if clause_id not in cited:
                    return extract(asked, [self.clause(clause_id)], self.lexical.idf)
        return []

    def _competent(self, citation: Citation) -> tuple[str, list[str]] | None:
        """The cited document's own article on who administers it (for a department question whose clauses name
        nobody)."""
        doc_id = citation.doc.get("doc_id")
        if doc_id not in self._competent_cache:
            self._competent_cache[doc_id] = competent_article(self._document(doc_id))
        return self._competent_cache[doc_id]

    def _roles(self, citation: Citation) -> dict[str, str]:
        """The roles the cited document names bodies to (中介超市运营机构 → 苏州市公共资源交易中心)."""
        doc_id = citation.doc.get("doc_id")
        if doc_id not in self._roles_cache:
            self._roles_cache[doc_id] = defined_roles(self._document(doc_id))
        return self._roles_cache[doc_id]

    def _document(self, doc_id: str) -> list[Clause]:
        """A document's clauses in reading order."""
        return sorted((c for c in self.index.clauses.values() if c.doc_id == doc_id), key=lambda c: c.line)

    def _amendment_notes(self, citations: list[Citation]) -> str:
        """When and by which decision each cited article was amended (the library holds the amended text)."""
        notes = []
        for c in citations:
            article = article_number(c.label)
            for item_id in self.amended_by.get((c.doc.get("doc_id"), article), []) if article else []:
                item = self.clause(item_id)
                since = item.doc.get("effective_date")
                when = f"，该决定自{cn_date(since)}起施行" if since else ""
                wording = _new_wording(item.text)
                if not wording or _bare(wording)[:20] in _bare(c.text):
                    notes.append(f"{c.citation}经{item.citation}修改{when}；以上为修改后的条文[{c.n}]。")
                else:  # the library holds the original text: the decision's wording is the text in force
                    notes.append(f"{c.citation}经{item.citation}修改{when}，修改后为：“{wording}”。")
        return "\n".join(notes)

    def _llm(self, turn: Turn, ranking: Ranking, fallback: Answer, weak: str | None = None) -> Iterator[StreamEvent]:
        """Stream the LLM's answer (or reply script), then validate it into the final Answer; `weak`: the notice of
        an answer on weak evidence, which the LLM's answer carries too."""
        today = self.settings.current_date()
        # A long clause's windows are one source, given whole under one number.
        whole = (whole_of(w, self.index.clauses) for w in self._clauses(ranking.hits[: self.settings.top_k]))
        shown = list({c.id: c for c in whole}.values())
        context = [(make_citation(n, clause, today), clause) for n, clause in enumerate(shown, start=1)]
        pieces: list[str] = []
        try:
            for delta in turn.mode.stream_llm(self.llm, turn, context_block(context)):
                pieces.append(delta)
                yield TextDelta(delta)
        except LLMUnavailable as exc:
            log.warning("LLM failed, extractive fallback: %s", exc)
            fallback.notices.append(exc.notice)
            yield FinalAnswer(fallback)
            return
        checked = check_markers("".join(pieces).strip(), len(context))
        refused = checked.text.startswith(REFUSAL_PREFIX)
        shown_to_model = {c.n: "".join((c.citation, c.validity, "、".join(c.responsible_units),
                                        clause.doc.get("doc_number") or "", clause.text)) for c, clause in context}
        support = supported_sentences(checked.text, shown_to_model)
        if not refused and support.dropped:  # a figure, date or body its clause does not state: not said
            checked = check_markers(support.text, len(context))
        if not refused and not checked.cited:
            fallback.notices.append(NOTICE_UNSUPPORTED if support.dropped else NOTICE_UNCITED)
            fallback.unsupported_sentences = support.dropped
            yield FinalAnswer(fallback)
            return
        citations = [] if refused else [context[n - 1][0] for n in sorted(checked.cited)]
        text = checked.text if refused else checked.text + "\n\n参考条款：\n" + citation_list(citations)
        answer = self._answer(turn, ranking, text, citations, refused=refused, body=checked.text)
        answer.unsupported_sentences = checked.unsupported + support.dropped
        if support.dropped and not refused:
            answer.notices.append(NOTICE_DROPPED.format(n=len(support.dropped)))
        answer.answerer = "llm"
        turn.mode.finish_llm(answer, checked.text)
        if weak and not refused:
            _mark_tentative(answer, weak)
        yield FinalAnswer(answer)

    def _refusal(self, turn: Turn, ranking: Ranking, decision: Decision) -> Answer:
        """Say what is not covered and why, and show the nearest clauses as related, not as the answer; a question
        about another place is told that the library holds Suzhou's documents, with Suzhou's nearest rule."""
        frame = frame_for(turn.mode.asked(turn))
        nearest = _one_per_source(ranking.hits)[:NEARBY_SHOWN]
        text = frame.refusal(decision, nearest, self.settings.current_date())
        answer = self._answer(turn, ranking, text, [], refused=True)
        answer.answerable, answer.reasons = False, list(decision.reasons)
        nearest_units = units_of(self._clauses(nearest))
        turn.mode.finish_refusal(answer, turn, decision, nearest_units)
        return answer

    def _unusable(self, masked: str, mode: Mode, notices: list[str]) -> Answer:
        questions = [masked] if mode.lists_questions and masked.strip() else []
        text = f"{REFUSAL_PREFIX}可回答的内容：{notices[-1]}。"
        return Answer(question=masked, text=text, citations=[], refused=True, retrieved=[], notices=notices,
                      mode=mode.name, questions=questions, body=text)

    def _answer(self, turn: Turn, ranking: Ranking, text: str, citations: list[Citation], refused: bool,
                body: str | None = None) -> Answer:
        quoted = {u for c in citations for u in c.responsible_units}  # a clause of several measures: the quoted ones'
        return Answer(
            question=turn.masked,
            text=text,
            citations=citations,
            refused=refused,
            retrieved=ranking.hits,
            validity_notes=validity_notes(citations),
            responsible_units=[u for u in units_of([self.clause(c.id) for c in citations]) if u in quoted],
            jurisdictions=jurisdictions_of(citations),
            notices=list(turn.notices),
            standalone_question=turn.standalone,
            mode=turn.mode.name,
            questions=list(turn.questions),
            body=text if body is None else body,
        )


def _new_wording(amendment: str) -> str:
    """The new wording an amendment item quotes (修改为：“…”), without the quote marks that open its paragraphs."""
    quoted = amendment.split("“", 1)[1] if "“" in amendment else ""
    return re.sub(r"\n“", "\n", quoted).rstrip("”。\n") + ("。" if quoted else "")


def _one_per_source(hits: list[Retrieved]) -> list[Retrieved]:
    """The hits with each citation once, at its best rank: a long clause's windows are one source."""
    kept: dict[str, Retrieved] = {}
    for hit in hits:
        kept.setdefault(hit.citation, hit)
    return list(kept.values())


def _bare(text: str) -> str:
    """Text without spaces and punctuation, for telling whether a wording is already in a clause."""
    return re.sub(r"[\s。；;，,：:“”]", "", text)


# How a further question of a message opens (另外，… 二是…, Also, …): the note naming it opens so itself. A connective
# needs its break after it (还有，…), but for those no question begins with as a word of its own (二是, 另外苏州…).
_CONNECTIVE = re.compile(r"^\s*(?:(?:另外|此外|还有|其次|再问一下|再问|第[二三四](?:点|个问题)?)[,，、：:]\s*|(?:另外(?![一两几的])|[二三]是)"
                         r"|(?:and\s+)?also\b[,\s]*|besides\b[,\s]*|and\s+)", re.I)


def _mention_uncovered(answer: Answer, questions: list[str]) -> None:
    """Say plainly which questions of the input the documents do not cover (in the answer and the reply script)."""
    # The caller's own words are quoted: a "[0]" in them must not read as a citation marker.
    asked = "”“".join(re.sub(r"\[(\d+)\]", r"［\1］", _CONNECTIVE.sub("", q).rstrip("。；;？?")) for q in questions)
    note = frame_for(" ".join(questions)).uncovered(asked)
    before = answer.body
    answer.body = f"{before}\n{note}"
    answer.text = answer.body + answer.text[len(before):]  # the reference list stays last
    answer.reasons.append(note)
    if answer.reply_script:
        said = CHINESE.uncovered(asked)  # the reply script is read out in Chinese whatever the message's language
        answer.reply_script = answer.reply_script.replace("感谢您的来电！", said + "感谢您的来电！")


def _mark_tentative(answer: Answer, notice: str) -> None:
    """An answer on weak evidence is given, but says so where the answer's warnings are shown (under the chat
    answer; beside the hotline reply, for the operator rather than the caller): a hotline operator must not read
    out a clause that may be about something else as the answer."""
    answer.tentative = True
    answer.notices.append(notice)
    answer.reasons.append(notice)
    if answer.reply_script:
        answer.reply_script = tentative_script(answer.reply_script)


def _as_events(answer: Answer) -> Iterator[StreamEvent]:
    """An answer made in one piece, its body streamed line by line, then the final event: every path emits its
    text."""
    for line in answer.body.splitlines(keepends=True):
        yield TextDelta(line)
    yield FinalAnswer(answer)


def _input_problem(text: str, mode: Mode) -> str | None:
    stripped = text.strip()
    if not stripped:
        return NOTICE_EMPTY
    if not _CONTENT.search(stripped):
        return NOTICE_NO_CONTENT
    if too_long := mode.length_problem(stripped):
        return too_long
    if any(m in stripped for m in _MOJIBAKE) or len(_CONTENT.findall(stripped)) < 0.4 * len(stripped.replace(" ", "")):
        return NOTICE_GARBLED
    return None


def _answers_on_its_own(decision: Decision) -> bool:
    """Whether one question of a message is answered by its own supporting clauses: judged answerable, and
    those clauses hold some of its words. A follow-up that leans on the question before it (节假日贵不贵？
    after one about a fee) may score well on retrieval alone while its clauses share nothing with it; it must
    not turn a message the documents do not cover into a partial answer."""
    return decision.answerable and decision.features.get("clause_coverage", 1.0) > 0.0


def _stands_on_its_own(decision: Decision) -> bool:
    """A question that can carry a partial answer of a message refused as a whole: answered on its own with
    confidence (not tentative: the whole message's evidence already says the documents do not cover it), and with
    at least two of its words found in its clauses. A lone 截止 or 社保 continues the caller's story (what deadline,
    whose social insurance); found anywhere, it does not show that the documents cover what was asked."""
    found = len(decision.terms) - len(decision.missing_terms)
    return _answers_on_its_own(decision) and not decision.tentative and found >= 2


def _carrying(verdicts: list[tuple[str, Ranking, Decision]], carries: Callable[[Decision], bool]) -> list[bool]:
    """For each question of a message, whether its own clauses answer it (`carries`). A question naming no
    place is about the place of the question before it (成都的补贴怎么申请？要交什么材料？ asks for 成都's
    materials): after a question about another place only, it is not answered from Suzhou's documents either."""
    out, abroad = [], False
    for question, _, decision in verdicts:
        foreign, only_foreign = foreign_places(question)
        if foreign or places_named(question):
            abroad = bool(foreign) and only_foreign
        out.append(not abroad and carries(decision))
    return out


def _own_topics(per_question: list[tuple[str, Ranking]]) -> list[tuple[str, Ranking]]:
    """The questions that name a topic of their own. One whose topic words all occur in the question before it
    (…公租房怎么申请？哪天开始申请？) continues that question: judged alone, its bare 申请 would find any
    clause about applying for anything, and the documents would seem to cover half the message."""
    own = []
    for i, (question, ranking) in enumerate(per_question):
        terms = salient_terms(question)
        if i and all(term in per_question[i - 1][0] for term in terms):
            continue
        own.append((question, ranking))
    return own


def _support(ranking: Ranking) -> float:
    """How strongly retrieval supports a ranking (dense cosine, plus a little for BM25 coverage of the best
    clause): the interleaved ranking reports the evidence of its best-supported query."""
    return ranking.evidence.get("best_cosine", 0.0) + 0.15 * ranking.evidence.get("lexical_coverage", 0.0)


def _interleave(rankings: list[Ranking], k: int) -> Ranking:
    """Round-robin merge of several rankings (no repeats); the evidence is that of the best-supported one
    (cosine and coverage from the same query: mixing the best of each would overstate the support)."""
    hits = _round_robin([r.hits for r in rankings], key=lambda hit: hit.id)[:k]
    for rank, hit in enumerate(hits, start=1):
        hit.rank = rank
    evidence = max(rankings, key=_support)
    return Ranking(
        hits=hits,
        evidence=dict(evidence.evidence),
        direct=any(r.direct for r in rankings),
        named_documents=[d for r in rankings for d in r.named_documents],
        jurisdictions=sorted({j for r in rankings for j in r.jurisdictions}),
        unheld=list(dict.fromkeys(j for r in rankings for j in r.unheld)),
        firsts={query: first for r in rankings for query, first in r.firsts.items()},
        support=_round_robin([r.support or [h.id for h in r.hits] for r in rankings])[:k],
    )


def _round_robin(orders: list[list[T]], key: Callable[[T], str] = str) -> list[T]:
    """The items of several orders taken in turn, depth by depth, each (by `key`) once."""
    out: dict[str, T] = {}
    for depth in range(max(map(len, orders), default=0)):
        for order in orders:
            if depth < len(order):
                out.setdefault(key(order[depth]), order[depth])
    return list(out.values())
