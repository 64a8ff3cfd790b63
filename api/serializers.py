"""A list representation that costs what the values cost: DRF's output, with the per-row bookkeeping done once.

DRF's ListSerializer asks the child serializer for each row, and the child
works out, for every field of every row, how to reach the value: a walk over
`source_attrs`, a callable check, exception handling for missing attributes.
For a page of model rows, a field that is a table column (or a foreign key
shown as its id) is reached the same way on every row, so `ListSerializer`
works that out once per list and reads the column directly; every other field
(annotations, method fields, nested serializers) goes through DRF exactly as
before. Each value is still turned into JSON by the field's own
`to_representation`, so the output is DRF's, byte for byte.

A child serializer with its own `to_representation` is left to it, row by row.
"""

from datetime import datetime
from functools import cache
from operator import attrgetter

from django.db import models
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings


def _unchanged(value):
    return value


# A list queryset may hand each row's related rows over as a plain list at `listed_<source>` (Prefetch with
# to_attr, e.g. SupervisionSessionQuerySet.for_listing): read from there, no related manager is built per row.
LISTED_PREFIX = "listed_"


class ListSerializer(serializers.ListSerializer):
    def get_attribute(self, instance):
        if len(self.source_attrs) == 1:
            listed = getattr(instance, LISTED_PREFIX + self.source_attrs[0], None)
            if listed is not None:
                return listed
        return super().get_attribute(instance)

    def to_representation(self, data):
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        child = self.child
        model = getattr(getattr(child, "Meta", None), "model", None)
        if model is None or type(child).to_representation is not serializers.Serializer.to_representation:
            return [child.to_representation(item) for item in iterable]
        columns = _columns(model)
        readers = [_reader(field, columns) for field in child._readable_fields]
        rows = []
        for item in iterable:
            if not isinstance(item, model):
                rows.append(child.to_representation(item))
                continue
            row = {}
            for name, column, represent, field in readers:
                if column is not None:
                    value = column(item)
                    row[name] = None if value is None else represent(value)
                    continue
                # As Serializer.to_representation does it, for what is not a plain column.
                try:
                    attribute = field.get_attribute(item)
                except SkipField:
                    continue
                check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                row[name] = None if check_for_none is None else field.to_representation(attribute)
            rows.append(row)
        return rows


@cache
def _columns(model):
    """A model's own columns by field name and by attribute name (`partner` and `partner_id`)."""
    columns = {column.attname: column for column in model._meta.concrete_fields}
    columns.update({column.name: column for column in model._meta.concrete_fields})
    return columns


def _reader(field, columns):
    """(name, column reader or None, representation, field): a column reader where `field` shows one of the
    model's own `columns`, read the way DRF would reach it; None where DRF's general path is needed."""
    source = field.source_attrs
    column = columns.get(source[0]) if len(source) == 1 else None
    general = field.field_name, None, None, field
    if column is None or isinstance(field, (serializers.BaseSerializer, serializers.SerializerMethodField)):
        return general
    kind = type(field)
    if isinstance(field, relations.RelatedField):
        # DRF shows a foreign key as its bare id (PKOnlyObject) with a primary-key field that changes neither how
        # it reads nor how it shows the id.
        plain = (
            isinstance(field, relations.PrimaryKeyRelatedField)
            and field.pk_field is None
            and column.is_relation
            and kind.get_attribute is relations.RelatedField.get_attribute
            and kind.to_representation is relations.PrimaryKeyRelatedField.to_representation
            and kind.use_pk_only_optimization is relations.PrimaryKeyRelatedField.use_pk_only_optimization
        )
        return (field.field_name, attrgetter(column.attname), _unchanged, field) if plain else general
    if kind.get_attribute is not serializers.Field.get_attribute or (column.is_relation and source[0] == column.name):
        # A field that reads in its own way, or the related object itself rather than its id: DRF's path.
        return general
    return field.field_name, attrgetter(source[0]), _representation(field), field


def _representation(field):
    """`field.to_representation`, or for a date-time shown in ISO 8601 the same conversion with the time zone
    looked up once for the list rather than once per value (DRF asks for the current zone every time)."""
    kind = type(field)
    plain_datetime = isinstance(field, serializers.DateTimeField) and all(
        getattr(kind, name) is getattr(serializers.DateTimeField, name)
        for name in ("to_representation", "enforce_timezone", "default_timezone")
    )
    if not plain_datetime:
        return field.to_representation
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if output_format is None or output_format.lower() != ISO_8601 or zone is None:
        return field.to_representation

    def represent(value):
        if not isinstance(value, datetime) or not timezone.is_aware(value):
            return field.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return field.to_representation(value)  # DRF's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent
