"""API fields and shapes every app's serializers share: whole-cent money, refusing fields that
cannot be set, a person as another person sees them, and input checked in one call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from operator import attrgetter

from django.db import models
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.relations import MANY_RELATION_KWARGS, ManyRelatedField

# The largest value a 64-bit column holds: anything bigger is refused here, not by the database.
MAX_BIGINT = 2**63 - 1


class CentsField(serializers.IntegerField):
    """Money in whole minor units. 12.5, "12.5", 12.0 and true are refused rather than rounded."""

    default_error_messages = {
        "not_whole": "Send whole cents as an integer, e.g. 12550 for $125.50.",
        "max_value": "That amount is too large for any budget or bid here.",
    }
    _DIGITS = re.compile(r"[0-9]{1,30}")

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_BIGINT)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("not_whole")
        if isinstance(data, str) and self._DIGITS.fullmatch(data.strip()):
            data = int(data.strip())  # query strings and form posts carry text; digits only, so no "1e3"
        if not isinstance(data, int):
            self.fail("not_whole")
        return super().to_internal_value(data)


class PositiveCentsField(CentsField):
    """A payment in whole minor units: above zero."""

    default_error_messages = {
        "min_value": "Enter an amount above zero (in whole cents).",
        "max_value": "That amount is too large for any payment here.",
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class StrictIntegerField(serializers.IntegerField):
    """A whole number as JSON sends it, or ASCII digits as a form post sends them. 1.5, "1.5", 1.0,
    true, 1e400 and other scripts' digits ("١٤") are refused rather than rounded or read as ASCII."""

    _DIGITS = re.compile(r"[-+]?[0-9]{1,30}")

    def to_internal_value(self, data):
        if isinstance(data, str) and self._DIGITS.fullmatch(data.strip()):
            data = int(data.strip())
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictManyRelatedField(ManyRelatedField):
    """A list of ids: a JSON array (or repeated form keys), never an object or a string."""

    def to_internal_value(self, data):
        if not isinstance(data, list | tuple):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An object by its id: a whole number (or ASCII digits in a form post) in the id range. 1.5,
    "1.5", 1e400, true and "١٤" are refused; a number past any id is simply not found."""

    _DIGITS = re.compile(r"[0-9]{1,30}")

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update((key, value) for key, value in kwargs.items() if key in MANY_RELATION_KWARGS)
        return StrictManyRelatedField(**list_kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and self._DIGITS.fullmatch(data.strip()):
            data = int(data.strip())
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= MAX_BIGINT:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


_INTEGER_MODEL_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


def sent_blank(serializer, data) -> list[str]:
    """Fields of a form, multipart or query body sent as an empty string that may not be blank (DRF
    would read them as left out, so an optional one would pass unnoticed)."""
    return [
        name
        for name, field in serializer.fields.items()
        if not field.read_only
        and name in data
        and data.get(name) == ""
        and not getattr(field, "allow_blank", False)
        and not getattr(field, "allow_null", False)
        and not isinstance(field, (serializers.FileField, serializers.ListField, serializers.ManyRelatedField))
    ]


class RejectUnknownFieldsMixin:
    """What every serializer that accepts a write shares.

    - Fields the caller may not set (status, client, published_at…, and read-only ones) are refused
      instead of dropped silently, so a client that tries never believes it worked.
    - A nested object is checked whole even when the request is a PATCH: partial applies to the
      top-level fields sent, never to the parts of one milestone or answer.
    - Model fields map to the strict integer and id fields above.
    - In JSON, a text field takes a string: 0, true or a list is refused, not turned into "0".
    - In a form or multipart body, a field sent empty is refused unless it may be blank (DRF would
      otherwise read it as left out, and the schema's minimum length would not hold)."""

    protected_messages: dict[str, str] = {}

    serializer_related_field = StrictPrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **dict.fromkeys(_INTEGER_MODEL_FIELDS, StrictIntegerField),
    }

    def run_validation(self, data=empty):
        root = self.root
        if data is not empty and root is not self and getattr(root, "partial", False):
            kwargs = {**self._kwargs, "context": self.context}
            kwargs.pop("data", None)
            kwargs.pop("partial", None)
            return type(self)(*self._args, **kwargs).run_validation(data)  # unbound: its own root, not partial
        return super().run_validation(data)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [self.protected_messages.get(name, "This field cannot be set here.")] for name in unknown}
                )
        errors = {}
        if isinstance(data, Mapping) and not hasattr(data, "getlist"):  # JSON: text is a string, not 0 or true
            errors = {
                name: ["Send text (a JSON string)."]
                for name, field in self.fields.items()
                if not field.read_only
                and isinstance(field, serializers.CharField)
                and name in data
                and data[name] is not None
                and not isinstance(data[name], str)
            }
        if hasattr(data, "getlist"):  # a form or multipart body: an empty value is a value, not "left out"
            errors = {name: ["This field may not be blank."] for name in sent_blank(self, data)}
        if not errors:
            return super().to_internal_value(data)
        rest = data.copy()  # a QueryDict keeps its lists of files
        for name in errors:
            rest.pop(name, None)
        try:
            super().to_internal_value(rest)
        except serializers.ValidationError as error:  # every field at fault is named, not only these
            if isinstance(error.detail, dict):
                errors = {**error.detail, **errors}
        raise serializers.ValidationError(errors)


