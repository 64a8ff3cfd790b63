"""Management commands: create_licensor_admin and seed_demo."""

import io
import os
import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from franchise.management.commands import create_licensor_admin
from franchise.models import Membership, Partner, Role, User
from tests.factories import PartnerFactory, UserFactory

PASSWORD = "a-long-and-unusual-passphrase"


def _run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def prompts(monkeypatch):
    """Answers typed at the getpass prompts, in order; fails the test if asked more often."""
    monkeypatch.delenv("TANDEM_ADMIN_PASSWORD", raising=False)
    answers = []

    def getpass(prompt=""):
        if not answers:
            pytest.fail(f"unexpected prompt {prompt!r}")
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(create_licensor_admin.getpass, "getpass", getpass)
    return answers


def _token_for(email, password):
    return APIClient().post("/api/v1/auth/token/", {"username": email, "password": password})


def test_create_licensor_admin_takes_the_password_from_the_environment(db, monkeypatch, prompts):
    monkeypatch.setenv("TANDEM_ADMIN_PASSWORD", PASSWORD)

    output = _run("create_licensor_admin", "First@Licensor.example", "--name", "Fay First")

    assert "Created licensor admin first@licensor.example" in output
    user = User.objects.get(email="first@licensor.example")
    # A licensor admin works through the API; the Django admin is the operators' (superusers').
    assert (user.name, user.is_staff, user.is_superuser) == ("Fay First", False, False)
    assert Membership.objects.get(user=user).role == Role.LICENSOR_ADMIN
    assert _token_for("first@licensor.example", PASSWORD).status_code == 200
    me = APIClient()
    me.force_authenticate(user)
    assert me.get("/api/v1/me/").json()["is_licensor"] is True


def test_create_licensor_admin_prompts_for_the_password(db, prompts):
    prompts.extend([PASSWORD, PASSWORD])
    _run("create_licensor_admin", "first@licensor.example")
    assert User.objects.get(email="first@licensor.example").check_password(PASSWORD)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([PASSWORD, "something else"], "differ"),
        (["", ""], "empty"),
        ([EOFError()], "TANDEM_ADMIN_PASSWORD"),
        (["123", "123"], "too short"),
    ],
)
def test_create_licensor_admin_refuses_a_bad_password_and_writes_nothing(db, prompts, answers, message):
    prompts.extend(answers)
    with pytest.raises(CommandError, match=message):
        _run("create_licensor_admin", "first@licensor.example")
    assert not User.objects.exists()


def test_create_licensor_admin_refuses_a_bad_email(db, monkeypatch):
    monkeypatch.setenv("TANDEM_ADMIN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="not an email"):
        _run("create_licensor_admin", "not-an-email")
    assert not User.objects.exists()


def test_create_licensor_admin_gives_an_existing_user_the_role_without_a_password(db, prompts):
    user = UserFactory(email="former@example.org")

    output = _run("create_licensor_admin", "FORMER@example.org")

    assert "now a licensor admin" in output
    user.refresh_from_db()
    assert not user.is_staff
    assert user.check_password("correct-horse-battery")
    assert set(user.memberships.values_list("role", flat=True)) == {"licensor_admin"}


def test_create_licensor_admin_refuses_a_partner_member_and_writes_nothing(coordinator, prompts):
    with pytest.raises(CommandError, match="may not be made a licensor admin"):
        _run("create_licensor_admin", "coord@example.org")

    assert set(coordinator.memberships.values_list("role", flat=True)) == {"coordinator"}


def test_create_licensor_admin_twice_changes_nothing(licensor, prompts):
    assert "nothing changed" in _run("create_licensor_admin", licensor.email)
    assert licensor.memberships.count() == 1


def _accounts(output):
    password = re.search(r"password for all: (\S+?)\)", output).group(1)
    emails = re.findall(r"^\s+(\S+@\S+)\s", output, flags=re.MULTILINE)
    return password, emails


def test_seed_demo_loads_accounts_that_each_hold_a_role_and_get_a_token(db):
    output = _run("seed_demo")

    password, emails = _accounts(output)
    assert {"admin@licensor.example", "operator@tandem.example"} <= set(emails)
    assert len(emails) >= 8
    assert Partner.objects.filter(slug__in=["northside", "harbour"]).count() == 2
    for email in emails:
        assert _token_for(email, password).status_code == 200, email
        if email != "operator@tandem.example":
            assert Membership.objects.filter(user__email=email).exists(), f"{email} holds no role"
    # The operator signs in to the Django admin and holds no role; the licensor admin is no operator.
    operator, licensor = (
        User.objects.get(email="operator@tandem.example"),
        User.objects.get(email="admin@licensor.example"),
    )
    assert (operator.is_superuser, operator.memberships.exists()) == (True, False)
    assert (licensor.is_staff, licensor.is_superuser) == (False, False)


def test_seed_demo_if_empty_leaves_an_existing_database_alone(db):
    PartnerFactory(name="Real Partner", slug="real")
    users = User.objects.count()

    output = _run("seed_demo", "--if-empty")

    assert "not loaded" in output
    assert list(Partner.objects.values_list("slug", flat=True)) == ["real"]
    assert User.objects.count() == users


def test_seed_demo_if_empty_seeds_an_empty_database(db):
    _run("seed_demo", "--if-empty")
    assert User.objects.filter(email="admin@licensor.example").exists()


def test_seed_demo_does_not_load_twice(demo):
    users = User.objects.count()
    _run("seed_demo")
    assert User.objects.count() == users


@pytest.mark.slow
def test_manage_py_without_a_required_setting_names_it_instead_of_failing_elsewhere():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}  # neither DEBUG nor SECRET_KEY
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "SECRET_KEY is required" in result.stderr
    assert "Traceback" not in result.stderr
