"""Server-side sanitising of item bodies (nh3).

nh3's default allow-list (tables with colspan/rowspan included) plus, for
content pasted or imported from Word/WPS, a ``style`` attribute on block
elements that keeps only ``text-align`` and ``text-indent`` with validated
values. Everything else (script, event handlers, javascript: URLs, other
CSS properties, classes) is still stripped.
"""

import re

import nh3

_STYLED_TAGS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th",
                "blockquote")
_ALIGN = {"left", "right", "center", "justify", "start", "end"}
_INDENT = re.compile(r"^-?\d{1,3}(?:\.\d{1,3})?(?:em|px|pt|%|rem|ch)$|^0$")
_SPAN = re.compile(r"^[1-9]\d?$")  # colspan/rowspan 1..99

_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag in _STYLED_TAGS:
    _ATTRIBUTES.setdefault(_tag, set()).add("style")


def _clean_style(value: str) -> str | None:
    kept = []
    for declaration in value.split(";"):
        name, sep, val = declaration.partition(":")
        if not sep:
            continue
        name, val = name.strip().lower(), val.strip().lower()
        if name == "text-align" and val in _ALIGN:
            kept.append(f"text-align:{val}")
        elif name == "text-indent" and _INDENT.match(val):
            kept.append(f"text-indent:{val}")
    return ";".join(kept) or None


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "style":
        return _clean_style(value)
    if attr in ("colspan", "rowspan") and tag in ("td", "th"):
        return value.strip() if _SPAN.match(value.strip()) else None
    return value


def sanitise_html(body: str) -> str:
    return nh3.clean(body or "", attributes=_ATTRIBUTES, attribute_filter=_attribute_filter,
                     filter_style_properties={"text-align", "text-indent"})
