"""What drf-spectacular cannot infer about this API, added to the served schema.

- Every error answer is documented: the API answers malformed input 400, a missing or
  expired login 401, a refused action 403, an object the person may not see 404 and a state
  that forbids the action 409, always as JSON `{"detail": "…", <field>: ["…"]}`
  (`core.api`). Documented on every operation, so a client (and schemathesis) knows them
  (401 and 403 not on the anonymous ones).
- Path ids are integers: the routes take digits only (`core.routers.IdRouter` and
  `<int:…>` paths), which the action routes' generated parameters do not say.
"""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": True,
    "description": "错误说明；字段错误时另有以字段名为键的说明（列表，嵌套字段为对象）",
}
ERROR_STATUSES = {
    "400": "请求格式或字段有误",
    "401": "未登录或令牌无效",
    "403": "无权执行该操作",
    "404": "对象不存在或无权查看",
    "409": "当前状态不允许该操作",
}
ID_NAMES = {"id", "pk"}


def _is_id(name: str) -> bool:
    return name in ID_NAMES or name.endswith("_id")


def document_errors_and_ids(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            # an operation open to anyone (no `security`: the public application form's API)
            # answers neither 401 nor 403
            anonymous = not operation.get("security")
            for code, description in ERROR_STATUSES.items():
                if anonymous and code in ("401", "403"):
                    continue
                operation["responses"].setdefault(code, {
                    "description": description,
                    "content": {"application/json": {"schema": reference}}})
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and _is_id(parameter.get("name", "")):
                    parameter["schema"] = {"type": "integer", "minimum": 0}
    return result
