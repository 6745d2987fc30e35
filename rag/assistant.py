"""`Assistant`: question (and history) in, cited `Answer` out — chat and hotline modes, extractive or LLM.

The flow of one question:
  mask PII → check the input → rewrite a follow-up → retrieve (hybrid / dense / bm25) → refuse when the
  corpus does not cover it → extractive answer → (LLM configured) stream the LLM answer, validate its [n]
  markers, fall back to the extractive answer with a notice when the endpoint fails.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from ingest.model import Clause
from rag import hotline
from rag.citations import (
    check_markers,
    citation_list,
    jurisdiction_sentence,
    jurisdictions_of,
    make_citation,
    validity_notes,
)
from rag.extractive import compose, extract
from rag.followup import carry_topic
from rag.llm import NOTICE_UNCITED, LLMAnswerer, LLMUnavailable, build_chat_model, context_block
from rag.privacy import mask_pii
from rag.refusal import should_refuse, support
from rag.retrieval import Filters, HybridRetriever, Method, PolicyRetriever, Ranking, load_reranker, unit_list
from rag.types import Answer, Citation, Mode, Retrieved
from rag.validity import validity_of
from settings import Settings

log = logging.getLogger(__name__)

REFUSAL_PREFIX = "未在现有政策文件中找到"
MAX_QUESTION_CHARS = 2000
NEARBY_SHOWN = 3
NOTICE_EMPTY = "问题为空，请输入要咨询的政策问题"
NOTICE_NO_CONTENT = "问题只包含标点或符号，请用文字描述要咨询的政策问题"
NOTICE_TOO_LONG = f"问题超过{MAX_QUESTION_CHARS}字，请精简后再问；长篇来电内容请使用热线模式"
NOTICE_GARBLED = "问题似乎是乱码，请检查输入后重试"
_MOJIBAKE = ("锟斤拷", "烫烫烫", "屯屯屯", "\ufffd")
_CONTENT = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")


@dataclass
class _Turn:
    """One question on its way through the pipeline."""

    masked: str  # the question as asked, PII masked
    mode: Mode
    query: str  # what retrieval searches for (the standalone question when a follow-up was rewritten)
    questions: list[str] = field(default_factory=list)  # hotline: the questions in the message
    standalone: str | None = None
    notices: list[str] = field(default_factory=list)


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
        self.search = HybridRetriever(index, embeddings, settings, reranker=reranker)
        self.llm = LLMAnswerer(chat_model, settings.llm_timeout) if chat_model is not None else None
        self.retriever = PolicyRetriever(search=self.search, k=settings.top_k)

    @classmethod
    def from_settings(cls, settings: Settings, embeddings=None, index=None, chat_model=None) -> "Assistant":
        """The assistant the settings describe: the current index build, the configured embedding model, the
        LLM endpoint when `llm_base_url` is set and the reranker when `reranker_model` is set."""
        from ingest.tokenize import configure

        configure(settings.cache_dir / "jieba")
        if embeddings is None:
            from ingest.embeddings import load_embeddings

            embeddings = load_embeddings(settings)
        if index is None:
            from ingest.index import open_index

            index = open_index(settings)
        return cls(settings, index, embeddings, chat_model or build_chat_model(settings), load_reranker(settings))

    # --- public API ------------------------------------------------------------------------------------------

    def ask(self, question: str, history: list[dict] | None = None, mode: Mode = "chat", filters: dict | None = None,
            retrieval: Method = "hybrid", k: int | None = None) -> Answer:
        answer = None
        for item in self.stream(question, history, mode, filters, retrieval, k):
            answer = item
        return answer

    def stream(self, question: str, history: list[dict] | None = None, mode: Mode = "chat",
               filters: dict | None = None, retrieval: Method = "hybrid", k: int | None = None) -> Iterator[str | Answer]:
        """Text deltas (LLM answers only), then the final Answer — always exactly one Answer, last."""
        turn = self._prepare(question, history, mode)
        if isinstance(turn, Answer):
            yield turn
            return
        k = k or self.settings.top_k
        ranking = self._retrieve(turn, filters, retrieval, k)
        if should_refuse(ranking, turn.query, self.settings.refusal_threshold):
            yield self._refusal(turn, ranking)
            return
        answer = self._extractive(turn, ranking)
        if self.llm is None:
            yield answer
            return
        yield from self._llm(turn, ranking, answer)

    def warm_up(self) -> None:
        """Load the embedding model, jieba and the BM25 table now, so the first user's question is not charged
        for them (tens of seconds on a cold machine)."""
        self.search.search("燃气经营许可证怎么申请？", k=1)

    def as_runnable(self) -> Runnable:
        """The whole chain as an LCEL Runnable: input a question string or a dict with `question` and
        optionally `history`, `mode`, `filters`, `retrieval`, `k`; output an Answer."""

        def run(inputs: str | dict) -> Answer:
            if isinstance(inputs, str):
                inputs = {"question": inputs}
            return self.ask(**{key: inputs[key] for key in ("question", "history", "mode", "filters", "retrieval", "k")
                               if key in inputs})

        return RunnableLambda(run, name="PolicyQA")

    # --- steps -----------------------------------------------------------------------------------------------

    def _prepare(self, question: str, history: list[dict] | None, mode: Mode) -> _Turn | Answer:
        """Mask, check and (for follow-ups) rewrite the question; an unusable input ends here as an Answer."""
        question = question if isinstance(question, str) else ""
        notices = []
        if mode == "hotline":
            question, cut = hotline.truncate_message(question)
            notices += [cut] if cut else []
        masked = mask_pii(question)
        log.info("question mode=%s chars=%d text=%s", mode, len(masked), masked[:300])
        problem = _input_problem(masked, mode)
        if problem:
            return self._unusable(masked, mode, notices + [problem])
        if mode == "hotline":
            questions = hotline.find_questions(masked)
            return _Turn(masked, mode, query=masked, questions=questions, notices=notices)
        standalone = self._standalone(masked, history, notices)
        return _Turn(masked, mode, query=standalone or masked, standalone=standalone, notices=notices)

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

    def _retrieve(self, turn: _Turn, filters: dict | None, method: Method, k: int) -> Ranking:
        """Rank for the whole input and, when it holds sentences around its question(s), for each question alone,
        interleaved: a focused question is not drowned by the caller's story, or by text appended to it."""
        parsed = Filters.from_dict(filters)
        whole = _hotline_query(turn) if turn.mode == "hotline" else turn.query
        asked = turn.questions if turn.mode == "hotline" else hotline.find_questions(turn.query)
        queries = [whole] + [q for q in asked if q.strip() != whole.strip()]
        rankings = [self.search.search(q, k=k, filters=parsed, method=method) for q in queries]
        ranking = rankings[0] if len(rankings) == 1 else _interleave(rankings, k)
        log.info("retrieved mode=%s method=%s cos=%.3f lex=%.2f top=%s", turn.mode, method, ranking.best_cosine,
                 ranking.lexical_coverage, [h.id for h in ranking.hits[:3]])
        return ranking

    def _clauses(self, hits: list[Retrieved]) -> list[Clause]:
        return [self.search.clause(h.id) for h in hits]

    def _extractive(self, turn: _Turn, ranking: Ranking) -> Answer:
        today = self.settings.current_date()
        shown = ranking.hits[: self.settings.top_k]
        asked = "\n".join(turn.questions) if turn.mode == "hotline" else turn.query
        extracts = extract(asked, self._clauses(shown), self._idf, whole_first=ranking.direct)
        numbers = {ex.clause.id: n for n, ex in enumerate(extracts, start=1)}
        citations = [make_citation(numbers[ex.clause.id], ex.clause, today) for ex in extracts]
        text = "\n".join(
            part for part in (compose(extracts, numbers), jurisdiction_sentence(citations, ranking.jurisdictions),
                              "\n引用：\n" + citation_list(citations)) if part
        )
        answer = self._answer(turn, ranking, text, citations, refused=False)
        if turn.mode == "hotline":
            by_id = {c.id: c for c in citations}
            answer.reply_script = hotline.reply_script(turn.questions, extracts, by_id, answer.responsible_units)
        return answer

    def _llm(self, turn: _Turn, ranking: Ranking, fallback: Answer) -> Iterator[str | Answer]:
        """Stream the LLM's answer (or reply script), then validate it into the final Answer."""
        today = self.settings.current_date()
        shown = self._clauses(ranking.hits[: self.settings.top_k])
        context = [(make_citation(n, clause, today), clause) for n, clause in enumerate(shown, start=1)]
        block = context_block(context)
        if turn.mode == "hotline":
            deltas = self.llm.stream_reply_script(turn.masked, turn.questions, block)
        else:
            deltas = self.llm.stream_answer(turn.query, block)
        pieces: list[str] = []
        try:
            for delta in deltas:
                pieces.append(delta)
                yield delta
        except LLMUnavailable as exc:
            log.warning("LLM failed, extractive fallback: %s", exc)
            fallback.notices.append(exc.notice)
            yield fallback
            return
        checked = check_markers("".join(pieces).strip(), len(context))
        refused = checked.text.startswith(REFUSAL_PREFIX)
        if not refused and not checked.cited:
            fallback.notices.append(NOTICE_UNCITED)
            yield fallback
            return
        citations = [] if refused else [context[n - 1][0] for n in sorted(checked.cited)]
        text = checked.text if refused else checked.text + "\n\n引用：\n" + citation_list(citations)
        answer = self._answer(turn, ranking, text, citations, refused=refused)
        answer.unsupported_sentences = checked.unsupported
        answer.answerer = "llm"
        if turn.mode == "hotline":
            answer.reply_script = checked.text
        yield answer

    def _refusal(self, turn: _Turn, ranking: Ranking) -> Answer:
        today = self.settings.current_date()
        nearby = [f"- {h.citation}（{validity_of(h.doc, today)[0]}）" for h in ranking.hits[:NEARBY_SHOWN]]
        text = f"{REFUSAL_PREFIX}与该问题直接相关的规定。"
        if nearby:
            text += "\n可能相关：\n" + "\n".join(nearby)
        answer = self._answer(turn, ranking, text, [], refused=True)
        if turn.mode == "hotline":
            answer.reply_script = hotline.refusal_script(turn.questions)
        return answer

    def _unusable(self, masked: str, mode: Mode, notices: list[str]) -> Answer:
        return Answer(question=masked, text=f"{REFUSAL_PREFIX}可回答的内容：{notices[-1]}。", citations=[],
                      refused=True, retrieved=[], notices=notices, mode=mode,
                      questions=[masked] if mode == "hotline" and masked.strip() else [])

    def _answer(self, turn: _Turn, ranking: Ranking, text: str, citations: list[Citation], refused: bool) -> Answer:
        cited = [self.search.clause(c.id) for c in citations]
        return Answer(
            question=turn.masked,
            text=text,
            citations=citations,
            refused=refused,
            retrieved=ranking.hits,
            validity_notes=validity_notes(citations),
            responsible_units=unit_list(cited),
            jurisdictions=jurisdictions_of(citations),
            notices=list(turn.notices),
            standalone_question=turn.standalone,
            mode=turn.mode,
            questions=list(turn.questions),
        )

    def _idf(self, token: str) -> float:
        return max(self.search.bm25.idf.get(token, self.search.max_idf), 0.0)


