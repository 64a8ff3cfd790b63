"""`manage.py import_people FILE --partner SLUG [--dry-run]`: the page's import, from a shell."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from supervision.models import MentorStatus, Person

pytestmark = pytest.mark.django_db

GOOD = "Name,Email,Status\nAda Volunteer,ada@example.org,applicant\nBen Trainee,ben@example.org,shadowing\n"
BAD = GOOD + "Cara,ada@example.org,active\n"


@pytest.fixture
def csv_file(tmp_path):
    def write(text):
        path = tmp_path / "people.csv"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def run(*args):
    out = StringIO()
    call_command("import_people", *args, stdout=out)
    return out.getvalue()


def test_imports_every_row_as_the_partners_coordinator(partner, coordinator, csv_file):
    out = run(csv_file(GOOD), "--partner", partner.slug)

    assert "Imported 2 people" in out
    people = Person.objects.filter(partner=partner).order_by("name")
    assert [(p.name, p.mentor_status) for p in people] == [
        ("Ada Volunteer", MentorStatus.APPLICANT),
        ("Ben Trainee", MentorStatus.SHADOWING),
    ]
    assert people[1].transitions.filter(to_status=MentorStatus.SHADOWING, by=coordinator).exists()


def test_a_file_with_problems_prints_each_and_writes_nothing(partner, coordinator, csv_file):
    out = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_people", csv_file(BAD), "--partner", partner.slug, stdout=out)

    printed = out.getvalue()
    assert "Row 4 (Cara): ada@example.org is also on row 2 of this file." in printed
    assert "Row 4 (Cara): Someone cannot be imported as an active mentor" in printed
    assert not Person.objects.filter(partner=partner).exists()


def test_dry_run_says_what_would_be_imported_and_writes_nothing(partner, coordinator, csv_file):
    out = run(csv_file(GOOD), "--partner", partner.slug, "--dry-run")

    assert "Would import row 2: Ada Volunteer (Applicant)." in out
    assert "2 people would be imported; nothing was written" in out
    assert not Person.objects.filter(partner=partner).exists()


def test_dry_run_of_a_bad_file_fails_and_names_the_problems(partner, coordinator, csv_file):
    out = StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("import_people", csv_file(BAD), "--partner", partner.slug, "--dry-run", stdout=out)
    assert "Row 4 (Cara)" in out.getvalue()


def test_by_must_be_allowed_to_write_to_the_partner(partner, coordinator, supervisor, csv_file):
    with pytest.raises(CommandError, match="coordinators"):
        run(csv_file(GOOD), "--partner", partner.slug, "--by", supervisor.email)
    assert not Person.objects.filter(partner=partner).exists()


def test_an_unknown_partner_is_an_error(db, csv_file):
    with pytest.raises(CommandError, match="No partner"):
        run(csv_file(GOOD), "--partner", "nowhere")
