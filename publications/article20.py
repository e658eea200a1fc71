"""What each item of Art. 20 of the 政府信息公开条例 (2019) covers, and which of them carry
the figures of table 二 of the annual report.

`publications.models.ARTICLE20_ITEMS` gives only the number (第（n）项); a drafter choosing
an item and a visitor browsing by item need to know what it is about.

Table 二 counts documents (规章, 行政规范性文件) under item (1), licensing decisions under
(5), penalties and enforcement under (6) and fees under (8); the drafter's form offers each
of those fields with its item only.
"""

from django.utils.translation import gettext_lazy as _

from .models import DecisionType

TOPICS = {
    1: _("行政法规、规章和规范性文件"),
    2: _("机关职能、机构设置、办公地址、办公时间、联系方式、负责人姓名"),
    3: _("国民经济和社会发展规划、专项规划、区域规划及相关政策"),
    4: _("国民经济和社会发展统计信息"),
    5: _("办理行政许可和其他对外管理服务事项的依据、条件、程序以及办理结果"),
    6: _("实施行政处罚、行政强制的依据、条件、程序以及具有一定社会影响的行政处罚决定"),
    7: _("财政预算、决算信息"),
    8: _("行政事业性收费项目及其依据、标准"),
    9: _("政府集中采购项目的目录、标准及实施情况"),
    10: _("重大建设项目的批准和实施情况"),
    11: _("扶贫、教育、医疗、社会保障、促进就业等方面的政策、措施及其实施情况"),
    12: _("突发公共事件的应急预案、预警信息及应对情况"),
    13: _("环境保护、公共卫生、安全生产、食品药品、产品质量的监督检查情况"),
    14: _("公务员招考的职位、名额、报考条件等事项以及录用结果"),
    15: _("法律、法规、规章和国家有关规定规定应当主动公开的其他政府信息"),
}

# The item whose documents table 二 counts (规章, 行政规范性文件: issued, abolished, in force).
DOCUMENT_ITEM = 1
# The decision types table 二 counts under each item.
DECISION_TYPES_BY_ITEM = {
    5: (DecisionType.LICENSING,),
    6: (DecisionType.PENALTY, DecisionType.ENFORCEMENT),
}
# The item whose fees table 二 sums (行政事业性收费, 万元).
FEE_ITEM = 8
