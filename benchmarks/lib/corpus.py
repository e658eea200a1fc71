"""Generated agency prose for the pre-scan benchmark (seeded, so runs are comparable).

Paragraphs of the kind a county agency publishes (document numbers such as 温政办〔2023〕12号,
dates, amounts in 元/万元, percentages, tab-separated statistics tables), a personal record
(ID, mobile, card, e-mail, or an already masked ID) about every 2 KB and an occasional
secrecy marking; and a dictionary half built from the characters the corpus uses, so that
partial and real matches are frequent (a pessimistic case for the automaton).
"""

import random

from scanning.detectors import id_check_char, luhn_ok

OPENINGS = ["根据", "按照", "为进一步", "为认真贯彻落实", "经研究决定，", "现将有关事项通知如下：",
            "各乡镇人民政府、街道办事处，县直各单位：", "截至目前，", "同时，", "下一步，"]
SUBJECTS = ["全县住房保障工作", "城镇老旧小区改造", "保障性租赁住房建设", "农村危房改造",
            "政府信息公开工作", "安全生产专项整治", "城乡居民医疗保险", "最低生活保障",
            "耕地保护和土地整治", "营商环境优化", "河湖长制工作", "义务教育阶段学生资助",
            "公共租赁住房分配", "棚户区改造项目", "燃气安全隐患排查", "高标准农田建设"]
VERBS = ["加强", "做好", "推进", "落实", "规范", "完善", "统筹", "强化", "深化", "扎实开展"]
TAILS = ["各项工作取得明显成效", "确保资金安全规范使用", "切实维护群众合法权益",
         "严格执行相关政策规定", "按时完成年度目标任务", "形成长效管理机制",
         "接受社会监督", "做到应公开尽公开", "压实属地管理责任", "提升群众满意度"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
REAL_WORDS = ["拆迁补偿明细", "信访人", "举报人", "低保户名单", "未成年人", "病历",
              "家庭住址", "银行账户", "犯罪记录", "残疾等级", "涉案人员", "内部价格"]


def id_number(rnd: random.Random) -> str:
    body = (rnd.choice(["11", "35", "41", "44", "51", "62"]) + f"{rnd.randint(0, 9999):04d}"
            + f"{rnd.randint(1940, 2010)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}"
            + f"{rnd.randint(0, 999):03d}")
    return body + id_check_char(body)


def card_number(rnd: random.Random) -> str:
    body = "62" + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(14, 16)))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def personal_record(rnd: random.Random) -> str:
    name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(["", rnd.choice(GIVEN)])
    mobile = "1" + rnd.choice("3456789") + "".join(rnd.choice("0123456789") for _ in range(9))
    return rnd.choice([
        f"申请人{name}，身份证号{id_number(rnd)}，联系电话{mobile}。",
        f"{name}\t{id_number(rnd)}\t{mobile}\t{rnd.randint(100, 3000)}元",
        f"补贴发放至{name}的银行卡{card_number(rnd)}。",
        f"联系人：{name}，手机 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}，邮箱 "
        f"user{rnd.randint(1, 999)}@example.com。",
        f"{name}（身份证号{id_number(rnd)[:2]}{'*' * 13}{rnd.randint(100, 999)}）",
    ])


def sentence(rnd: random.Random) -> str:
    parts = [rnd.choice(OPENINGS), rnd.choice(VERBS), rnd.choice(SUBJECTS), "，"]
    extra = rnd.random()
    if extra < 0.25:
        parts.append(f"全年完成投资{rnd.randint(100, 99999)}.{rnd.randint(0, 99):02d}万元，"
                     f"同比增长{rnd.randint(1, 30)}.{rnd.randint(0, 9)}%，")
    elif extra < 0.45:
        year = rnd.randint(2019, 2024)
        parts.append(f"于{year}年{rnd.randint(1, 12)}月{rnd.randint(1, 28)}日印发"
                     f"《关于{rnd.choice(SUBJECTS)}的通知》"
                     f"（温政办〔{year}〕{rnd.randint(1, 120)}号），")
    elif extra < 0.55:
        parts.append(f"共涉及{rnd.randint(1, 9999)}户{rnd.randint(1, 30000)}人，"
                     f"发放资金￥{rnd.randint(1000, 9999999)}.00，")
    elif extra < 0.6:
        parts.append("涉及国家秘密、商业秘密、个人隐私的信息依法不予公开，")
    parts.append(rnd.choice(TAILS))
    parts.append(rnd.choice(["。", "；", "。", "。"]))
    return "".join(parts)


def table(rnd: random.Random) -> str:
    rows = ["乡镇\t2021年\t2022年\t2023年\t增长率\t资金（万元）"]
    for _ in range(rnd.randint(3, 12)):
        rows.append("\t".join([rnd.choice(SURNAMES) + "庄镇"]
                              + [str(rnd.randint(100, 5000)) for _ in range(3)]
                              + [f"{rnd.randint(1, 20)}.{rnd.randint(0, 9)}%",
                                 f"{rnd.randint(10, 9999)}.{rnd.randint(0, 99):02d}"]))
    return "\n".join(rows)


def document(rnd: random.Random, size_bytes: int, *, personal_every: int = 2000) -> str:
    """Paragraphs of agency prose and statistics, a personal record every ~2 KB."""
    paragraphs, size, since_personal = [], 0, 0
    while size < size_bytes:
        roll = rnd.random()
        if roll < 0.1:
            para = table(rnd)
        else:
            para = "".join(sentence(rnd) for _ in range(rnd.randint(2, 6)))
            if roll > 0.995:
                para = rnd.choice(["秘密★1年\n", "内部资料 注意保密\n"]) + para
            if rnd.random() < 0.05:
                para += rnd.choice(REAL_WORDS)
        if since_personal >= personal_every:
            para += personal_record(rnd)
            since_personal = 0
        n = len(para.encode("utf-8")) + 1
        size += n
        since_personal += n
        paragraphs.append(para)
    return "\n".join(paragraphs)


def as_html(text: str) -> str:
    out = []
    for para in text.split("\n"):
        if "\t" in para:
            cells = "".join(f"<td>{c}</td>" for c in para.split("\t"))
            out.append(f"<table><tr>{cells}</tr></table>")
        else:
            out.append(f'<p style="text-indent:2em">{para.replace("&", "&amp;")}</p>')
    return "\n".join(out)


def dictionary(rnd: random.Random, size: int, corpus: str) -> list[str]:
    """Words over the characters the corpus uses (so partial matches are frequent) and
    over common CJK, plus real sensitive words that do occur."""
    corpus_chars = sorted(set(c for c in corpus if "\u4e00" <= c <= "\u9fa5"))
    common = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]
    words = set(REAL_WORDS)
    while len(words) < size:
        pool = corpus_chars if rnd.random() < 0.5 else common
        words.add("".join(rnd.choice(pool) for _ in range(rnd.randint(2, 5))))
    return sorted(words)


def item(rnd: random.Random, size_bytes: int = 50_000) -> tuple[str, str, str]:
    """(title, HTML body, extracted attachment text) of about `size_bytes` in UTF-8."""
    body = as_html(document(rnd, 22_000))
    attachment = document(rnd, size_bytes - len(body.encode("utf-8")) - 100)
    return f"关于{rnd.choice(SUBJECTS)}情况的公示", body, attachment
