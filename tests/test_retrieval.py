"""Hybrid retrieval: direct lookups, preferences, filters, the reranker switch — on a small hand-made index —
and, on the real corpus index, the lookups people actually type."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from rag import lookup
from domain.numerals import cn_to_int, int_to_cn
from ingest.model import Clause
from rag.retrieval import Filters, PolicyRetriever, bm25_only, dense_only, hybrid
from rag.retrieval import Query
from rag.retrievers import PostingsBM25, TermCoverage, lexical_index, load_reranker, years_in
from settings import Settings
from stubs.fake_index import BigramEmbeddings, FakeIndex, clause, doc_meta, sample_clauses

TODAY = date(2026, 6, 1)


@pytest.fixture()
def settings(tmp_path) -> Settings:
    # The rules' order: the learned order (rag/ranker.py) is fitted to the real corpus's measurements, not to
    # this hand-made index's; the real-corpus tests rank with it.
    return Settings(index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", today=TODAY,
                    learned_order=False)


@pytest.fixture()
def retriever(settings) -> PolicyRetriever:
    return PolicyRetriever(pipeline=hybrid(FakeIndex(sample_clauses()), BigramEmbeddings(), settings))


def ids(ranking) -> list[str]:
    return [h.id for h in ranking.hits]


# --- pure lookup helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n, text", [(3, "三"), (10, "十"), (15, "十五"), (35, "三十五"), (100, "一百"), (102, "一百零二")])
def test_chinese_numerals_round_trip(n, text):
    assert int_to_cn(n) == text
    assert cn_to_int(text) == n


@pytest.mark.parametrize(
    "question",
    ["苏府规字〔2020〕5号", "苏府规字[2020]5号", "苏府规字(2020)5号", "苏府规字【2020】5号", "苏府规字 〔2020〕 5 号",
     "请问苏府规字（2020）5号文件讲了什么"],
)
def test_doc_number_is_recognised_in_every_bracket_style(question):
    assert lookup.documents_by_number(question, {"a": "苏府规字〔2020〕5号", "b": "苏府规字〔2020〕4号"}) == ["a"]


def test_clause_reference_reads_articles_and_outline_paths():
    assert lookup.clause_ref_in("燃气管理办法第三十五条") == lookup.ClauseRef(article=35)
    assert lookup.clause_ref_in("若干意见一、（三）说了什么") == lookup.ClauseRef(path="一、（三）")
    assert lookup.clause_ref_in("行动2022的三、(八)24.") == lookup.ClauseRef(path="三、（八）24.")
    assert lookup.clause_ref_in("第一、二、三批企业有奖励吗") is None


# --- direct lookups --------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["苏府规字〔2020〕5号有哪些奖励", "苏府规字[2020]5号", "苏府规字 (2020) 5号的申报条件"])
def test_doc_number_lookup_returns_that_documents_clauses_first(retriever, question):
    ranking = retriever.rank(question, k=5)
    assert ranking.direct
    assert all(h.doc["doc_id"] == "talent" for h in ranking.hits[:4])


def test_doc_number_only_referenced_by_another_document_is_no_direct_hit(retriever):
    ranking = retriever.rank("苏府规字〔2020〕4号", k=3)
    assert not ranking.direct


def test_document_plus_article_returns_that_article_first(retriever):
    ranking = retriever.rank("燃气管理办法第三十五条是怎么规定的", k=3)
    assert ranking.direct
    assert ids(ranking)[0] == "gas:第三十五条"


def test_article_number_of_an_outline_document_means_its_item(retriever):
    ranking = retriever.rank("生产性服务业领军企业若干意见第三条", k=3)
    assert {ids(ranking)[0], ids(ranking)[1]} == {"talent:一、（三）", "talent:二、（三）"}


def test_outline_path_of_a_named_document_returns_that_item_first(retriever):
    ranking = retriever.rank("生产性服务业领军企业的若干意见二、（三）", k=3)
    assert ids(ranking)[0] == "talent:二、（三）"


# --- preferences ---------------------------------------------------------------------------------------------


def test_interpretation_ranks_below_the_body_clause_saying_the_same(retriever):
    order = ids(retriever.rank("领军企业首次入选一次性奖励100万元", k=5))
    assert order.index("talent:五、（一）") < order.index("talent:政策解读 五、（一）")


def test_current_clause_leads_an_expired_clause_that_matches_equally(retriever):
    order = ids(retriever.rank("新建海外仓补助多少", k=5))
    assert order.index("trade2025:（五）") < order.index("trade2020:三、")


def test_expired_clause_leads_when_the_policy_was_still_in_force(settings):
    retriever = PolicyRetriever(pipeline=hybrid(FakeIndex(sample_clauses()), BigramEmbeddings(), settings.with_(today=date(2020, 6, 1))))
    order = ids(retriever.rank("新建海外仓补助多少", k=5))
    assert order.index("trade2020:三、") < order.index("trade2025:（五）")


@pytest.mark.parametrize("place, expected", [("姑苏区", "gusu:一、（四）"), ("常熟", "changshu:二、（一）")])
def test_question_naming_a_district_prefers_its_documents(retriever, place, expected):
    ranking = retriever.rank(f"{place}住宿餐饮房租减免", k=3)
    assert ids(ranking)[0] == expected


def test_question_naming_a_year_prefers_the_edition_dated_that_year(settings):
    """Two yearly editions of a plan; the 2022 one happens to use the question's shorthand 智改数转, the 2023 one
    spells it out. The year the question names picks the edition: only the titles carry it."""
    editions = [clause(doc_meta(f"苏州市智能化改造数字化转型{year}年实施方案", doc_id=f"plan{year}"), "二、", text)
                for year, text in ((2022, "二、主要目标 推动实施智改数转项目5000个以上。"),
                                   (2023, "二、主要目标 实施智能化改造数字化转型项目3000个以上。"))]
    retriever = PolicyRetriever(pipeline=hybrid(FakeIndex(sample_clauses() + editions), BigramEmbeddings(), settings))
    assert ids(retriever.rank("2023年智改数转的主要目标是什么？", k=3))[0] == "plan2023:二、"
    assert ids(retriever.rank("智改数转的主要目标是什么？", k=3))[0] == "plan2022:二、"


def test_question_asking_for_conditions_prefers_the_clause_laying_them_down(settings):
    """A long enumeration of conditions loses to a short clause that repeats the question's words (BM25's length
    norm) — unless the question asks for conditions and the clause opens by laying them down."""
    hukou = doc_meta("苏州市人才落户管理办法", doc_id="hukou2", doc_kind="regulation", scheme="article")
    clauses = [
        clause(hukou, "第四条", "第四条 符合下列条件之一的学历人才，可以申请户口迁入：\n（一）具有博士研究生学历，年龄在55周岁以下；\n"
               "（二）具有硕士研究生学历，年龄在50周岁以下；\n（三）具有全日制本科学历，年龄在45周岁以下。", kind="article"),
        clause(hukou, "第十条", "第十条 申请人应当如实提交人才落户材料；不符合条件的，不予办理人才落户。", kind="article"),
    ]
    retriever = PolicyRetriever(pipeline=hybrid(FakeIndex(sample_clauses() + clauses), BigramEmbeddings(), settings))
    assert ids(retriever.rank("人才落户需要什么条件？", k=3))[0] == "hukou2:第四条"
    assert ids(retriever.rank("人才落户要提交什么材料？", k=3))[0] == "hukou2:第十条"


def test_question_asking_who_is_responsible_prefers_the_clause_saying_who_administers_the_matter(settings):
    """A caller's story about a scaffold shares its words with the articles on site safety, not with the
    regulation's 主管部门 article — which is what 归哪个部门管 asks for."""
    safety = doc_meta("苏州市建筑施工安全监督管理办法", doc_id="safety2", doc_kind="regulation", scheme="article")
    clauses = [
        clause(safety, "第三条", "第三条 建设行政主管部门负责本行政区域内建筑施工安全的监督管理。", kind="article"),
        clause(safety, "第二十二条", "第二十二条 施工现场的脚手架应当搭设牢固，作业人员高处施工应当系好安全带。",
               kind="article"),
    ]
    retriever = PolicyRetriever(pipeline=hybrid(FakeIndex(sample_clauses() + clauses), BigramEmbeddings(), settings))
    assert ids(retriever.rank("工地脚手架施工不安全，归哪个部门管？", k=3))[0] == "safety2:第三条"
    assert ids(retriever.rank("工地脚手架施工要注意什么安全？", k=3))[0] == "safety2:第二十二条"


