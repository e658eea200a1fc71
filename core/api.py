"""API-wide error handling: service errors become clean 4xx responses."""

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from viewflow.workflow.exceptions import FlowLockFailed

from .errors import ServiceError


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        body = {"detail": exc.message}
        body.update(exc.fields)
        return Response(body, status=exc.status_code)
    if isinstance(exc, FlowLockFailed):
        return Response({"detail": _("已由他人处理，请刷新后重试。")},
                        status=status.HTTP_409_CONFLICT)
    if isinstance(exc, UnsupportedMediaType):
        # The contract answers every malformed request with 400 and a message.
        message = _("不支持的请求格式：请以 JSON（附件上传用 multipart/form-data）提交。")
        return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
