"""The one JSON parser of every API route (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES).

Python's json module parses what no client of ours sends and what our storage
cannot keep: nesting deep enough to exhaust the interpreter's stack, NaN and
Infinity, numbers that overflow to infinity, lone UTF-16 surrogates (which
cannot be encoded as UTF-8 for the database, the cache key or the log) and NUL
characters (which PostgreSQL refuses in text). Each is a 400 here, before a
view, a throttle or a serializer sees the data.
"""

import json
import math

from django.conf import settings
from rest_framework import exceptions, parsers, status
from rest_framework.exceptions import ParseError


class RequestTooLarge(exceptions.APIException):
    # Not imported from api.exceptions: DRF imports this module while rest_framework.views is half loaded.
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this API accepts."
    default_code = "request_too_large"


# Far deeper than any body of this API ({"attendance": [{"person": …}]} is 3 deep).
MAX_DEPTH = 32


def _refuse_constant(name):
    raise ParseError(f"JSON parse error - {name} is not a JSON number.")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ParseError(f"JSON parse error - {text} is too large a number.")
    return value


def _check_text(value):
    if "\x00" in value:
        raise ParseError("JSON parse error - text may not contain the NUL character (\\u0000).")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError("JSON parse error - text may not contain a lone UTF-16 surrogate such as \\ud800.")


def check_value(data):
    """Refuse nesting deeper than MAX_DEPTH and text the database cannot store, without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.")
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        # DRF hands JSON parsers request.body, which Django bounds by DATA_UPLOAD_MAX_MEMORY_SIZE when the
        # request states its length; a stream without one is bounded here.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not {encoding} text: {exc}.")
        try:
            data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.")
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}")
        check_value(data)
        return data
