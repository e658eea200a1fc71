# TEMP STUB (helper's version replaces)
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    DISCLOSED = "disclosed", _("予以公开")
    PARTLY_DISCLOSED = "partly_disclosed", _("部分公开")
    WITHHELD_STATE_SECRET = "withheld_state_secret", _("属于国家秘密")
    WITHHELD_PROHIBITED_BY_LAW = "withheld_prohibited_by_law", _("其他法律行政法规禁止公开")
    WITHHELD_THREE_SECURITIES = "withheld_three_securities", _("危及“三安全一稳定”")
    WITHHELD_THIRD_PARTY = "withheld_third_party", _("保护第三方合法权益")
    WITHHELD_INTERNAL_AFFAIRS = "withheld_internal_affairs", _("属于三类内部事务信息")
    WITHHELD_PROCESS_INFO = "withheld_process_info", _("属于四类过程性信息")
    WITHHELD_ENFORCEMENT_FILE = "withheld_enforcement_file", _("属于行政执法案卷")
    WITHHELD_QUERY_MATTER = "withheld_query_matter", _("属于行政查询事项")
    UNABLE_NOT_HELD = "unable_not_held", _("本机关不掌握相关政府信息")
    UNABLE_NEEDS_CREATION = "unable_needs_creation", _("没有现成信息需要另行制作")
    UNABLE_UNCLEAR = "unable_unclear", _("补正后申请内容仍不明确")
    NOT_PROCESSED_PETITION = "not_processed_petition", _("信访举报投诉类申请")
    NOT_PROCESSED_REPEAT = "not_processed_repeat", _("重复申请")
    NOT_PROCESSED_PUBLICATION = "not_processed_publication", _("要求提供公开出版物")
    NOT_PROCESSED_EXCESSIVE = "not_processed_excessive", _("无正当理由大量反复申请")
    NOT_PROCESSED_CONFIRMATION = "not_processed_confirmation", _("要求行政机关确认或重新出具已获取信息")
    OTHER_NO_CORRECTION = "other_no_correction", _("申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请")
    OTHER_NO_FEE = "other_no_fee", _("申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请")
    OTHER = "other", _("其他")
