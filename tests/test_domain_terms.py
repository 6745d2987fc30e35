"""The shared domain vocabulary: the English → Chinese term map and its builder, the synonym map, department
names and the place gazetteers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from domain import places as places_module
from domain.places import Place, ancestors, in_suzhou, other_places, places_named, suzhou_places
from domain.terms import (
    MAX_SENSES,
    REVIEWED_FILE,
    Term,
    absent_chinese,
    absent_everyday,
    absent_phrases,
    absent_words,
    build_term_map,
    corpus_entries,
    department_english,
    gloss_keys,
    load_department_names,
    load_synonyms,
    load_term_map,
    parse_term_tsv,
    without_measure_words,
)
from ingest.tokenize import normalise

# A few CC-CEDICT lines in the dictionary's own format (traditional simplified [pinyin] /gloss/gloss/).
CEDICT_FIXTURE = """\
# CC-CEDICT comment line
燃氣 燃气 [ran2 qi4] /gas/fuel gas/
煤氣 煤气 [mei2 qi4] /coal gas/gas/
出租車 出租车 [chu1 zu1 che1] /taxi/CL:輛|辆[liang4]/
企業 企业 [qi3 ye4] /company/firm/enterprise/corporation/CL:家[jia1]/
上市 上市 [shang4 shi4] /(of a company) to go public/(Tw) to hit the market/
進行 进行 [jin4 xing2] /to do/to carry out/
著力 着力 [zhuo2 li4] /variant of 著力|着力[zhuo2 li4]/
歐陽 欧阳 [Ou1 yang2] /two-character surname Ouyang/
補貼 补贴 [bu3 tie1] /to subsidize/subsidy/allowance/
津貼 津贴 [jin1 tie1] /allowance/
科技創新 科技创新 [ke1 ji4 chuang4 xin1] /scientific and technological innovation/
促進 促进 [cu4 jin4] /to promote (an idea or cause); to advance/to boost/
市 市 [shi4] /market/city/
"""
VOCABULARY = Counter(
    {"燃气": 40, "出租车": 3, "出租汽车": 60, "企业": 500, "上市": 30, "进行": 20, "着力": 5, "欧阳": 1,
     "补贴": 50, "津贴": 2, "科技创新": 12, "促进": 25, "市": 900}
)


def build(reviewed=None, corpus=None, vocabulary=VOCABULARY, lines=CEDICT_FIXTURE):
    return build_term_map(lines.splitlines(), vocabulary, reviewed or {}, corpus)


def corpus_text(data_dir: Path) -> str:
    return normalise("".join(p.read_text(encoding="utf-8") for p in sorted(data_dir.glob("*.txt"))))


# --- the builder on a dictionary fixture ---------------------------------------------------------------------


def test_dictionary_targets_outside_the_corpus_vocabulary_are_dropped():
    term_map = build()
    assert term_map["gas"].targets == ("燃气",)  # 煤气 also means gas, but the corpus never says 煤气
    assert "coal gas" not in term_map
    assert "fuel gas" in term_map


def test_noisy_glosses_give_no_keys():
    term_map = build()
    assert "go public" in term_map and "of a company" not in term_map  # a qualifying note is removed
    assert "hit the market" not in term_map  # a regional or register sense is dropped
    assert not any("ouyang" in key or "surname" in key for key in term_map)
    assert not any("variant" in key for key in term_map)
    assert not any(key.startswith("cl") for key in term_map)
    assert "do" not in term_map and "to do" not in term_map  # too general an English word
    assert "carry out" in term_map
    assert "market" not in term_map and "city" not in term_map  # a one-character headword is no term


def test_gloss_keys_strip_to_and_split_alternatives():
    assert gloss_keys("to promote; to boost") == ["promote", "boost"]
    assert gloss_keys("to be responsible for") == ["responsible for"]
    assert gloss_keys("surname Su") == []
    assert gloss_keys("abbr. for 科技創新|科技创新") == []
    assert gloss_keys("CL:家[jia1]") == []
    assert gloss_keys("market (also in abstract)") == ["market"]
    assert gloss_keys("(slang) to be in charge") == []
    assert gloss_keys("a") == []


def test_a_role_glossed_as_acting_in_it_is_a_key_by_its_own_name():
    assert gloss_keys("to act as intermediary") == ["act as intermediary", "intermediary"]
    assert gloss_keys("to serve as a guardian") == ["guardian"]  # the whole gloss has a one-letter word
    assert "intermediary" in load_term_map() and "中介" in load_term_map()["intermediary"]


def test_multiword_glosses_are_kept_as_whole_phrase_keys():
    term_map = build()
    assert term_map["scientific and technological innovation"].targets == ("科技创新",)
    assert "scientific" not in term_map and "innovation" not in term_map


def test_targets_of_one_key_are_ranked_by_corpus_frequency():
    term_map = build()
    assert term_map["allowance"].targets == ("补贴", "津贴")
    rare_first = build(vocabulary=VOCABULARY | {"津贴": 80})
    assert rare_first["allowance"].targets == ("津贴", "补贴")


def test_reviewed_entries_win_over_the_dictionary_and_keep_their_order():
    term_map = build(reviewed={"Taxi": ["出租汽车", "出租车"], "subsidy": ["补贴", "奖励"]})
    assert term_map["taxi"].targets == ("出租汽车", "出租车")
    assert term_map["taxi"].source == "reviewed"
    # 奖励 is not a corpus word in this fixture, so the reviewed entry keeps only 补贴
    assert term_map["subsidy"].targets == ("补贴",)
    assert term_map["gas"].source == "cedict"


def test_reviewed_entry_with_no_corpus_target_is_dropped_and_overrules_the_dictionary():
    term_map = build(reviewed={"deed tax": ["契税"], "allowance": ["津贴补助"]})
    assert "deed tax" not in term_map
    assert "allowance" not in term_map  # the dictionary's 补贴/津贴 sense is overruled, not kept


def test_corpus_entries_override_the_dictionary_but_not_reviewed_terms():
    wujiang = Place("吴江区", "district", "苏州市", ("吴江",), ("Wujiang District", "Wujiang"))
    corpus = corpus_entries([wujiang], {"市工信局": "Municipal Bureau of Industry and Information Technology"})
    vocabulary = VOCABULARY | {"吴江区": 4, "吴江": 9, "市工信局": 30}
    term_map = build(corpus=corpus, vocabulary=vocabulary, reviewed={"wujiang": ["吴江"]})
    assert term_map["wujiang district"].targets == ("吴江区", "吴江")
    assert term_map["wujiang district"].source == "corpus"
    assert term_map["wujiang"].source == "reviewed"
    assert term_map["bureau of industry and information technology"].targets == ("市工信局",)


def test_an_english_word_glossing_too_many_corpus_words_is_dropped():
    words = ["处" + c for c in "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"[: MAX_SENSES + 1]]
    lines = "\n".join(f"{w} {w} [chu3] /handle/" for w in words)
    vocabulary = Counter({w: 1 for w in words})
    assert "handle" not in build(lines=lines, vocabulary=vocabulary)
    assert "handle" in build(lines="\n".join(lines.splitlines()[:MAX_SENSES]), vocabulary=vocabulary)


def test_the_build_does_not_depend_on_dictionary_line_order():
    lines = CEDICT_FIXTURE.splitlines()
    assert list(build(lines="\n".join(reversed(lines))).items()) == list(build().items())
    assert list(build()) == sorted(build())


# --- the shipped files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("specialised and sophisticated", "专精特新"),
        ("innovation voucher", "科技创新券"),
        ("unicorn", "独角兽"),
        ("first set of major equipment", "首台套"),
        ("cross-border e-commerce", "跨境电商"),
        ("embodied intelligence", "具身智能"),
        ("computing power voucher", "算力券"),
        ("listed company", "上市公司"),
        ("talent settlement", "人才落户"),
        ("gas", "燃气"),
        ("taxi", "出租汽车"),
    ],
)
def test_shipped_term_map_has_the_reviewed_policy_terms_first(english, chinese):
    assert load_term_map()[english][0] == chinese


def test_shipped_term_map_agrees_with_the_reviewed_file(data_dir):
    """Every reviewed key whose terms occur in the corpus is in the generated map with those terms: the
    generated file was rebuilt after the last edit of the reviewed one."""
    text = corpus_text(data_dir)
    term_map = load_term_map()
    for english, targets in parse_term_tsv(REVIEWED_FILE.read_text(encoding="utf-8")).items():
        in_corpus = [t for t in targets if normalise(t) in text]
        if in_corpus:
            assert term_map.get(english, [])[: len(in_corpus)] == in_corpus[:4], english


def test_every_target_of_the_shipped_term_map_occurs_in_the_corpus(data_dir):
    text = corpus_text(data_dir)
    targets = {t for terms in load_term_map().values() for t in terms}
    assert len(load_term_map()) > 1000
    assert sorted(t for t in targets if normalise(t) not in text) == []


def test_shipped_term_map_glosses_places_and_departments():
    term_map = load_term_map()
    assert term_map["wujiang district"][0] == "吴江区"
    assert term_map["suzhou industrial park"][0] == "苏州工业园区"
    assert "市商务局" in term_map["bureau of commerce"]


def test_synonyms_map_everyday_words_to_corpus_terms(data_dir):
    synonyms = load_synonyms()
    assert synonyms["出租车"] == ["出租汽车"]
    assert synonyms["的士"] == ["出租汽车"]
    assert synonyms["煤气罐"][0] == "瓶装燃气"
    assert synonyms["个体户"] == ["个体工商户"]
    assert "老年人" in synonyms["老人"]
    assert len(synonyms) >= 200
    text = corpus_text(data_dir)
    assert sorted({t for ts in synonyms.values() for t in ts if normalise(t) not in text}) == []


def test_department_names_gloss_short_full_and_city_prefixed_forms():
    bureau = "Municipal Bureau of Industry and Information Technology"
    assert department_english("市工信局") == bureau
    assert department_english("苏州市工业和信息化局") == bureau
    assert department_english("苏州市商务局") == department_english("市商务局") == "Municipal Bureau of Commerce"
    assert department_english("市市场监管局<知识产权局>") == department_english("市市场监管局（知识产权局）")
    assert department_english("火星移民局") is None


def test_frequent_city_departments_in_the_corpus_trailers_have_english_names(data_dir):
    from ingest.units import parse_trailer

    counts: Counter[str] = Counter()
    for path in sorted(data_dir.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            trailer = parse_trailer(line.strip())
            if trailer:
                counts.update(u for u in trailer.units if u.startswith("市"))
    frequent = [unit for unit, n in counts.items() if n >= 3]
    assert len(frequent) >= 20
    assert [unit for unit in frequent if department_english(unit) is None] == []
    assert len(load_department_names()) >= 100


# --- places -------------------------------------------------------------------------------------------------


def names(text: str) -> list[str]:
    return [place.name for place in places_named(text)]


def test_places_named_finds_a_district_in_chinese_and_in_english():
    assert names("吴江区的纺织企业有什么补贴？") == ["吴江区"]
    assert names("What subsidies are there in Wujiang District?") == ["吴江区"]
    assert names("a factory in wujiang") == ["吴江区"]
    assert names("Does SIP support AI start-ups?") == ["苏州工业园区"]
    assert names("Suzhou New District (SND) policies") == ["虎丘区"]


def test_places_named_finds_short_forms_and_towns():
    assert names("我在昆山开了一家公司") == ["昆山市"]
    assert names("吴江盛泽镇") == ["吴江区", "盛泽镇"]
    assert names("木渎的老年人") == ["木渎镇"]


def test_places_named_finds_other_cities_in_both_languages():
    assert names("杭州对跨境电商有什么补贴") == ["杭州市"]
    assert names("Does Hangzhou give cross-border e-commerce subsidies?") == ["杭州市"]
    assert names("上海和南京的政策") == ["上海市", "南京市"]
    hangzhou = places_named("杭州")[0]
    assert not in_suzhou(hangzhou) and hangzhou.english[0] == "Hangzhou"


@pytest.mark.parametrize("text", ["Can we list on the Beijing Stock Exchange?", "上海证券交易所上市有奖励吗？",
                                  "他是南京大学的应届生", "从苏州北站打车", "店在南京路上"])
def test_a_place_name_beginning_an_institutions_or_streets_name_is_no_mention_of_the_place(text):
    assert places_named(text) == []


def test_suzhou_is_reported_once_for_suzhou_shi_and_not_inside_longer_names():
    assert names("苏州市的人才政策") == ["苏州市"]
    assert names("苏州市和苏州的政策") == ["苏州市"]
    assert names("苏州工业园区") == ["苏州工业园区"]
    assert names("苏州市吴江区") == ["苏州市", "吴江区"]


def test_english_place_names_match_whole_words_and_abbreviations_only_in_capitals():
    assert names("Wujiangxi Road") == []
    assert names("take a sip of tea") == []
    assert names("us and them") == []
    assert names("Suzhou") == ["苏州市"]  # 宿州 is "Suzhou, Anhui", not "Suzhou"


def test_a_district_of_a_big_city_near_suzhou_or_a_foreign_city_is_a_place_outside_suzhou():
    for text, name in (("萧山的企业有什么补贴？", "萧山区"), ("江宁区开公司要几天？", "江宁区"),
                       ("徐汇那边的政策", "徐汇区"), ("Our parent company is in Tokyo.", "东京")):
        found = places_named(text)
        assert [p.name for p in found] == [name] and not in_suzhou(found[0])
    assert names("西湖边的茶叶和钟楼") == []  # short forms that are common words name no district


def test_common_words_are_not_read_as_places():
    assert names("产业园区和高新区的企业") == []
    assert names("城南的一家工厂") == []


def test_gazetteers_are_consistent():
    suzhou = suzhou_places()
    assert {p.name for p in suzhou if p.level == "district"} == {"姑苏区", "虎丘区", "吴中区", "相城区", "吴江区"}
    assert {p.name for p in suzhou if p.level == "county_city"} == {"常熟市", "张家港市", "昆山市", "太仓市"}
    assert len([p for p in suzhou if p.level in ("town", "street")]) >= 80
    known = {p.name for p in (*suzhou, *other_places())}
    assert [p.name for p in (*suzhou, *other_places()) if p.parent and p.parent not in known] == []
    places_module._matcher()  # raises if one surface form names two places
    mudu = next(p for p in suzhou if p.name == "木渎镇")
    assert [p.name for p in ancestors(mudu)] == ["吴中区", "苏州市", "江苏省", "中国"]
    assert in_suzhou(mudu)


def test_absent_words_are_those_glossing_only_chinese_the_corpus_lacks():
    lines = [
        "產假 产假 [chan3 jia4] /maternity leave/",
        "幼兒園 幼儿园 [you4 er2 yuan2] /kindergarten/",
        "補貼 补贴 [bu3 tie1] /to subsidize/subsidy/allowance/",
        "津貼 津贴 [jin1 tie1] /allowance/",
        "托兒所 托儿所 [tuo1 er2 suo3] /nursery/",
    ]
    vocabulary = {"补贴": 9}
    absent = absent_words(lines, vocabulary, known={"nursery"})
    assert "kindergarten" in absent  # its only rendering is missing from the corpus
    assert "allowance" not in absent  # one of its renderings (补贴) is a corpus word
    assert "nursery" not in absent  # the term map knows it
    assert "maternity leave" not in absent  # phrases are the term map's business; only single words here


def test_a_reviewed_phrase_whose_chinese_the_corpus_lacks_is_an_absent_phrase():
    reviewed = {"Maternity leave": ["产假"], "residence permit": ["居住证", "暂住证"], "subsidy": ["补贴", "津贴"]}
    assert absent_phrases(reviewed, {"补贴": 9}) == ["maternity leave", "residence permit"]


def test_a_reviewed_phrase_the_corpus_says_in_its_words_own_terms_is_not_absent():
    reviewed = {"maternity leave": ["产假"], "residence permit": ["居住证"]}
    term_map = {"residence": Term(("住所", "居留"), "cedict"), "permit": Term(("许可",), "cedict"),
                "maternity": Term(("生育",), "cedict"), "leave": Term(("离开",), "cedict")}
    text = "为外籍人才办理居留许可提供便利。"
    assert absent_phrases(reviewed, {}, term_map, text) == ["maternity leave"]  # 居留许可: said in other words
    assert absent_phrases(reviewed, {}, term_map, "") == ["maternity leave", "residence permit"]


def test_the_reviewed_chinese_terms_the_corpus_lacks_are_listed_for_the_tokenizer():
    reviewed = {"maternity leave": ["产假"], "public rental housing": ["公租房", "租房"], "subsidy": ["补贴"]}
    assert absent_chinese(reviewed, {"补贴": 9, "租房": 3}) == ["产假", "公租房"]


def test_everyday_words_jieba_would_cut_and_the_corpus_lacks_are_listed_for_the_tokenizer():
    synonyms = {"开公司": ["企业开办"], "出租车": ["出租汽车"], "钱": ["资金"], "找哪个部门": ["责任单位"],
                "创新券": ["科技创新券"], "taxi": ["出租汽车"]}
    cut = {"开公司": ["开", "公司"], "出租车": ["出租车"], "钱": ["钱"], "找哪个部门": ["找", "哪个", "部门"],
           "创新券": ["创新", "券"]}.get
    text = "企业开办时间压缩至1个工作日。科技创新券可用于检验检测。"
    # 出租车 and 钱 are jieba's words already (raised, 钱 would win over 多少钱); 找哪个部门 asks; the corpus
    # uses 创新券, whose tokens must not change; an English key is no word for jieba.
    assert absent_everyday(synonyms, text, cut) == ["开公司"]


def test_a_measure_word_between_the_verb_and_thing_of_an_everyday_word_is_taken_out():
    assert "开店" in load_synonyms() and "开公司" in load_synonyms()  # the map's own words
    assert without_measure_words("想开家店，要办哪些手续？") == "想开店，要办哪些手续？"
    assert without_measure_words("明年想开一家店。") == "明年想开店。"
    assert without_measure_words("明天开个会再说。") == "明天开个会再说。"  # 开会 is no word of the map
    assert without_measure_words("这个公司在哪里？") == "这个公司在哪里？"
    assert without_measure_words("换了房能退个税吗？") == "换了房能退个税吗？"  # 个税 is a word: no measure word