@pytest.mark.parametrize(("text", "years"), [
    ("苏州市企业知识产权登峰行动计划（2021～2023年）", {2021, 2022, 2023}),
    ("Under the 2023–2025 capital-market opinion", {2023, 2024, 2025}),
    ("相城区优化营商环境创新行动2022", {2022}),
    ("年出口500万美元，设备投入2000万元，培育2025个项目", set()),
])
def test_years_named_by_a_title_or_question_but_not_amounts(text, years):
    assert years_in(text) == years


# --- term coverage -------------------------------------------------------------------------------------------

PLAN = doc_meta("企业知识产权登峰行动计划", doc_id="plan")
TAXI = doc_meta("苏州市客运管理办法", doc_id="taxi", scheme="article")


def coverage_boosts(clauses, question: str) -> dict[str, float]:
    """The factor TermCoverage gives each of `clauses`, all starting from the same fused score (the sample corpus
    joins them so that words have corpus-like IDF weights)."""
    index = FakeIndex(sample_clauses() + clauses)
    query = Query(text=question, filters=Filters(), today=TODAY, admitted=None)
    return TermCoverage(index).adjust(query, {c.id: 1.0 for c in clauses})


def test_item_stating_what_is_asked_outranks_the_heading_that_introduces_it():
    """The heading 申报条件 shares the plan's words with the question; its item about 专利 has those (through its
    section path, as ingest writes it) and also what is asked."""
    item = clause(PLAN, "三、（三）", "（三）企业拥有有效发明专利50件以上。")
    item = replace(item, embed_text=f"【文件】《{PLAN['doc_title']}》\n【位置】三、申报条件 › （三）\n【正文】{item.text}")
    boosts = coverage_boosts([
        clause(PLAN, "三、", "三、申报条件 申报项目的企业需同时具备以下基本条件："),
        item,
        clause(PLAN, "六、", "六、保障措施 各地加强组织领导。"),
    ], "登峰行动计划申报企业对专利有什么要求？")
    assert boosts["plan:三、（三）"] > boosts["plan:三、"] > 1.0
    assert boosts["plan:六、"] < boosts["plan:三、"]


