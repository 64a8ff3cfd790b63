"""Adding a unit or a criterion to a programme: at the end, with a code of its own, by the licensor only."""

import pytest

from core.errors import Invalid, NotPermitted
from franchise import services
from franchise.models import Criterion, Unit
from tests.franchise.factories import ProgrammeFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_a_new_unit_and_a_new_criterion_come_after_the_ones_there(licensor):
    programme = ProgrammeFactory()
    first = UnitFactory(programme=programme, code="U1", criteria=(2, 1))

    unit = services.add_unit(by=licensor, programme=programme, code=" U2 ", title="Supervision and reflection")
    criterion = services.add_criterion(by=licensor, unit=first, code="K2", kind="knowledge", text="Knows the limits.")

    assert [u.code for u in programme.units.order_by("position", "code")] == ["U1", "U2"] and unit.code == "U2"
    assert list(first.criteria.order_by("position").values_list("code", flat=True))[-1] == "K2"
    assert criterion.kind == Criterion.Kind.KNOWLEDGE


def test_a_code_already_there_is_refused_naming_the_field_and_nothing_is_added(licensor):
    programme = ProgrammeFactory()
    unit = UnitFactory(programme=programme, code="U1", criteria=(1, 0))
    code = unit.criteria.get().code

    with pytest.raises(Invalid) as unit_refused:
        services.add_unit(by=licensor, programme=programme, code="U1", title="Again")
    with pytest.raises(Invalid) as criterion_refused:
        services.add_criterion(by=licensor, unit=unit, code=code, kind="performance", text="Again")
    with pytest.raises(Invalid) as kind_refused:
        services.add_criterion(by=licensor, unit=unit, code="X1", kind="attitude", text="A new kind")

    assert (unit_refused.value.field, criterion_refused.value.field, kind_refused.value.field) == (
        "code",
        "code",
        "kind",
    )
    assert Unit.objects.filter(programme=programme).count() == 1 and unit.criteria.count() == 1


def test_empty_words_are_refused(licensor):
    programme = ProgrammeFactory()

    with pytest.raises(Invalid) as refused:
        services.add_unit(by=licensor, programme=programme, code="U9", title="  ")

    assert refused.value.field == "title" and not programme.units.exists()


def test_only_the_licensor_changes_a_programme(coordinator):
    programme = ProgrammeFactory()

    with pytest.raises(NotPermitted):
        services.add_unit(by=coordinator, programme=programme, code="U1", title="Mine")
    assert not programme.units.exists()
