"""The API's JSON: DRF's text, written by orjson.

DRF's renderer hands every id and date-time to a Python `default()` one value at a time; on a page of fifty
incidents that costs about as much as a query. orjson writes the same compact UTF-8 text in C. What orjson would
write in its own way is left to DRF: date-times, dates and times go through DRF's encoder (its `Z` for UTC), and
whatever orjson cannot write (an integer beyond 64 bits, a key that is not a string, an object only DRF's
encoder knows) or a request for indented output falls back to DRF's renderer whole. Floats keep their value,
in orjson's shortest form (1e16 rather than 1e+16), and a NaN, which DRF refuses, is written as null.
"""

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_ENCODER = JSONEncoder()
# Date-times and dataclasses go to DRF's encoder (orjson would write them in its own way, or where DRF refuses).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# Valid JSON, but line ends in JavaScript: DRF escapes them, and so does this.
_LINE_SEPARATORS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or not (self.compact and self.strict and not self.ensure_ascii)
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        for separator, escaped in _LINE_SEPARATORS:
            if separator in text:
                text = text.replace(separator, escaped)
        return text