def _input_problem(text: str, mode: Mode) -> str | None:
    stripped = text.strip()
    if not stripped:
        return NOTICE_EMPTY
    if not _CONTENT.search(stripped):
        return NOTICE_NO_CONTENT
    if mode == "chat" and len(stripped) > MAX_QUESTION_CHARS:
        return NOTICE_TOO_LONG
    if any(m in stripped for m in _MOJIBAKE) or len(_CONTENT.findall(stripped)) < 0.4 * len(stripped.replace(" ", "")):
        return NOTICE_GARBLED
    return None


HOTLINE_QUERY_CHARS = 500  # e5 reads at most 512 tokens; a message's first 500 characters carry its topic


def _hotline_query(turn: _Turn) -> str:
    return turn.masked[:HOTLINE_QUERY_CHARS]


def _interleave(rankings: list[Ranking], k: int) -> Ranking:
    """Round-robin merge of several rankings (no repeats); the refusal evidence is that of the best-supported one
    (cosine and coverage from the same query: mixing the best of each would overstate the support)."""
    hits: list[Retrieved] = []
    seen: set[str] = set()
    for depth in range(max(len(r.hits) for r in rankings)):
        for ranking in rankings:
            if depth < len(ranking.hits) and ranking.hits[depth].id not in seen:
                seen.add(ranking.hits[depth].id)
                hits.append(ranking.hits[depth])
    hits = hits[:k]
    for rank, hit in enumerate(hits, start=1):
        hit.rank = rank
    evidence = max(rankings, key=support)
    return Ranking(
        hits=hits,
        best_cosine=evidence.best_cosine,
        lexical_coverage=evidence.lexical_coverage,
        direct=any(r.direct for r in rankings),
        named_documents=[d for r in rankings for d in r.named_documents],
        jurisdictions=sorted({j for r in rankings for j in r.jurisdictions}),
        method=evidence.method,
    )
