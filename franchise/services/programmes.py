"""Franchise use cases for programmes and their units."""

from django.db import transaction
from django.db.models import Max

from core.errors import Invalid
from franchise.models import Criterion, Programme, Unit
from franchise.services._common import _require_licensor


@transaction.atomic
def create_programme(*, by, name, code, level="", awarding_body="", version="1", units=()):
    """A programme with its units and criteria, written in one go."""
    _require_licensor(by, "Only the licensing organisation may add programmes.")
    if Programme.objects.filter(code=code).exists():
        raise Invalid(f"The code {code!r} is taken by another programme.", field="code", code="code_taken")
    programme = Programme.objects.create(
        name=name, code=code, level=level, awarding_body=awarding_body, version=version
    )
    _save_units(programme, units)
    return programme


@transaction.atomic
def update_programme(*, by, programme, units=None, **changes):
    _require_licensor(by, "Only the licensing organisation may change programmes.")
    code = changes.get("code")
    if code and Programme.objects.filter(code=code).exclude(pk=programme.pk).exists():
        raise Invalid(f"The code {code!r} is taken by another programme.", field="code", code="code_taken")
    for name, value in changes.items():
        setattr(programme, name, value)
    programme.save()
    if units is not None:
        _save_units(programme, units)
    return programme


def _require(data, name, what):
    if not data.get(name):
        raise Invalid(f"{what} needs a {name}.", field="units", code="required")


def _duplicate_codes(items):
    seen, duplicates = set(), set()
    for item in items:
        (duplicates if item["code"] in seen else seen).add(item["code"])
    return sorted(duplicates)


def _save_units(programme, units):
    """Units and criteria are matched by code: the ones given are added or updated, in the order given.

    Ones left out are kept, because training records (assessments) may point at them.
    """
    # A partial update (PATCH) may leave out what a unit or criterion already has, never what a new one needs.
    for data in units:
        _require(data, "code", "Every unit")
        for item in data.get("criteria", []):
            _require(item, "code", f"Every criterion of unit {data['code']}")
    duplicates = _duplicate_codes(units)
    if duplicates:
        raise Invalid(f"Unit codes appear twice: {', '.join(duplicates)}.", field="units", code="duplicate_code")
    existing = {unit.code: unit for unit in programme.units.prefetch_related("criteria")}
    for position, data in enumerate(units, start=1):
        criteria = data.get("criteria", [])
        duplicates = _duplicate_codes(criteria)
        if duplicates:
            raise Invalid(
                f"Criterion codes appear twice in unit {data['code']}: {', '.join(duplicates)}.",
                field="units",
                code="duplicate_code",
            )
        unit = existing.get(data["code"])
        if unit is None:
            _require(data, "title", f"The new unit {data['code']}")
            unit = Unit.objects.create(programme=programme, code=data["code"], title=data["title"], position=position)
            current = {}
        else:
            unit.title = data.get("title", unit.title)
            unit.position = position
            unit.save()
            current = {criterion.code: criterion for criterion in unit.criteria.all()}
        new, changed = [], []
        for order, item in enumerate(criteria, start=1):
            criterion = current.get(item["code"])
            if criterion is None:
                for needed in ("kind", "text"):
                    _require(item, needed, f"The new criterion {item['code']} of unit {data['code']}")
                new.append(
                    Criterion(unit=unit, code=item["code"], kind=item["kind"], text=item["text"], position=order)
                )
            else:
                criterion.kind = item.get("kind", criterion.kind)
                criterion.text = item.get("text", criterion.text)
                criterion.position = order
                changed.append(criterion)
        # Criteria left out keep their place after the ones given.
        given = {item["code"] for item in criteria}
        for order, criterion in enumerate(
            (c for c in current.values() if c.code not in given), start=len(criteria) + 1
        ):
            criterion.position = order
            changed.append(criterion)
        Criterion.objects.bulk_create(new)
        Criterion.objects.bulk_update(changed, ["kind", "text", "position"])
    given_units = {data["code"] for data in units}
    kept = [unit for unit in existing.values() if unit.code not in given_units]
    for position, unit in enumerate(sorted(kept, key=lambda u: u.position), start=len(units) + 1):
        unit.position = position
    Unit.objects.bulk_update(kept, ["position"])


def _locked_programme(programme):
    # Serialises writers adding to one programme, so that two cannot both take the same code or position.
    return Programme.objects.select_for_update().get(pk=programme.pk)


def _required(value, field, what):
    value = (value or "").strip()
    if not value:
        raise Invalid(f"{what} is required.", field=field, code=f"{field}_required")
    return value


@transaction.atomic
def add_unit(*, by, programme, code, title):
    """A new unit at the end of the programme; its code is unique in the programme."""
    _require_licensor(by, "Only the licensing organisation may change programmes.")
    programme = _locked_programme(programme)
    code, title = _required(code, "code", "A code"), _required(title, "title", "A title")
    units = Unit.objects.filter(programme=programme)
    if units.filter(code=code).exists():
        raise Invalid(f"{programme.name} already has a unit {code}.", field="code", code="duplicate_code")
    last = units.aggregate(last=Max("position"))["last"] or 0
    return Unit.objects.create(programme=programme, code=code, title=title, position=last + 1)


@transaction.atomic
def add_criterion(*, by, unit, code, kind, text):
    """A new performance criterion or knowledge item at the end of its unit; its code is unique in the unit."""
    _require_licensor(by, "Only the licensing organisation may change programmes.")
    _locked_programme(unit.programme)
    code, text = _required(code, "code", "A code"), _required(text, "text", "The criterion's wording")
    if kind not in Criterion.Kind.values:
        raise Invalid(f"{kind!r} is not a kind of criterion.", field="kind", code="invalid_choice")
    criteria = Criterion.objects.filter(unit=unit)
    if criteria.filter(code=code).exists():
        raise Invalid(f"Unit {unit.code} already has a criterion {code}.", field="code", code="duplicate_code")
    last = criteria.aggregate(last=Max("position"))["last"] or 0
    return Criterion.objects.create(unit=unit, code=code, kind=kind, text=text, position=last + 1)