@pytest.mark.parametrize("question", ["中压燃气管道两侧保护范围是几米？", "领军企业入选有奖励吗？", "租金减免几个月？",
                                      "What subsidy is there for overseas warehouses?"])
def test_term_coverage_from_its_index_is_that_of_a_scan_of_each_clause(question):
    """Which clauses hold a term is looked up, not scanned: the boosts are exactly those of testing each clause's
    tokens and text for each term of the question."""
    from ingest.tokenize import normalise

    index = FakeIndex(sample_clauses())
    coverage = TermCoverage(index)
    query = Query(text=question, filters=Filters(), today=TODAY, admitted=None)
    groups = [tuple(dict.fromkeys(normalise(t) for t in g)) for g in coverage.groups(question)]
    weights = [max(coverage.weight(t) for t in g) for g in groups]

    def scanned(c) -> float:
        text, tokens = normalise(c.embed_text), set(index.tokens[c.id])
        held = sum(w for g, w in zip(groups, weights) if any(t in tokens or t in text for t in g))
        return 1 + TermCoverage.WEIGHT * held / sum(weights)

    boosts = coverage.adjust(query, {c.id: 1.0 for c in index.clauses.values()})
    assert boosts == pytest.approx({c.id: scanned(c) for c in index.clauses.values()})
    assert len(set(boosts.values())) > 1  # the question's terms tell the clauses apart


