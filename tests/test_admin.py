"""The Django admin: every registered model usable by a licensor admin who is staff, and by no other staff."""

import pytest
from django.contrib import admin
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from franchise.models import Invitation, Role
from tests.api.world import build_world
from tests.factories import PartnerFactory, UserFactory, user_with_role

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _urls(model):
    opts = model._meta
    return (
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_add"),
    )


@pytest.fixture
def staff_licensor(licensor):
    licensor.is_staff = True
    licensor.save()
    return licensor


@pytest.fixture
def licensor_browser(staff_licensor):
    client = Client()
    client.force_login(staff_licensor)
    return client


@pytest.fixture
def populated(db):
    """A row of every partner-owned model, so changelists render real rows, not just empty tables."""
    return build_world(PartnerFactory(name="Admin Partner", slug="admin-partner"))


def _request_as(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_project_model_is_registered():
    from django.apps import apps

    registered = {model for model, _ in REGISTERED}
    missing = [
        model._meta.label
        for label in ("franchise", "training", "supervision", "reminders")
        for model in apps.get_app_config(label).get_models()
        if model not in registered and not model._meta.auto_created
    ]
    assert not missing, f"models without an admin: {missing}"


def test_a_staff_licensor_admin_opens_every_changelist_and_add_page(licensor_browser, staff_licensor, populated):
    # One walk over the registry (not one test per model) so the world is built once.
    superuser = UserFactory(is_staff=True, is_superuser=True)
    problems = []
    for model, model_admin in REGISTERED:
        changelist, add = _urls(model)
        status = licensor_browser.get(changelist).status_code
        if status != 200:
            problems.append(f"{changelist}: {status}")
        may_add = model_admin.has_add_permission(_request_as(staff_licensor))
        # A licensor admin can do in the admin at least what an operator (superuser) can.
        if not may_add and model_admin.has_add_permission(_request_as(superuser)):
            problems.append(f"{add}: a superuser may add but a licensor admin may not")
        status = licensor_browser.get(add).status_code
        if status != (200 if may_add else 403):
            problems.append(f"{add}: {status}")
    assert REGISTERED
    assert not problems, "\n".join(problems)


def test_staff_without_the_licensor_role_is_refused_everywhere(partner):
    staff = user_with_role(Role.COORDINATOR, partner, is_staff=True)
    client = Client()
    client.force_login(staff)
    problems = [
        f"{url}: {status}"
        for model, _ in REGISTERED
        for url in _urls(model)
        if (status := client.get(url).status_code) != 403
    ]
    assert not problems, "\n".join(problems)


def test_the_admin_index_lists_the_apps_for_a_licensor_admin_only(licensor_browser, partner):
    assert "Franchise" in licensor_browser.get("/admin/").content.decode()
    staff = user_with_role(Role.COORDINATOR, partner, is_staff=True)
    client = Client()
    client.force_login(staff)
    assert "Franchise" not in client.get("/admin/").content.decode()


def test_a_licensor_admin_who_is_not_staff_cannot_enter_the_admin(licensor):
    client = Client()
    client.force_login(licensor)
    assert client.get("/admin/").status_code == 302


def test_the_change_page_of_rows_opens(licensor_browser, staff_licensor, populated):
    for model, rows in populated.items():
        if model not in admin.site._registry:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[rows[0].pk])
        assert licensor_browser.get(url).status_code == 200, url


def test_a_licensor_admin_cannot_make_anyone_a_superuser(staff_licensor, licensor_browser, partner):
    user_admin = admin.site._registry[type(staff_licensor)]
    assert {"is_superuser", "user_permissions", "groups"} <= set(
        user_admin.get_readonly_fields(_request_as(staff_licensor), staff_licensor)
    )
    target = user_with_role(Role.MENTOR, partner)
    url = reverse("admin:franchise_user_change", args=[target.pk])
    form = licensor_browser.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    joined = timezone.localtime(target.date_joined)
    data.update({"date_joined_0": joined.date().isoformat(), "date_joined_1": joined.strftime("%H:%M:%S")})
    data.update(
        {
            "name": "Renamed Mentor",
            "is_superuser": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        }
    )
    response = licensor_browser.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.name == "Renamed Mentor"  # the form was saved...
    assert not target.is_superuser  # ...without the field a licensor admin may not set


def test_a_licensor_admin_cannot_change_a_superuser(licensor_browser):
    root = UserFactory(is_staff=True, is_superuser=True)
    url = reverse("admin:franchise_user_change", args=[root.pk])
    assert licensor_browser.get(url).status_code == 200  # may look
    assert licensor_browser.post(url, {"email": "taken@over.example"}).status_code == 403
    assert licensor_browser.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code == 403


def test_adding_an_invitation_in_the_admin_sends_its_link(
    licensor_browser, partner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = licensor_browser.post(
            reverse("admin:franchise_invitation_add"),
            {"partner": str(partner.pk), "email": "Admin.Invited@example.org", "role": "coordinator"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "admin.invited@example.org"
    assert "/invite/" in mail.outbox[0].body


def test_the_admin_refuses_an_invitation_the_api_would_refuse(licensor_browser, partner):
    response = licensor_browser.post(
        reverse("admin:franchise_invitation_add"),
        {"partner": str(partner.pk), "email": "x@example.org", "role": "licensor_admin"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Invitation.objects.exists()


def test_api_token_keys_are_never_shown_in_the_admin(licensor_browser, coordinator):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=coordinator)
    changelist = licensor_browser.get(reverse("admin:authtoken_tokenproxy_changelist"))
    assert "Cora Coordinator" in changelist.content.decode()
    assert token.key not in changelist.content.decode()
