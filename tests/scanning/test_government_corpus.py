"""Ordinary government text must not raise alarms: no blocking and no personal-data finding."""

import pytest

from scanning.detectors import PERSONAL_DATA_KINDS
from scanning.engine import Scanner, WordList

AGENCY_PHONE = "0391-6172345"

TITLE = "温县住房和城乡建设局关于2023年度保障性住房工作情况的报告"

BODY = f"""
<p style="text-align:center"><strong>温县住房和城乡建设局文件</strong></p>
<p style="text-align:center">温建〔2024〕3号</p>
<p>各乡镇人民政府、县直有关单位：</p>
<p>&nbsp;&nbsp;根据《河南省住房和城乡建设厅关于做好2024年保障性安居工程工作的通知》
（豫建保〔2024〕12号）和《焦作市人民政府办公室关于印发焦作市保障性租赁住房管理办法的通知》
（焦政办[2023]45号）要求，现将我县2023年度保障性住房工作情况报告如下。</p>
<h2>一、总体情况</h2>
<p>2023年，全县共筹集保障性租赁住房1286套，完成年度目标任务的107.2%；发放租赁补贴3,562户，
累计发放补贴资金812.65万元；棚户区改造新开工2140套，基本建成1865套，完成投资4.37亿元，
同比增长12.5%。截至2023年12月31日，累计分配公租房15826套，分配率达98.6%。
2024-03-01起施行的新办法规定，申请家庭人均月收入低于20240301元标准的除外（笔误已更正）。</p>
<p>县财政安排专项资金12345678.90元，其中中央补助资金3000万元，省级补助￥1560000元，
县级配套人民币4785678.90元。资金拨付凭证号为第202403150001号。</p>
<h2>二、分乡镇统计</h2>
<table border="1">
<thead><tr><th>乡镇</th><th>2021年</th><th>2022年</th><th>2023年</th><th>增长率</th><th>资金（万元）</th></tr></thead>
<tbody>
<tr><td>温泉街道</td><td>1203</td><td>1356</td><td>1488</td><td>9.7%</td><td>4512.36</td></tr>
<tr><td>黄庄镇</td><td>856</td><td>902</td><td>977</td><td>8.3%</td><td>2356.12</td></tr>
<tr><td>武德镇</td><td>1024</td><td>1101</td><td>1190</td><td>8.1%</td><td>3125.5</td></tr>
<tr><td>合计</td><td>3083</td><td>3359</td><td>3655</td><td>8.8%</td><td>9993.98</td></tr>
</tbody>
</table>
<p>注：表中年份 2019 2020 2021 2022 2023 2024 为统计口径年度，统计时间为2024年1月15日 9:30。</p>
<h2>三、信息公开</h2>
<p>根据《中华人民共和国政府信息公开条例》第十四条、第十五条规定，涉及国家秘密、商业秘密、
个人隐私的政府信息不予公开；本报告经保密审查，不涉及国家秘密和工作秘密。
国家秘密的密级分为绝密、机密、秘密三级，工作人员应当保守工作秘密。</p>
<p>统一社会信用代码：11410825005412345X，邮政编码：454850，
网址：<a href="http://www.wenxian.gov.cn/art/2024/3/1/art_1229_6222021234567890128.html">
http://www.wenxian.gov.cn/art/2024/3/1/art_1229_6222021234567890128.html</a>。</p>
<p>联系人：县住建局办公室，联系电话：{AGENCY_PHONE}，（0391）6172345，传真：0391 6172345。
地址：温县黄河路188号，邮箱：zjj@wenxian.gov.cn。</p>
<p style="text-align:right">温县住房和城乡建设局<br>2024年3月1日</p>
"""

ATTACHMENT_TEXT = """附件1\t2023年度保障性住房资金分配表
序号\t项目名称\t资金（万元）\t文号
1\t公租房维修\t125.60\t温财〔2023〕56号
2\t棚改配套\t13912345678.00\t温财〔2023〕78号
3\t租赁补贴\t¥ 6222021234567890128\t第20230615000123号
合计\t\t5000\t2023年12月31日
"""


@pytest.fixture
def scanner():
    return Scanner([WordList("提示", "warning", ("保障性住房",))],
                   public_numbers=[AGENCY_PHONE, "zjj@wenxian.gov.cn"])


def test_government_report_has_no_blocking_and_no_personal_data(scanner):
    result = scanner.scan(title=TITLE, body_html=BODY,
                          attachments=[("资金分配表.txt", ATTACHMENT_TEXT.encode("utf-8"))])
    assert result.unscanned == []
    assert [f for f in result.findings if f.severity == "blocking"] == []
    assert [f for f in result.findings if f.kind in PERSONAL_DATA_KINDS] == []
    # the configured word is still found, so the scan did run over all three fields
    assert {f.field for f in result.findings} == {"title", "body", "attachment:资金分配表.txt"}


def test_the_agency_phone_is_reported_when_it_is_not_declared_public():
    found = Scanner().scan_html(BODY)
    assert [f.text for f in found if f.kind == "landline"] == [
        AGENCY_PHONE, "（0391）6172345", "0391 6172345"]
