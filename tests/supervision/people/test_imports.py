"""Importing existing volunteers and staff from a CSV: every row's problems named, then all rows or none."""

import datetime

import pytest

from core.errors import NotFound, NotPermitted
from supervision.models import MentorStatus, Person, PersonTransition
from supervision.people.imports import MAX_ROWS, ImportRefused, import_people, preview, template_csv
from tests.supervision.factories import PersonFactory

pytestmark = pytest.mark.django_db

THREE_VOLUNTEERS = """Name,Email,Mentor status,Date prior learning was recognised,Background check date
Ada Volunteer,ada@example.org,Applicant,,
Ben Trainee,BEN@example.org,in training,2024-03-01,15/02/2024
Cara Staff,cara@example.org,,,
"""


def problems_of(result):
    return {row.number: row.problems for row in result.rows}


def test_preview_of_a_clean_file_has_every_row_and_no_problem(partner, coordinator):
    result = preview(partner, THREE_VOLUNTEERS, by=coordinator)

    assert result.ok
    assert [(row.number, row.name, row.email) for row in result.rows] == [
        (2, "Ada Volunteer", "ada@example.org"),
        (3, "Ben Trainee", "ben@example.org"),
        (4, "Cara Staff", "cara@example.org"),
    ]
    assert [row.mentor_status for row in result.rows] == [MentorStatus.APPLICANT, MentorStatus.IN_TRAINING, None]
    assert result.rows[1].prior_learning_on == datetime.date(2024, 3, 1)
    assert result.rows[1].background_check_on == datetime.date(2024, 2, 15)


def test_preview_writes_nothing(partner, coordinator):
    preview(partner, THREE_VOLUNTEERS, by=coordinator)

    assert not Person.objects.filter(partner=partner).exists()


def test_headers_are_read_case_insensitively_with_plain_english_aliases(partner, coordinator):
    text = "FULL NAME,E-mail address,status,Prior learning date,background-check date\nAda,ada@example.org,Shadowing,2024-01-02,2024-01-03\n"

    (row,) = preview(partner, text, by=coordinator).rows

    assert (row.name, row.email, row.mentor_status) == ("Ada", "ada@example.org", MentorStatus.SHADOWING)
    assert (row.prior_learning_on, row.background_check_on) == (datetime.date(2024, 1, 2), datetime.date(2024, 1, 3))
    assert row.problems == []


def test_a_file_saved_with_semicolons_is_read_too(partner, coordinator):
    (row,) = preview(partner, "Name;Email;Status\nAda;ada@example.org;applicant\n", by=coordinator).rows

    assert (row.name, row.email, row.problems) == ("Ada", "ada@example.org", [])


def test_preview_names_each_rows_problem(partner, coordinator):
    PersonFactory(partner=partner, email="known@example.org")
    text = """Name,Email,Mentor status,Prior learning date,Background check date
Ada,ada@example.org,volunteer,,
,nameless@example.org,applicant,,
Ben,ben@example.org,applicant,31/02/2024,
Cara,ada@example.org,applicant,,
Dev,known@example.org,applicant,,
Eve,eve@example.org,active,,
Fay,fay@example.org,applicant,,2999-01-01
"""
    problems = problems_of(preview(partner, text, by=coordinator))

    assert "'volunteer' is not a mentor status" in problems[2][0]
    assert problems[3] == ["The name is missing."]
    assert "'31/02/2024' is not a date" in problems[4][0]
    assert problems[5] == ["ada@example.org is also on row 2 of this file."]
    assert problems[6] == [f"known@example.org is already on file for someone at {partner.name}."]
    assert "cannot be imported as an active mentor" in problems[7][0]
    assert "in the future" in problems[8][0]


def test_an_email_on_file_in_another_partner_is_no_problem(partner, other_partner, coordinator):
    PersonFactory(partner=other_partner, email="ada@example.org")

    assert preview(partner, THREE_VOLUNTEERS, by=coordinator).ok


def test_a_file_without_a_name_column_is_refused_as_a_whole(partner, coordinator):
    result = preview(partner, "Email,Status\nada@example.org,applicant\n", by=coordinator)

    assert not result.ok
    assert "no 'Name' column" in result.problems[0]


