"""A small in-memory `ingest.store.ClauseStore` (the real one: `ClauseIndex`), built from hand-made clauses.

Dense search uses hashed character bigrams (cosine), so texts that share wording are near each other; BM25
tokens come from the real `ingest.tokenize.tokenize`, exactly as the real index stores them.
"""

from __future__ import annotations

import itertools
import math
import zlib
from dataclasses import dataclass, field

from langchain_core.embeddings import Embeddings

from ingest.model import Clause
from ingest.tokenize import tokenize


class BigramEmbeddings(Embeddings):
    model_id = "fake-bigram"

    def __init__(self) -> None:
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return vector(text)


def vector(text: str, dim: int = 256) -> list[float]:
    v = [0.0] * dim
    for a, b in zip(text, text[1:]):
        v[zlib.crc32((a + b).encode()) % dim] += 1.0
    norm = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / norm for x in v]


def doc_meta(title: str, **extra) -> dict:
    meta = {
        "doc_id": extra.pop("doc_id", "d-" + str(zlib.crc32(title.encode()))),
        "doc_title": title,
        "doc_number": None,
        "issuer": None,
        "issue_date": None,
        "effective_date": None,
        "valid_until": None,
        "jurisdiction": "苏州市",
        "doc_kind": "measures",
        "scheme": "outline",
    }
    meta.update(extra)
    return meta


def clause(doc: dict, label: str, text: str, kind: str = "item", line: int = 1, **extra) -> Clause:
    return Clause(
        id=f"{doc['doc_id']}:{label}",
        doc_id=doc["doc_id"],
        label=label,
        citation=f"《{doc['doc_title']}》{label}",
        section_path=[],
        kind=kind,
        text=text,
        embed_text=f"【文件】《{doc['doc_title']}》\n【正文】{text}",
        line=line,
        doc=doc,
        **extra,
    )


_BUILD_NUMBERS = itertools.count(1)


@dataclass
class FakeIndex:
    clause_list: list[Clause]
    # Unique per instance for the whole session: rag.retrievers caches BM25 tables by build id, and `id(self)`
    # is reused once an earlier index is garbage-collected, which served a stale table to a later test.
    build_id: str = field(init=False, default_factory=lambda: f"fake-{next(_BUILD_NUMBERS)}")

    def __post_init__(self) -> None:
        self.clauses = {c.id: c for c in self.clause_list}
        self.tokens = {c.id: tokenize(c.embed_text) for c in self.clause_list}
        self._vectors = {c.id: vector(c.embed_text) for c in self.clause_list}
        self.dense_calls = 0

    @property
    def documents(self) -> list[dict]:
        seen = {}
        for c in self.clause_list:
            seen.setdefault(c.doc_id, {"doc_id": c.doc_id, "title": c.doc["doc_title"], "metadata": c.doc})
        return list(seen.values())

    def dense_search(self, query_vector, k, where=None):
        self.dense_calls += 1
        scored = [(cid, sum(a * b for a, b in zip(query_vector, v))) for cid, v in self._vectors.items()]
        return sorted(scored, key=lambda pair: -pair[1])[:k]


# --- a small corpus with the situations retrieval and answering must handle --------------------------------

GAS = doc_meta("苏州市燃气管理办法", doc_id="gas", doc_number="苏州市人民政府令第145号", doc_kind="regulation",
               scheme="article")
TALENT = doc_meta("关于苏州市加快培育生产性服务业领军企业的若干意见", doc_id="talent", doc_number="苏府规字〔2020〕5号",
                  doc_kind="opinion")
ROBOT = doc_meta("苏州市支持具身智能机器人产业创新发展的若干措施", doc_id="robot", valid_until="2027-12-31")
TRADE_OLD = doc_meta("关于支持外贸企业稳定发展的若干政策意见", doc_id="trade2020", valid_until="2020-12-31",
                     doc_kind="opinion")
TRADE_NEW = doc_meta("苏州市关于推动跨境电子商务高质量发展的若干政策措施", doc_id="trade2025", valid_until="2026-12-31")
GUSU = doc_meta("姑苏区贯彻落实推动经济运行率先好转的若干措施的实施方案", doc_id="gusu", jurisdiction="姑苏区",
                valid_until="2023-12-31", doc_kind="plan")
CHANGSHU = doc_meta("关于进一步帮助市场主体纾困解难着力稳定经济增长的若干政策措施", doc_id="changshu",
                    jurisdiction="常熟市", valid_until="2027-12-31")
OTHER_REF = doc_meta("苏州市人才落户管理办法", doc_id="hukou", doc_kind="regulation", scheme="article",
                     valid_until="2026-12-31")


def sample_clauses() -> list[Clause]:
    return [
        clause(GAS, "第三条", "第三条 市燃气管理部门负责本市燃气管理工作。", kind="article", line=3),
        clause(GAS, "第三十五条", "第三十五条 燃气管道设施的保护范围为：\n（一）低压管道的管壁外缘两侧1米范围内的区域；\n"
               "（二）中压管道的管壁外缘两侧2米范围内的区域。", kind="article", line=35),
        clause(GAS, "第三十六条", "第三十六条 在燃气管道设施保护范围内，禁止建设占压燃气管道设施的建筑物。", kind="article", line=36),
        clause(TALENT, "一、（一）", "（一）培育目标。评选60家左右生产性服务业领军企业。", line=10),
        clause(TALENT, "一、（三）", "（三）支持方向。重点支持研发设计、检验检测等生产性服务业。", line=12),
        clause(TALENT, "二、（三）", "（三）申报条件。企业在本市注册满3年，营业收入不低于1亿元。", line=20),
        clause(TALENT, "五、（一）", "（一）首次入选奖励。对入选的领军企业给予一次性奖励100万元。（责任单位：市发改委、市财政局）",
               line=30, responsible_units=["市发改委", "市财政局"]),
        clause(TALENT, "政策解读 五、（一）", "对入选的领军企业给予一次性奖励100万元。", kind="interpretation", line=40),
        clause(OTHER_REF, "第九条", "第九条 本办法自2024年1月1日起施行，苏府规字〔2020〕4号同时废止。", kind="article", line=9),
        clause(ROBOT, "九、", "九、支持首台（套）装备应用。对首台（套）机器人装备给予每台最高100万元奖励。（责任单位：市工信局）",
               line=9, responsible_units=["市工信局"]),
        clause(TRADE_OLD, "三、", "三、支持跨境电商海外仓建设。对新建海外仓的企业给予最高50万元补助。", line=3),
        clause(TRADE_NEW, "（五）", "（五）支持跨境电商海外仓建设。对新建海外仓的企业给予最高50万元补助。（责任单位：市商务局）",
               line=5, responsible_units=["市商务局"]),
        clause(GUSU, "一、（四）", "（四）对住宿餐饮行业纳税人给予房租减免，最高减免3个月租金。（区财政局负责）", line=4,
               responsible_units=["区财政局"]),
        clause(CHANGSHU, "二、（一）", "（一）对住宿餐饮行业纳税人给予房租减免，最高减免3个月租金。（市财政局负责）", line=4,
               responsible_units=["市财政局"]),
    ]
