"""CSV exports of the people list, the compliance list and a session register: who may download them, what they
hold (and never hold), and queries that do not grow with the partner."""

import csv
import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.models import MentorStatus, SessionAttendance
from tests.supervision.factories import PersonFactory, SessionAttendanceFactory, SupervisionSessionFactory
from tests.supervision.sessions.helpers import person_of, set_policy

pytestmark = pytest.mark.django_db


def rows_of(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def people_url(partner, query=""):
    return f"/{partner.slug}/people/export.csv{query}"


def compliance_url(partner):
    return f"/{partner.slug}/compliance/export.csv"


def register_url(partner, session):
    return f"/{partner.slug}/sessions/{session.pk}/register.csv"


# --- the people list ---------------------------------------------------------------------------


def test_people_export_holds_the_partners_people_with_the_import_headers(page_for, coordinator, partner, other_partner):
    PersonFactory(partner=partner, name="Ada Active", email="ada@example.org", active_mentor=True)
    PersonFactory(partner=partner, name="Sam Staff", email="sam@example.org")
    PersonFactory(partner=other_partner, name="Otto Other")

    rows = rows_of(page_for(coordinator).get(people_url(partner)))

    assert [row["Name"] for row in rows] == ["Ada Active", "Sam Staff"]
    assert list(rows[0])[:5] == [
        "Name",
        "Email",
        "Mentor status",
        "Date prior learning was recognised",
        "Background check date",
    ]
    assert rows[0]["Mentor status"] == "Active"
    assert rows[0]["Trained"] == "Yes"
    assert rows[1]["Mentor status"] == ""
    assert rows[1]["Trained"] == "No"


@pytest.mark.parametrize(
    "query, names",
    [
        ("?q=ada", ["Ada Active"]),
        ("?q=BEN%40example", ["Ben Applicant"]),
        ("?status=applicant", ["Ben Applicant"]),
        ("?status=none", ["Sam Staff"]),
        ("?trained=yes", ["Ada Active"]),
        ("?trained=no&on_pathway=yes", ["Ben Applicant"]),
        ("?on_pathway=no&page=3", ["Sam Staff"]),
        # Read leniently, as the list reads them: nonsense filters nothing, rather than failing the download.
        ("?status=wizard&trained=maybe&q=", ["Ada Active", "Ben Applicant", "Sam Staff"]),
    ],
)
def test_people_export_uses_the_lists_filters(page_for, coordinator, partner, query, names):
    PersonFactory(partner=partner, name="Ada Active", active_mentor=True)
    PersonFactory(partner=partner, name="Ben Applicant", email="ben@example.org", applicant=True)
    PersonFactory(partner=partner, name="Sam Staff")

    rows = rows_of(page_for(coordinator).get(people_url(partner, query)))

    assert [row["Name"] for row in rows] == names


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused(page_for, coordinator, partner):
    PersonFactory(partner=partner, name='=HYPERLINK("http://evil.example","click")')
    PersonFactory(partner=partner, name="+44 trick")
    PersonFactory(partner=partner, name="@SUM(A1)")
    PersonFactory(partner=partner, name="-1+1")

    rows = rows_of(page_for(coordinator).get(people_url(partner)))

    assert sorted(row["Name"] for row in rows) == sorted(
        ['\'=HYPERLINK("http://evil.example","click")', "'+44 trick", "'@SUM(A1)", "'-1+1"]
    )


def test_supervisors_may_export_people(page_for, supervisor, partner):
    PersonFactory(partner=partner, name="Ada Active", active_mentor=True)

    assert [row["Name"] for row in rows_of(page_for(supervisor).get(people_url(partner)))] == ["Ada Active"]


def _people_export_queries(page, partner):
    with CaptureQueriesContext(connection) as queries:
        rows_of(page.get(people_url(partner)))
    return len(queries)


def test_people_export_runs_the_same_queries_for_few_and_many_people(page_for, coordinator, partner):
    page = page_for(coordinator)
    PersonFactory.create_batch(2, partner=partner, active_mentor=True)
    few = _people_export_queries(page, partner)
    PersonFactory.create_batch(30, partner=partner, active_mentor=True)
    PersonFactory.create_batch(10, partner=partner, applicant=True)

    assert _people_export_queries(page, partner) == few


# --- the compliance list -----------------------------------------------------------------------


def test_compliance_export_lists_active_mentors_with_their_state(page_for, coordinator, partner, other_partner):
    set_policy(partner, supervision_interval_days=28)
    PersonFactory(partner=partner, name="Ada Active", active_mentor=True)
    PersonFactory(partner=partner, name="Ben Applicant", applicant=True)
    PersonFactory(partner=other_partner, name="Otto Other", active_mentor=True)

    rows = rows_of(page_for(coordinator).get(compliance_url(partner)))

    assert [row["Name"] for row in rows] == ["Ada Active"]
    assert rows[0]["State"] in {"On time", "Due soon", "Overdue"}
    assert rows[0]["Supervision every (days)"] == "28"
    assert rows[0]["Last supervised"] == ""


def test_supervisors_may_export_compliance(page_for, supervisor, partner):
    PersonFactory(partner=partner, name="Ada Active", active_mentor=True)

    assert [row["Name"] for row in rows_of(page_for(supervisor).get(compliance_url(partner)))] == ["Ada Active"]


def _compliance_queries(page, partner):
    with CaptureQueriesContext(connection) as queries:
        rows_of(page.get(compliance_url(partner)))
    return len(queries)


def test_compliance_export_runs_the_same_queries_for_few_and_many_mentors(page_for, coordinator, partner):
    page = page_for(coordinator)
    PersonFactory.create_batch(2, partner=partner, active_mentor=True)
    few = _compliance_queries(page, partner)
    for mentor in PersonFactory.create_batch(20, partner=partner, active_mentor=True):
        SupervisionSessionFactory(partner=partner, supervisee=mentor, held=True)

    assert _compliance_queries(page, partner) == few


# --- a session register ------------------------------------------------------------------------


def test_register_lists_each_attendee_and_their_attendance_without_the_notes(page_for, coordinator, partner):
    session = SupervisionSessionFactory(partner=partner, held=True, notes="CONFIDENTIAL: a hard conversation.")
    SessionAttendance.objects.filter(session=session, person=session.supervisee).update(attendance="apologies")

    response = page_for(coordinator).get(register_url(partner, session))
    rows = rows_of(response)

    assert {(row["Name"], row["Role"], row["Attendance"]) for row in rows} == {
        (session.supervisor.name, "Supervisor", "Present"),
        (session.supervisee.name, "Supervisee", "Apologies"),
    }
    assert rows[0]["Session"] == "1:1 supervision"
    assert rows[0]["Session status"] == "Held"
    assert "CONFIDENTIAL" not in response.content.decode("utf-8-sig")


def test_register_of_a_group_session_names_the_group(page_for, coordinator, partner):
    session = SupervisionSessionFactory(partner=partner, group_session=True)

    rows = rows_of(page_for(coordinator).get(register_url(partner, session)))

    assert len(rows) == 4
    assert {row["Session"] for row in rows} == {f"Group supervision: {session.group.name}"}
    assert {row["Attendance"] for row in rows} == {"Not recorded"}


def test_a_supervisor_downloads_the_register_of_a_session_they_attend(page_for, supervisor, partner):
    own = person_of(supervisor, partner, mentor_status=None)
    session = SupervisionSessionFactory(partner=partner, supervisor=own)

    rows = rows_of(page_for(supervisor).get(register_url(partner, session)))

    assert supervisor.name in {row["Name"] for row in rows}


def test_a_supervisor_gets_404_for_a_session_they_do_not_attend(page_for, supervisor, partner):
    session = SupervisionSessionFactory(partner=partner)

    assert page_for(supervisor).get(register_url(partner, session)).status_code == 404


def test_another_partners_session_is_404(page_for, coordinator, partner, other_partner):
    foreign = SupervisionSessionFactory(partner=other_partner)

    assert page_for(coordinator).get(register_url(partner, foreign)).status_code == 404
    assert page_for(coordinator).get(register_url(other_partner, foreign)).status_code == 404
    missing = type("Missing", (), {"pk": uuid.uuid4()})()
    assert page_for(coordinator).get(register_url(partner, missing)).status_code == 404


def _register_queries(page, partner, session):
    with CaptureQueriesContext(connection) as queries:
        rows_of(page.get(register_url(partner, session)))
    return len(queries)


def test_register_runs_the_same_queries_for_few_and_many_attendees(page_for, coordinator, partner):
    page = page_for(coordinator)
    session = SupervisionSessionFactory(partner=partner, group_session=True)
    few = _register_queries(page, partner, session)
    for _ in range(12):
        SessionAttendanceFactory(partner=partner, session=session, attendance=SessionAttendance.Attendance.PRESENT)

    assert _register_queries(page, partner, session) == few


# --- who may download --------------------------------------------------------------------------


@pytest.fixture
def any_session(partner):
    return SupervisionSessionFactory(partner=partner)


@pytest.mark.parametrize("role_user", ["mentor_user", "trainer"])
def test_mentors_and_trainers_get_403_for_every_export(page_for, partner, any_session, role_user, request):
    page = page_for(request.getfixturevalue(role_user))

    for address in (people_url(partner), compliance_url(partner), register_url(partner, any_session)):
        assert page.get(address).status_code == 403, address


def test_another_partners_coordinator_gets_404_for_every_export(page_for, other_coordinator, partner, any_session):
    page = page_for(other_coordinator)

    for address in (people_url(partner), compliance_url(partner), register_url(partner, any_session)):
        assert page.get(address).status_code == 404, address


def test_a_mentor_on_the_register_still_gets_403(page_for, mentor_user, partner):
    own = person_of(mentor_user, partner, mentor_status=MentorStatus.ACTIVE)
    session = SupervisionSessionFactory(partner=partner, supervisee=own)

    assert page_for(mentor_user).get(register_url(partner, session)).status_code == 403
