"""The API's JSON parser: only JSON that every serializer and the JSON renderer can handle gets past
it. Deep nesting, lone UTF-16 surrogates and numbers that are not finite are a 400 here, for every
endpoint at once, instead of a RecursionError, UnicodeEncodeError or OverflowError further in."""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request body of this API nests deeper than a few levels; 32 leaves room and stays far below
# Python's recursion limit in the decoder, the serializers and the renderer.
MAX_JSON_DEPTH = 32

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_DEPTH_STEP = str.maketrans({"[": "+", "{": "+", "]": "-", "}": "-"})
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _too_deep(text: str) -> bool:
    """Whether brackets outside strings nest deeper than MAX_JSON_DEPTH; counted without recursion."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_DEPTH_STEP)
    return any(depth > MAX_JSON_DEPTH for depth in accumulate(1 if step == "+" else -1 for step in brackets))


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("numbers must be finite")
    return number


def _has_lone_surrogate(data) -> bool:
    """Whether any key or string holds half of a UTF-16 surrogate pair (which no text encoding can
    write back). Walks without recursion; the depth is already bounded."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise ParseError("JSON parse error - the body is not valid UTF-8 text.") from error
        if _too_deep(text):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        try:
            data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except (ValueError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {error}") from error
        if _has_lone_surrogate(data):
            raise ParseError("JSON parse error - the text holds an unpaired UTF-16 surrogate (\\ud800-\\udfff).")
        return data
