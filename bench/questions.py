"""The questions timed: the golden dev set when it exists, else a fixed list in the corpus's subject areas."""

from __future__ import annotations

from pathlib import Path

from settings import ROOT

GOLDEN_DEV = ROOT / "eval" / "golden" / "dev.jsonl"

CHAT = [
    "燃气经营企业未按规定进行安全检查的，怎么处罚？",
    "出租汽车驾驶员拒载会受到什么处理？",
    "苏州市人才落户需要什么条件？",
    "对新认定的专精特新小巨人企业有什么奖励？",
    "跨境电商企业建设海外仓有补贴吗？",
    "科技创新券可以用来购买哪些服务？",
    "具身智能机器人企业能获得哪些支持？",
    "工业设计中心认定后奖励多少？",
    "软件企业首次进入百强有什么奖励？",
    "企业上市有哪些奖励政策？",
    "建筑施工企业安全生产许可证被暂扣怎么办？",
    "银发经济有哪些扶持措施？",
    "行政审批告知承诺制适用哪些事项？",
    "What subsidies exist for cross-border e-commerce in Suzhou?",
    "数据产业发展有什么政策？",
    "网上中介服务超市如何入驻？",
]
HOTLINE = [
    "市民张先生来电（电话13912345678）：我在姑苏区开了一家小微企业，想问现在有没有房租减免或者贷款贴息的政策？",
    "来电人反映：家里老人想了解苏州银发经济有哪些服务补贴，另外想问养老机构建设有没有奖励。",
    "王女士，身份证320502199001011234，询问大学毕业后落户苏州需要什么材料，能否先落户后就业？",
    "企业咨询：我们是一家跨境电商公司，准备在海外建仓，请问苏州有什么补贴，找哪个部门申请？",
    "出租车司机来电：网约车平台抽成太高，市里有没有规定？另外出租车营运证怎么办理？",
    "市民投诉小区燃气管道老化漏气，燃气公司不来维修，请问谁来管？",
]


def timing_questions() -> tuple[list[str], list[str]]:
    """(chat questions, hotline messages) to time; the golden dev set's own when available."""
    if not Path(GOLDEN_DEV).is_file():
        return CHAT, HOTLINE
    from eval.golden import load_golden

    items = load_golden(GOLDEN_DEV)
    chat = [i.question for i in items if i.mode == "chat"] or CHAT
    hotline = [i.question for i in items if i.mode == "hotline"] or HOTLINE
    return chat, hotline
