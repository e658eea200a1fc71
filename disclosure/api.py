"""GET /api/v1/statistics/?agency=CODE&year=YYYY — the figures of one agency-year."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound

from .selectors import agency_year_statistics, readable_agency

MIN_YEAR, MAX_YEAR = 2000, 2100


class StatisticsQuerySerializer(serializers.Serializer):
    agency = serializers.SlugField(max_length=64, help_text="机关代码，如 wenxian_housing")
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, help_text="统计年度")


class DocumentCountsSerializer(serializers.Serializer):
    issued = serializers.IntegerField(help_text="本年制发件数")
    abolished = serializers.IntegerField(help_text="本年废止件数")
    in_force = serializers.IntegerField(help_text="现行有效件数（年末）")


class Table2Serializer(serializers.Serializer):
    rules = DocumentCountsSerializer(help_text="规章")
    normative_documents = DocumentCountsSerializer(help_text="行政规范性文件")
    licensing = serializers.IntegerField(help_text="行政许可本年处理决定数量")
    penalties = serializers.IntegerField(help_text="行政处罚本年处理决定数量")
    enforcement = serializers.IntegerField(help_text="行政强制本年处理决定数量")
    fees_wan_yuan = serializers.FloatField(
        help_text="行政事业性收费本年收费金额（万元，四舍五入保留两位小数）")


class TimelinessSerializer(serializers.Serializer):
    released = serializers.IntegerField(help_text="本年首次发布的信息条数")
    on_time = serializers.IntegerField(help_text="在形成之日起 20 个工作日内发布")
    late = serializers.IntegerField(help_text="超过 20 个工作日发布")
    unknown = serializers.IntegerField(help_text="期限超出已录入的节假日数据，无法判定")


class StatisticsSerializer(serializers.Serializer):
    agency = serializers.CharField()
    year = serializers.IntegerField()
    released_by_channel = serializers.DictField(child=serializers.IntegerField(),
                                                help_text="渠道代码 → 本年在该渠道发布的信息条数")
    table2 = Table2Serializer()
    timeliness = TimelinessSerializer()
    retracted = serializers.IntegerField(help_text="本年发布后被撤稿的信息条数")
    monthly = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()),
                                    help_text="渠道代码 → 1–12 月发布条数")


class StatisticsView(APIView):
    """Active-disclosure statistics of one agency and year, from released items only."""

    @extend_schema(parameters=[StatisticsQuerySerializer], responses=StatisticsSerializer)
    def get(self, request):
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        agency = readable_agency(user=request.user, code=query.validated_data["agency"])
        if agency is None:
            raise NotFound(_("未找到该机关。"))
        statistics = agency_year_statistics(agency=agency, year=query.validated_data["year"])
        return Response(statistics.as_api())
