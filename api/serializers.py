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

Two fixed costs of a list request go too, for a child serializer whose every
field shows a column: its fields are built once per class instead of once per
request, and its list queryset may read the rows with `.values(*field names)`
(no model object per row), which this shows exactly as it shows model rows.

A child serializer with its own `to_representation` is left to it, row by row.
"""

from datetime import datetime
from functools import cache
from operator import attrgetter, itemgetter

from django.core.exceptions import ImproperlyConfigured
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
        fields = _column_fields(type(child))
        if fields is not None:
            # Every field shows a column: the class's fields, built once, stand for this child's.
            readers = [(field.field_name, column, field) for field, column in fields]
        else:
            columns = _columns(model)
            readers = [(field.field_name, _column_of(field, columns), field) for field in child._readable_fields]
        readers = [
            (name, None, None, None, field)
            if column is None
            else (name, attrgetter(column), itemgetter(field.source_attrs[0]), _representation(field), field)
            for name, column, field in readers
        ]
        general = next((field for _name, column, _key, _represent, field in readers if column is None), None)
        rows = []
        for item in iterable:
            if isinstance(item, dict):
                rows.append(_values_row(item, readers, general))
                continue
            if not isinstance(item, model):
                rows.append(child.to_representation(item))
                continue
            row = {}
            for name, column, _key, represent, field in readers:
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


def _values_row(item, readers, general):
    """A row read with `.values(*field names)` (a list queryset that shows only columns): each field's value
    under its source's name, a foreign key as its id, shown as the model row would be."""
    if general is not None:
        raise ImproperlyConfigured(
            f"{type(general.parent).__name__}.{general.field_name} is not a column: a list that shows it reads "
            "model rows, not .values()."
        )
    row = {}
    for name, _column, key, represent, _field in readers:
        try:
            value = key(item)
        except KeyError:
            raise ImproperlyConfigured(
                f"The list's .values() rows have no {name!r}: read every field it shows."
            ) from None
        row[name] = None if value is None else represent(value)
    return row


# Methods that decide a serializer's fields: a class that keeps DRF's own builds the same fields every time.
_FIELD_BUILDERS = ("__init__", "get_fields", "get_field_names", "build_field", "get_extra_kwargs", "fields")


@cache
def _column_fields(serializer_class):
    """[(field, attribute name)] for a model serializer class whose every readable field shows one of its model's
    columns, in the ordinary way, with fields only its declaration decides; None for any other class.

    Building a ModelSerializer's fields (introspecting the model, constructing a field object for each) is a
    fixed cost of every list request; for such a class it is paid once. A column's representation reads nothing
    of the request (the time zone of a date-time is looked up per list by `_representation`).
    """
    if not issubclass(serializer_class, serializers.ModelSerializer) or any(
        getattr(serializer_class, name) is not getattr(serializers.ModelSerializer, name) for name in _FIELD_BUILDERS
    ):
        return None
    columns = _columns(serializer_class.Meta.model)
    fields = []
    for field in serializer_class()._readable_fields:
        column = _column_of(field, columns)
        if column is None:
            return None
        fields.append((field, column))
    return fields


@cache
def _columns(model):
    """A model's own columns by field name and by attribute name (`partner` and `partner_id`)."""
    columns = {column.attname: column for column in model._meta.concrete_fields}
    columns.update({column.name: column for column in model._meta.concrete_fields})
    return columns


def _column_of(field, columns):
    """The attribute name of the model column that `field` shows, read the way DRF would reach it (a foreign key
    as its id), or None where DRF's general path is needed."""
    source = field.source_attrs
    column = columns.get(source[0]) if len(source) == 1 else None
    if column is None or isinstance(field, (serializers.BaseSerializer, serializers.SerializerMethodField)):
        return None
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
        return column.attname if plain else None
    if kind.get_attribute is not serializers.Field.get_attribute or (column.is_relation and source[0] == column.name):
        # A field that reads in its own way, or the related object itself rather than its id: DRF's path.
        return None
    return source[0]


def _representation(field):
    """`field.to_representation`, or for a date-time shown in ISO 8601 the same conversion with the time zone
    looked up once for the list rather than once per value (DRF asks for the current zone every time)."""
    kind = type(field)
    plain_datetime = isinstance(field, serializers.DateTimeField) and all(
        getattr(kind, name) is getattr(serializers.DateTimeField, name)
        for name in ("to_representation", "enforce_timezone", "default_timezone")
    )
    if isinstance(field, relations.RelatedField):
        return _unchanged  # a plain primary-key field (see _column_of) shows the id as it is
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
