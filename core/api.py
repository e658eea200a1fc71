"""API-wide error handling: service errors become clean 4xx responses, and so do requests
that fail before any view runs (no route, a body too large)."""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import UnsupportedMediaType, ValidationError
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
    response = drf_exception_handler(exc, context)
    if isinstance(exc, ValidationError) and response is not None:
        response.data = _with_detail(response.data)
    return response


def _with_detail(errors) -> dict:
    """Field errors keep their shape, with a `detail` message in front like every other
    error answer: the first message found."""
    if not isinstance(errors, dict):
        errors = {"non_field_errors": errors}
    if "detail" not in errors:
        errors = {"detail": _first_message(errors) or _("请求有误。"), **errors}
    return errors


def _first_message(value) -> str:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _first_message(item)
            if found:
                return found
        return ""
    return str(value)


# --- errors raised before a view runs (no route, a bad request), for API paths ------------

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _json_error(message, status_code) -> JsonResponse:
    return JsonResponse({"detail": str(message)}, status=status_code,
                        json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception):
    """400 outside a DRF view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields):
    JSON with a message on API paths, the site's page elsewhere."""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return _json_error(_("请求过大：请减少正文或附件的大小后重试。"), 400)
        return _json_error(_("请求无法处理：请检查参数中是否含有不允许的字符。"), 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return _json_error(_("您没有执行该操作的权限。"), 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    """404 for a path no route matches (e.g. /api/v1/tasks/abc/approve/: ids are numbers)."""
    if _is_api(request):
        return _json_error(_("未找到。"), 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return _json_error(_("服务器内部错误，请稍后重试。"), 500)
    return defaults.server_error(request)