@pytest.mark.parametrize(
    "content, words",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV file"),
        (b"Name\n\xff\xfeAda\n", "could not be read"),
        ("Name,Email\n", "no rows"),
    ],
)
def test_a_file_that_is_not_a_readable_csv_is_refused(partner, coordinator, content, words):
    result = preview(partner, content, by=coordinator)

    assert words in result.problems[0]


def test_a_file_with_too_many_rows_is_refused(partner, coordinator):
    text = "Name\n" + "".join(f"Person {n}\n" for n in range(MAX_ROWS + 1))

    assert "at most 2000" in preview(partner, text, by=coordinator).problems[0]


def test_import_registers_every_row_through_the_pathway(partner, coordinator):
    created = import_people(partner, THREE_VOLUNTEERS.encode("utf-8-sig"), by=coordinator)

    assert [person.name for person in created] == ["Ada Volunteer", "Ben Trainee", "Cara Staff"]
    people = {person.name: person for person in Person.objects.filter(partner=partner)}
    assert people["Ada Volunteer"].mentor_status == MentorStatus.APPLICANT
    assert people["Ben Trainee"].mentor_status == MentorStatus.IN_TRAINING
    assert people["Cara Staff"].mentor_status is None
    steps = PersonTransition.objects.filter(person=people["Ben Trainee"]).order_by("at")
    assert [(step.to_status, step.by) for step in steps] == [
        (MentorStatus.APPLICANT, coordinator),
        (MentorStatus.IN_TRAINING, coordinator),
    ]


def test_one_bad_row_and_nothing_is_written(partner, coordinator):
    text = THREE_VOLUNTEERS + "Dan,dan@example.org,applicant,not a date,\n"

    with pytest.raises(ImportRefused) as refused:
        import_people(partner, text, by=coordinator)

    assert problems_of(refused.value.preview)[5][0].startswith("The prior learning date 'not a date'")
    assert not Person.objects.filter(partner=partner).exists()
    assert not PersonTransition.objects.filter(partner=partner).exists()


def test_a_row_the_services_refuse_rolls_back_the_rows_before_it(partner, coordinator, monkeypatch):
    from django.core.exceptions import ValidationError

    from supervision.people import services

    register = services.create_person

    def refuse_ben(**fields):
        if fields["name"] == "Ben Trainee":
            raise ValidationError({"name": ["Refused by the service."]})
        return register(**fields)

    monkeypatch.setattr(services, "create_person", refuse_ben)

    with pytest.raises(ImportRefused) as refused:
        import_people(partner, THREE_VOLUNTEERS, by=coordinator)

    assert problems_of(refused.value.preview)[3] == ["Refused by the service."]
    assert not Person.objects.filter(partner=partner).exists()
    assert not PersonTransition.objects.filter(partner=partner).exists()


def test_importing_the_same_file_twice_is_refused_the_second_time(partner, coordinator):
    import_people(partner, THREE_VOLUNTEERS, by=coordinator)

    with pytest.raises(ImportRefused):
        import_people(partner, THREE_VOLUNTEERS, by=coordinator)

    assert Person.objects.filter(partner=partner).count() == 3


@pytest.mark.parametrize("role_user", ["supervisor", "trainer", "mentor_user"])
def test_only_coordinators_import(partner, role_user, request):
    user = request.getfixturevalue(role_user)

    with pytest.raises(NotPermitted):
        import_people(partner, THREE_VOLUNTEERS, by=user)
    with pytest.raises(NotPermitted):
        preview(partner, THREE_VOLUNTEERS, by=user)
    assert not Person.objects.filter(partner=partner).exists()


def test_another_partners_coordinator_cannot_import(partner, other_coordinator):
    with pytest.raises(NotFound):
        import_people(partner, THREE_VOLUNTEERS, by=other_coordinator)
    assert not Person.objects.filter(partner=partner).exists()


def test_the_template_has_the_headers_the_import_reads(partner, coordinator):
    text = template_csv()

    assert text.splitlines()[0] == "Name,Email,Mentor status,Date prior learning was recognised,Background check date"
    assert preview(partner, text, by=coordinator).ok