def test_a_clause_using_the_corpus_word_for_an_everyday_word_covers_it():
    """的士 is the corpus's 出租汽车 (domain/data/synonyms.tsv): the clause saying 出租汽车 covers the question."""
    boosts = coverage_boosts([
        clause(TAXI, "第八条", "第八条 从事出租汽车经营的企业，必须有50辆以上出租汽车。", kind="article"),
        clause(TAXI, "第四条", "第四条 经营权可以实行有偿使用。", kind="article"),
    ], "开的士公司要多少辆车？")
    assert boosts["taxi:第八条"] > boosts["taxi:第四条"]


def test_an_english_phrase_is_covered_by_any_of_its_corpus_terms():
    """subsidy maps to more than one corpus term; a clause using either covers the phrase in full."""
    from rag.translate import term_groups

    question = "What subsidy is there for drones?"
    (group,) = [g for g in term_groups(question) if len(g) > 1 and g[0] in ("补贴", "补助")]
    boosts = coverage_boosts([
        clause(PLAN, "一、", f"一、对企业给予{group[0]}。"),
        clause(PLAN, "二、", f"二、对企业给予{group[1]}。"),
        clause(PLAN, "三、", "三、加强组织领导。"),
    ], question)
    assert boosts["plan:一、"] == boosts["plan:二、"] > boosts["plan:三、"]


# --- filters -------------------------------------------------------------------------------------------------


def test_filters_restrict_by_jurisdiction_validity_document_and_kind(retriever):
    question = "住宿餐饮房租减免和海外仓补助"
    assert {h.doc["jurisdiction"] for h in retriever.rank(question, k=10, filters={"jurisdiction": "常熟市"}).hits} == {"常熟市"}
    in_force = retriever.rank(question, k=20, filters={"in_force": True}).hits
    assert in_force and not {"trade2020", "gusu"} & {h.doc["doc_id"] for h in in_force}
    expired = retriever.rank(question, k=20, filters={"in_force": False}).hits
    assert {h.doc["doc_id"] for h in expired} <= {"trade2020", "gusu"}
    assert {h.doc["doc_id"] for h in retriever.rank(question, k=10, filters={"doc_id": "gas"}).hits} <= {"gas"}
    assert {h.kind for h in retriever.rank("奖励", k=10, filters={"kind": ["interpretation"]}).hits} == {"interpretation"}


def test_filters_from_the_api_dict():
    f = Filters.from_dict({"jurisdiction": "苏州市", "in_force": "true", "kind": ["article", "item"]})
    assert f.jurisdictions == {"苏州市"} and f.in_force is True and f.kinds == {"article", "item"}
    assert not Filters.from_dict(None).active


# --- retrieval switches and the reranker ---------------------------------------------------------------------


def test_bm25_only_and_dense_only_rankings_use_one_retriever(settings):
    index, embeddings = FakeIndex(sample_clauses()), BigramEmbeddings()
    bm25 = bm25_only(index, embeddings, settings).rank("海外仓补助", k=3)
    assert index.dense_calls == 0 and "best_cosine" not in bm25.evidence and bm25.hits
    dense = dense_only(index, embeddings, settings).rank("海外仓补助", k=3)
    assert index.dense_calls == 1 and "lexical_coverage" not in dense.evidence and dense.hits


def test_reranker_is_off_by_default(settings):
    assert settings.reranker_model is None
    assert load_reranker(settings) is None


