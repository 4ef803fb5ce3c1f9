"""The OpenAPI schema says what every operation can answer, errors included.

drf-spectacular describes the success of each operation from its serializers. What the API does
on failure is the same everywhere (core.api.exception_handler), so it is added here once:

- 400 with field errors: any operation that takes a body or query parameters;
- 401: every operation (a missing, wrong, expired or revoked token answers 401 even where reading
  is public);
- 403: every operation (the role may not do this; a session without its CSRF token);
- 404: any operation with an id in its path (also what a non-party gets), and a page past the
  last one of a list;
- 409: every write (the object is not in a state that allows it);
- 422: any operation that takes an Idempotency-Key (the key was used with another request);
- 429: every operation (rate limits).

Request bodies refuse keys they do not know, so their components say `additionalProperties: false`.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True, help_text="What went wrong, in a sentence a person can read.")


class FieldErrorsSerializer(serializers.Serializer):
    """Field name → list of messages (nested for lists of objects); `detail` or `non_field_errors`
    for what concerns the whole request."""

    class Meta:
        ref_name = "FieldErrors"


WRITES = ("POST", "PUT", "PATCH", "DELETE")

DESCRIPTIONS = {
    "400": "The input is not valid; nothing changed.",
    "401": "No valid credentials (missing, wrong, expired or revoked token).",
    "403": "You may not do this (your role, or a session without its CSRF token).",
    "404": "No such object, or it is not yours to see (on a list: no such page).",
    "409": "The object is not in a state that allows this; nothing changed.",
    "422": "This Idempotency-Key was already used with a different request; nothing changed.",
    "429": "Too many requests; try again after the time in Retry-After.",
}


class ProofworkAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "429"]
        parameters = self._get_parameters()
        takes_input = self.method in ("POST", "PUT", "PATCH") or any(p.get("in") == "query" for p in parameters)
        if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
            codes.append("422")
        if takes_input:
            codes.append("400")
        if "{" in self.path or (self.method == "GET" and self._is_list_view() and self._get_paginator()):
            codes.append("404")
        if self.method in WRITES:
            codes.append("409")
        for code in sorted(codes):
            if code in responses:
                continue
            body = FieldErrorsSerializer if code == "400" else ErrorSerializer
            response = self._get_response_for_code(body, code, direction=direction)
            response["description"] = DESCRIPTIONS[code]
            responses[code] = response
        return responses


class SingleObjectSchema(ProofworkAutoSchema):
    """For a router `list` route that answers one object (a balance, a person's figures), not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


def field_errors_schema(result, generator, request, public):
    """Postprocessing hook: the 400 body is an object of messages, and request bodies are closed."""
    components = result.get("components", {}).get("schemas", {})
    if "FieldErrors" in components:
        components["FieldErrors"] = {
            "type": "object",
            "description": FieldErrorsSerializer.__doc__.strip().replace("\n    ", " "),
            "additionalProperties": {},
        }
    for name, schema in components.items():
        if name.endswith("Request") and schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)
    return result
