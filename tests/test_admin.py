"""The Django admin: the operators' tool. Only active superusers enter; no page shows anyone's story."""

import re
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from franchise.models import Role, User
from supervision.models import (
    AuditAnswer,
    BoundaryIncident,
    ContactRecord,
    CorrectiveAction,
    IncidentAccess,
    IncidentAction,
    IncidentDiscussion,
    IncidentTransition,
    Match,
    MatchGoal,
    MentorConflict,
    Person,
    PersonTransition,
    SessionAction,
    ShadowingLog,
    SupervisionSession,
)
from tests.api.world import PROJECT_APPS, build_world
from tests.factories import PartnerFactory, UserFactory, user_with_role
from tests.franchise.devices import code_for, enrolled, wrong_code_for
from training.models import Certificate, CriterionAssessment, TeachingRecord

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)

# Free text about people: what a mentor did, what was said in supervision, why someone paused.
# The admin never shows, lists or finds it, for operators neither (they are not the licensor,
# nor the partner, and the admin writes no access log).
CONFIDENTIAL = {
    BoundaryIncident: ["description", "immediate_action"],
    IncidentTransition: ["note"],
    IncidentAction: ["description", "drop_note"],
    IncidentDiscussion: ["note"],
    SupervisionSession: ["notes", "supervisee_comment", "cancel_reason"],
    SessionAction: ["description"],
    Person: ["pause_reason"],
    PersonTransition: ["reason"],
    ShadowingLog: ["note"],
    Match: ["outcome_note"],
    ContactRecord: ["summary", "place"],
    MatchGoal: ["text"],
    # An audit's evidence and a partner's corrective actions may name the mentors and cases they looked at.
    AuditAnswer: ["evidence"],
    CorrectiveAction: ["description", "evidence", "review_note"],
    MentorConflict: ["description"],
    CriterionAssessment: ["evidence"],
    TeachingRecord: ["note"],
    Certificate: ["revocation_reason"],
}
# Free text an operator may read: the programme, the rule book, and what the system recorded.
SHOWN_TEXT = {
    "franchise.Criterion.text",
    "supervision.AuditQuestion.text",
    "franchise.BoundaryRule.description",
    "supervision.ToolkitProcess.purpose",
    "franchise.LicenceEvent.note",
    "franchise.LicenceFee.note",  # a payment or waiver reference, not about a person
    "training.AccreditationEvent.note",
    "reminders.Reminder.last_error",
}


def _urls(model):
    opts = model._meta
    return (
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_add"),
    )


def _change_url(row):
    opts = row._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])


def _request_as(user, path="/admin/", **query):
    request = RequestFactory().get(path, query)
    request.user = user
    return request


