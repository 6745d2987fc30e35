"""Documents a question names in 《》: which titles of the library a shortened name stands for, and which it does not hold."""

from rag.lookup import titles_meant, unheld_titles


TITLES = ["苏州市燃气管理办法", "苏州市人才落户管理办法", "苏州市智能车联网发展促进条例"]


def test_a_shortened_title_means_the_titles_holding_its_characters_in_order():
    assert titles_meant("燃气办法", TITLES) == ["苏州市燃气管理办法"]
    assert titles_meant("车联网条例", TITLES) == ["苏州市智能车联网发展促进条例"]
    assert titles_meant("甲乙促进条例", TITLES) == []


def test_a_document_named_in_book_title_marks_that_no_title_stands_for_is_unheld():
    assert unheld_titles("按《中华人民共和国公司法》，注册资本最低多少？", TITLES) == ["中华人民共和国公司法"]
    assert unheld_titles("《燃气办法》第五条怎么规定？", TITLES) == []
    assert unheld_titles("《人才落户办法》和《公司法》有什么关系？", TITLES) == ["公司法"]
    assert unheld_titles("《苏州市燃气管理条例》第五条怎么规定？", TITLES) == []  # misnamed: a distinctive stretch shared
    assert unheld_titles("《苏州日报》说补贴翻倍了，真的吗？", TITLES) == []  # a newspaper is no policy document
