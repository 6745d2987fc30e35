"""Two small policies (an outline measures document and an article regulation) for tests that need a real
corpus folder to ingest but not the bundled one."""

GRANT_MEASURES = """苏州市促进青年人才安居若干措施

为吸引青年人才来苏就业创业，结合本市实际，制定以下措施。

一、发放安居补贴。对新引进的全日制本科毕业生，每月发放租房补贴800元，最长3年。（责任单位：市人社局）

二、支持首次购房。青年人才在本市首次购买自住住房的，给予购房款1%的补贴，最高5万元。（责任单位：市住建局）

本措施自2025年1月1日起施行，有效期至2027年12月31日。
"""

WASTE_REGULATION = """苏州市生活垃圾分类管理办法

第一条 为加强生活垃圾分类管理，改善人居环境，制定本办法。

第二条 生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类。

第三条 单位和个人未按规定分类投放生活垃圾的，由城市管理部门责令改正，可处二百元以下罚款。

第四条 本办法自2025年5月1日起施行。
"""