class ReverseReranker:
    """Cross-encoder stand-in: prefers the shortest clause text, whatever the question."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def predict(self, pairs):
        self.pairs.extend(pairs)
        return [-len(text) for _, text in pairs]


def test_configured_reranker_reorders_the_fused_candidates(settings):
    reranker = ReverseReranker()
    pipeline = hybrid(FakeIndex(sample_clauses()), BigramEmbeddings(), settings, reranker=reranker)
    hits = pipeline.rank("领军企业奖励", k=3).hits
    assert reranker.pairs and all(q == "领军企业奖励" for q, _ in reranker.pairs)
    assert [len(h.text) for h in hits] == sorted(len(h.text) for h in hits)


def test_bm25_is_built_once_per_index_build(settings):
    index = FakeIndex(sample_clauses())
    hybrid(index, BigramEmbeddings(), settings)
    first = lexical_index(index)
    hybrid(index, BigramEmbeddings(), settings)
    assert lexical_index(index) is first


# --- the real corpus ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_retriever(corpus_index, embeddings):
    return PolicyRetriever(pipeline=hybrid(corpus_index, embeddings, Settings.from_env(today=TODAY)))


def test_postings_bm25_scores_equal_rank_bm25s_okapi():
    """The inverted-index scorer is a speed-up only: the same scores as rank_bm25 for every clause, with repeated
    query tokens, tokens no clause has, and a token in every clause (negative idf floored to epsilon)."""
    import numpy as np
    from rank_bm25 import BM25Okapi

    corpus = [["燃气", "管道", "保护", "范围", "燃气"], ["出租", "汽车", "拒载", "处罚"], ["燃气", "经营", "许可"],
              ["专精特新", "奖励", "燃气"], ["算力券", "补贴", "燃气", "燃气", "燃气"]]
    for query in (["燃气", "管道", "燃气"], ["拒载", "火星"], ["火星"], ["补贴", "奖励", "许可", "范围"]):
        assert np.allclose(PostingsBM25(corpus).get_scores(query), BM25Okapi(corpus).get_scores(query))


def test_real_corpus_gas_regulation_article_35_first(corpus_retriever):
    hit = corpus_retriever.rank("燃气管理办法第三十五条", k=3).hits[0]
    assert hit.citation == "《苏州市燃气管理办法》第三十五条"
    assert "保护范围" in hit.text


def test_real_corpus_doc_number_in_square_brackets_returns_its_document(corpus_retriever):
    hits = corpus_retriever.rank("苏府规字[2020]5号对领军企业有什么奖励", k=5).hits
    assert all(h.doc["doc_number"] == "苏府规字〔2020〕5号" for h in hits)


def test_real_corpus_outline_article_number_resolves_to_bracketed_item(corpus_retriever):
    hits = corpus_retriever.rank("苏州市推动智能车联网和新能源汽车产业发展的若干措施第四条", k=3).hits
    assert hits[0].label.endswith("（四）") and "车规级" in hits[0].text


def test_real_corpus_english_question_finds_the_chinese_clause(corpus_retriever):
    hits = corpus_retriever.rank("How much subsidy for automotive chip AEC-Q certification?", k=5).hits
    assert any("车规级认证" in h.text for h in hits)


def test_real_corpus_chinese_term_inside_an_english_question_finds_its_clauses(corpus_retriever):
    hits = corpus_retriever.rank("Is there any support for 首台套 products?", k=3).hits
    assert all("首台" in h.text for h in hits)


def test_real_corpus_english_question_naming_a_county_level_city_finds_its_document(corpus_retriever):
    hit = corpus_retriever.rank("In Changshu, how low can a company's housing provident fund contribution rate go?",
                                k=3).hits[0]
    assert hit.doc["jurisdiction"] == "常熟市" and "住房公积金缴存比例最低降至5%" in hit.text


def test_real_corpus_english_question_naming_a_document_title_finds_its_article(corpus_retriever):
    hits = corpus_retriever.rank("Under the Suzhou Gas Management Measures, how wide is the protection zone around "
                                 "a medium-pressure pipeline?", k=3).hits
    assert all(h.doc["doc_title"] == "苏州市燃气管理办法" for h in hits)
    assert "第三十五条" in [h.label for h in hits]


@pytest.mark.parametrize("question", ["Is the Suzhou Gas Management Measures still in force, and when did it take effect?",
                                      "苏州市燃气管理办法什么时候开始施行的？"])
def test_real_corpus_validity_question_about_a_named_document_gets_the_clause_stating_it_first(corpus_retriever, question):
    hit = corpus_retriever.rank(question, k=3).hits[0]
    assert hit.doc["doc_title"] == "苏州市燃气管理办法" and "起施行" in hit.text


def test_real_corpus_english_question_whether_a_named_document_is_in_force_gets_its_validity_clause_first(
        corpus_retriever):
    # The clause (本意见自2020年6月1日起施行…) shares no word with the question and is not among the
    # retrievers' first candidates; the document's interpretation chunks are.
    hit = corpus_retriever.rank("Is the producer-services leading enterprise opinion still in force?", k=3).hits[0]
    assert hit.doc["doc_title"] == "关于苏州市加快培育生产性服务业领军企业的若干意见" and "起施行" in hit.text


@pytest.mark.parametrize(("question", "label", "stated"), [
    # The plan's 申报条件 items all share its words; only 三、（三） states the patents asked about.
    ("登峰行动计划申报企业要拥有多少件有效发明专利？", "三、（三）", "有效发明专利50件以上"),
    # English through its term groups: the article saying when the letter takes effect (生效), not the one on
    # when the measures themselves took effect.
    ("When does a notification-and-commitment letter take effect?", "第九条", "双方签章后生效"),
])
def test_real_corpus_clause_stating_what_is_asked_comes_first(corpus_retriever, question, label, stated):
    hit = corpus_retriever.rank(question, k=3).hits[0]
    assert hit.label == label and stated in hit.text


def test_real_corpus_conditions_question_gets_a_conditions_article_first(corpus_retriever):
    """人才落户需要什么条件？ (a README example) is answered by the articles laying down who may settle (第四–六条),
    not by the article on false declarations or the scope article."""
    hit = corpus_retriever.rank("人才落户需要什么条件？", k=3).hits[0]
    assert hit.doc["doc_title"] == "苏州市人才落户管理办法" and "符合下列条件之一" in hit.text


ARTICLE_PHRASINGS = ("《{title}》{label}是怎么规定的？", "《{title}》{label}说了什么", "{title}{label}的内容")


def test_real_corpus_every_article_asked_by_title_is_cited_first(corpus_index, corpus_retriever):
    """Each article of each regulation (enumerated from the index), asked in three phrasings, comes first — not
    the item of an amendment decision that carries the same ordinal and repeats the regulation's title."""
    articles = [c for c in corpus_index.clauses.values() if c.kind == "article" and c.doc.get("scheme") == "article"]
    assert len({c.doc_id for c in articles}) >= 4
    wrong = []
    for clause in articles:
        for phrasing in ARTICLE_PHRASINGS:
            question = phrasing.format(title=clause.doc["doc_title"], label=clause.label)
            first = corpus_retriever.rank(question, k=3).hits[0]
            if first.id != clause.id:
                wrong.append((question, first.citation))
    assert not wrong, f"{len(wrong)} of {3 * len(articles)} lookups put another clause first: {wrong[:5]}"


