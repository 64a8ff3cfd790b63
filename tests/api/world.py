"""A partner's world built generically: one row of every partner-owned model, from the tests' factories.

Shared by the tenant-isolation walker and the admin tests, so a model added
later is covered by both as soon as it has a factory.
"""

import importlib
import inspect
import pkgutil
from contextlib import contextmanager

import factory
from django.apps import apps
from django.db import models, transaction

import tests
from franchise.models import Partner

PROJECT_APPS = ("franchise", "training", "supervision", "reminders")


def partner_owned_models():
    owned = []
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            field = next((f for f in model._meta.concrete_fields if f.name == "partner"), None)
            if isinstance(field, models.ForeignKey) and field.related_model is Partner:
                owned.append(model)
    return owned


def discover_factories():
    """Model -> factory, from every module named `factories` in the tests package."""
    found = {}
    for module_info in pkgutil.walk_packages(tests.__path__, prefix="tests."):
        if module_info.name.rsplit(".", 1)[-1] != "factories":
            continue
        module = importlib.import_module(module_info.name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if not issubclass(value, factory.django.DjangoModelFactory) or value._meta.abstract:
                continue
            model = value._meta.model
            # One factory per model; where a module subclasses another, the one named after the model wins.
            if model not in found or value.__name__ == f"{model.__name__}Factory":
                found[model] = value
    return found


def build_world(partner):
    """One row of every partner-owned model in `partner`. Returns {model: [rows]}."""
    factories = discover_factories()
    missing = [m._meta.label for m in partner_owned_models() if m not in factories]
    assert not missing, (
        "These partner-owned models have no factory in tests/factories.py or tests/<app>/factories.py, "
        f"so tenant isolation cannot be checked for them: {', '.join(missing)}"
    )
    rows = {Partner: [partner]}
    for model in partner_owned_models():
        row = factories[model](partner=partner)
        assert row.partner_id == partner.pk, f"{factories[model].__name__}(partner=...) ignored the partner"
        rows[model] = [row]
    return rows


def foreign_ids(own_partner):
    """Ids that a user of `own_partner` must never see: every other partner and its rows."""
    ids = {str(pk) for pk in Partner.objects.exclude(pk=own_partner.pk).values_list("pk", flat=True)}
    for model in partner_owned_models():
        values = model._default_manager.exclude(partner=own_partner).exclude(partner__isnull=True)
        ids.update(str(pk) for pk in values.values_list("pk", flat=True))
    return ids


@contextmanager
def built_once(django_db_blocker):
    """A transaction for rows a module's tests share, rolled back when they are done, never committed.

    Like the demo in tests/conftest.py: each test still runs in a savepoint of its own inside it, so what one
    test writes the next does not see; only the building is shared. For module-scoped fixtures.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)