def status_field(
    choices: type[models.TextChoices], *, component_name: str, description: str = ""
) -> type[serializers.CharField]:
    """A model's `status` as a schema component of its own: several models have a `status` with other
    values, and drf-spectacular cannot name those enums apart without a settings override."""
    schema = {"type": "string", "enum": choices.values, "description": description or " | ".join(choices.values)}
    return _one_class_per_component(component_name, schema, serializers.CharField)


def choice_field(
    choices: type[models.TextChoices], *, component_name: str, blank: bool = False
) -> type[serializers.ChoiceField]:
    """A ChoiceField class whose enum is a schema component of its own name (as status_field):
    several models have a `reason` with other values. With `blank`, the empty string is one of the
    values too (an answer's field that is empty until something happens), under its own component."""
    values = [*choices.values, ""] if blank else list(choices.values)
    description = " | ".join(choices.values) + (" | empty" if blank else "")
    schema = {"type": "string", "enum": values, "description": description}
    return _one_class_per_component(component_name, schema, serializers.ChoiceField)


# Two APIs naming the same enum (a review's report and the reports API) get the same class, so the
# schema has one component; the same name with other values is a mistake and fails at start-up.
_component_fields: dict[str, tuple[dict, type]] = {}


def _one_class_per_component(component_name: str, schema: dict, base: type) -> type:
    known = _component_fields.get(component_name)
    if known is not None:
        if known[0] != schema or not issubclass(known[1], base):
            raise ValueError(f"{component_name} is already a component with other values")
        return known[1]
    field = type(component_name.removesuffix("Enum") + "Field", (base,), {})
    field = extend_schema_field(schema, component_name=component_name)(field)
    _component_fields[component_name] = (schema, field)
    return field


class QueryParamsMixin:
    """Query parameters are read strictly: one sent empty or more than once is refused, not taken as
    left out (DRF reads an empty form value of an optional field as absent)."""

    def to_internal_value(self, data):
        errors = {}
        if hasattr(data, "getlist"):
            for name in self.fields:
                values = data.getlist(name) if name in data else []
                if len(values) > 1:
                    errors[name] = ["Send this parameter once."]
            errors |= {name: ["Leave this parameter out or give it a value."] for name in sent_blank(self, data)}
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)


# An uploaded file as the API lists it: name, type, size and the address that downloads it. A
# subclass names its model in Meta, the download route, and where the route's owner pk sits. (A
# comment, not a docstring: the schema would show a docstring on every subclass.)
class StoredFileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField()

    download_route = ""
    owner_pk = ""  # attribute path from the file to the pk its route takes, e.g. "project_id"
    file_kwarg = "attachment_pk"  # the route's name for the file's own pk

    class Meta:
        fields = ["id", "name", "content_type", "size", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        owner_pk = attrgetter(self.owner_pk)(attachment)
        return reverse(self.download_route, kwargs={"pk": owner_pk, self.file_kwarg: attachment.pk})


def validated(serializer_class: type[serializers.Serializer], data) -> dict:
    """Input checked by `serializer_class`: its clean data, or a 400 naming every field at fault."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