def test_real_corpus_amended_article_is_followed_by_the_decision_item_that_changed_it(corpus_index, corpus_retriever):
    decision_items = [c for c in corpus_index.clauses.values() if c.kind == "amendment"]
    renumbering = next(c for c in decision_items if re.search(r"将第[一二三四五六七八九十]+条改为第十一条", c.text))
    hits = corpus_retriever.rank("《苏州市建筑施工安全监督管理办法》第十一条是怎么规定的？", k=5).hits
    assert hits[0].label == "第十一条" and hits[0].doc["doc_kind"] == "regulation"
    assert hits[1].id == renumbering.id


def _amendment(text: str, heading: str = "一、对《某某管理办法》作出修改") -> Clause:
    return Clause(id="d:x", doc_id="d", label="一、（一）", citation="《决定》一、（一）", section_path=[heading],
                  kind="amendment", text=text, embed_text=text, line=1)


@pytest.mark.parametrize(("text", "articles"), [
    ("（一）将第三条修改为：“市场监督管理部门依照本办法第九条负责监督。”", [3]),  # a quoted 第九条 is new wording
    ("（九）将第十二条改为第十一条，修改为：“施工单位应当具备资质。”", [11]),
    ("（四）将第六条第一款修改为：“有关单位应当履行责任。”", [6]),
    ("（六）第八条增加一项：“（六）按规定安装在线视频监控。”", [8]),
    ("（十五）增加一条，作为第十五条：“施工单位应当编制专项方案。”", [15]),
    ("（十四）删去第十六条、第十七条。", []),
])
def test_amendment_item_names_the_articles_it_changes_in_the_amended_numbering(text, articles):
    title, found = lookup.amended_articles(_amendment(text))
    assert title == "某某管理办法" and found == articles