def _browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator(db):
    return UserFactory(email="operator@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def operator_browser(operator):
    return _browser(operator)


@pytest.fixture
def staff_licensor(licensor):
    # How licensor admins were made before the admin became the operators': staff, not superuser.
    licensor.is_staff = True
    licensor.save()
    return licensor


@pytest.fixture
def populated(db):
    """A row of every partner-owned model, so pages render real rows, not just empty tables."""
    return build_world(PartnerFactory(name="Admin Partner", slug="admin-partner"))


def _refused(client, url):
    """The admin answers someone who is not an operator with its login page, whatever they ask for."""
    response = client.get(url)
    return response.status_code == 302 and urlparse(response["Location"]).path == reverse("admin:login")


def test_every_project_model_is_registered():
    registered = {model for model, _ in REGISTERED}
    missing = [
        model._meta.label
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
        if model not in registered and not model._meta.auto_created
    ]
    assert not missing, f"models without an admin: {missing}"


def test_an_operator_opens_every_changelist_and_add_page(operator_browser, operator, populated):
    # One walk over the registry (not one test per model) so the world is built once.
    problems = []
    for model, model_admin in REGISTERED:
        changelist, add = _urls(model)
        status = operator_browser.get(changelist).status_code
        if status != 200:
            problems.append(f"{changelist}: {status}")
        may_add = model_admin.has_add_permission(_request_as(operator))
        status = operator_browser.get(add).status_code
        if status != (200 if may_add else 403):
            problems.append(f"{add}: {status}")
    assert REGISTERED
    assert not problems, "\n".join(problems)


def test_the_change_page_of_rows_opens_for_an_operator(operator_browser, populated):
    for model, rows in populated.items():
        if model in admin.site._registry:
            assert operator_browser.get(_change_url(rows[0])).status_code == 200, model._meta.label


def test_a_licensor_admin_gets_the_login_page_everywhere_even_when_staff(staff_licensor, populated):
    client = _browser(staff_licensor)
    urls = ["/admin/", *(url for model, _ in REGISTERED for url in _urls(model))]
    urls += [_change_url(rows[0]) for model, rows in populated.items() if model in admin.site._registry]

    problems = [url for url in urls if not _refused(client, url)]

    assert not problems, "\n".join(problems)
    assert "not authorized to access this page" in client.get(reverse("admin:login")).content.decode()


def test_a_licensor_admin_cannot_sign_in_to_the_admin(staff_licensor):
    client = Client()

    response = client.post(
        reverse("admin:login"), {"username": staff_licensor.email, "password": "correct-horse-battery"}
    )

    assert response.status_code == 200
    assert "licensor admins use the API" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_operator_signs_in_to_the_admin(operator):
    client = Client()
    response = client.post(reverse("admin:login"), {"username": operator.email, "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_operator_with_a_device_is_asked_for_the_code_next_to_its_field(operator):
    device, _ = enrolled(operator)
    client = Client()
    credentials = {"username": operator.email, "password": "correct-horse-battery"}

    without = client.post(reverse("admin:login"), credentials)
    wrong = client.post(reverse("admin:login"), {**credentials, "otp": wrong_code_for(device)})

    for refused in (without, wrong):
        assert refused.status_code == 200
        assert "_auth_user_id" not in client.session
        field = re.search(r'<div class="form-row">(?:(?!</div>).)*name="otp"', refused.content.decode(), re.S)
        assert field and "errorlist" in field.group(0)  # the error sits next to the code field
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows the code after a wrong one (tested in test_two_factor)
    assert client.post(reverse("admin:login"), {**credentials, "otp": code_for(device)}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_guessing_an_operators_password_at_the_admin_meets_the_sign_in_lockout(operator, settings):
    settings.TANDEM_LOGIN_ACCOUNT_CLIENT_FAILURES = 3
    client = Client()
    for n in range(3):
        guess = client.post(reverse("admin:login"), {"username": operator.email, "password": f"guess-{n}"})
        assert "_auth_user_id" not in client.session and guess.status_code == 200

    right = client.post(reverse("admin:login"), {"username": operator.email, "password": "correct-horse-battery"})

    assert right.status_code == 200
    assert "Too many failed sign-ins" in right.content.decode()
    assert "_auth_user_id" not in client.session
    token_login = Client().post(
        "/api/v1/auth/token/",
        {"username": operator.email, "password": "correct-horse-battery"},
        content_type="application/json",
    )
    assert token_login.status_code == 429  # one lockout for the admin and the API


def test_staff_holding_every_django_permission_is_still_refused(partner):
    staff = user_with_role(Role.COORDINATOR, partner, is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    client = _browser(staff)
    problems = [url for model, _ in REGISTERED for url in _urls(model) if not _refused(client, url)]
    assert not problems, "\n".join(problems)


def test_a_disabled_superuser_is_refused(db):
    client = _browser(UserFactory(is_staff=True, is_superuser=True, is_active=False))
    assert _refused(client, "/admin/")


def _mark_confidential_text(populated):
    """Put a distinctive string in every confidential field of the world's rows; returns the strings."""
    secrets = []
    for model, names in CONFIDENTIAL.items():
        values = {name: f"SECRET-{model.__name__}-{name}" for name in names}
        # update(): the access log and other append-only rows refuse save().
        model.objects.filter(pk=populated[model][0].pk).update(**values)
        secrets += values.values()
    return secrets


def test_every_free_text_field_is_either_confidential_or_deliberately_shown():
    decided = {f"{model._meta.label}.{name}" for model, names in CONFIDENTIAL.items() for name in names} | SHOWN_TEXT
    undecided = [
        f"{model._meta.label}.{field.name}"
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.TextField) and f"{model._meta.label}.{field.name}" not in decided
    ]
    assert not undecided, f"decide whether the admin may show these (CONFIDENTIAL or SHOWN_TEXT): {undecided}"


def test_no_admin_page_shows_or_finds_confidential_text(operator_browser, operator, populated):
    secrets = _mark_confidential_text(populated)
    request = _request_as(operator)
    pages = ["/admin/"]
    searches = []
    for model, model_admin in REGISTERED:
        changelist, _add = _urls(model)
        pages.append(changelist)
        if model_admin.get_search_fields(request):
            searches += [(model_admin, changelist, secret) for secret in secrets]
        for row in model.objects.all()[:5]:
            pages.append(_change_url(row))
            if model_admin.has_delete_permission(request, row):
                opts = model._meta
                pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[row.pk]))

    shown = []
    for url in pages:
        response = operator_browser.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        shown += [f"{url}: {secret}" for secret in secrets if secret in html]
    # The changelist a search page counts its rows with (changelist_view builds the same one), without
    # rendering ~450 result pages: the pages themselves are rendered above.
    found = [
        f"{changelist}?q={secret}"
        for model_admin, changelist, secret in searches
        if model_admin.get_changelist_instance(_request_as(operator, changelist, q=secret)).result_count
    ]

    assert not shown, "\n".join(shown)
    assert not found, "a search on confidential text found rows:\n" + "\n".join(found)


def test_the_access_log_is_read_only_for_operators(operator_browser, populated):
    entry = populated[IncidentAccess][0]
    opts = IncidentAccess._meta
    change = _change_url(entry)

    page = operator_browser.get(change)
    posted = operator_browser.post(change, {"detail": "rewritten"})
    deleted = operator_browser.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[entry.pk]))
    added = operator_browser.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))

    assert page.status_code == 200
    assert 'name="detail"' not in page.content.decode()
    assert (posted.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    assert IncidentAccess.objects.get(pk=entry.pk).detail == entry.detail


def test_the_admin_sets_no_other_users_password(operator_browser, coordinator):
    change = operator_browser.get(_change_url(coordinator))
    password_url = f"/admin/franchise/user/{coordinator.pk}/password/"
    posted = operator_browser.post(password_url, {"password1": "taken-over-2026!", "password2": "taken-over-2026!"})

    assert change.status_code == 200
    assert 'name="password' not in change.content.decode()
    assert "/password/" not in change.content.decode()
    assert operator_browser.get(password_url).status_code == 403
    assert posted.status_code == 403
    assert operator_browser.get(reverse("admin:franchise_user_add")).status_code == 403
    coordinator.refresh_from_db()
    assert coordinator.check_password("correct-horse-battery")


def test_an_operator_sends_a_reset_and_the_person_chooses_a_new_password(operator_browser, coordinator):
    response = operator_browser.post(
        reverse("admin:franchise_user_changelist"),
        {"action": "send_password_reset", "_selected_action": [coordinator.pk]},
        follow=True,
    )

    assert response.status_code == 200
    (message,) = mail.outbox
    assert message.to == [coordinator.email]
    link = re.search(r"https://tandem\.test(/password-reset/[^/\s]+/[^/\s]+/)", message.body).group(1)
    person = Client()
    set_password = person.get(link)
    assert set_password.status_code == 302  # Django moves the token out of the URL into the session
    form = person.get(set_password["Location"])
    assert form.status_code == 200
    done = person.post(
        set_password["Location"], {"new_password1": "a-new-and-unusual-one", "new_password2": "a-new-and-unusual-one"}
    )
    assert done.status_code == 302
    coordinator.refresh_from_db()
    assert coordinator.check_password("a-new-and-unusual-one")
    # The operator learnt nothing that signs them in as the coordinator.
    assert "a-new-and-unusual-one" not in response.content.decode()


def test_no_reset_is_sent_to_a_disabled_account(operator_browser, coordinator):
    User.objects.filter(pk=coordinator.pk).update(is_active=False)

    operator_browser.post(
        reverse("admin:franchise_user_changelist"),
        {"action": "send_password_reset", "_selected_action": [coordinator.pk]},
    )

    assert not mail.outbox


# API tokens and two-factor devices in the admin: tests/api/test_auth_tokens.py.
