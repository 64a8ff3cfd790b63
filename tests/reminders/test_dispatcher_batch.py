"""A batch renders what its messages share once, and sends exactly what each message would be on its own."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reminders import dispatcher, messages
from reminders.kinds import sessions
from reminders.models import Reminder
from supervision.models import SupervisionSession
from tests.reminders.helpers import calendar_of
from tests.supervision.factories import PersonFactory, SupervisionSessionFactory

pytestmark = pytest.mark.django_db

# Long enough that its ATTENDEE line is folded, so the address is written into a folded line.
LONG_ADDRESS = "a.supervisor.with.a.rather.long.address.for.folding@example.org"


@pytest.fixture
def fixed_now(monkeypatch):
    """One clock for every message: an invitation is stamped (DTSTAMP) with the time it is built."""
    now = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def _sessions(partner, count, *, first_supervisor_email=LONG_ADDRESS, prefix=""):
    starts = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=3)
    made = []
    for n in range(count):
        supervisor = PersonFactory(
            partner=partner,
            with_user=True,
            email=first_supervisor_email if n == 0 else f"{prefix}supervisor{n}@example.org",
        )
        supervisee = PersonFactory(partner=partner, active_mentor=True, email=f"{prefix}mentee{n}@example.org")
        made.append(
            SupervisionSessionFactory(
                partner=partner,
                supervisor=supervisor,
                supervisee=supervisee,
                starts_at=starts + timedelta(minutes=n),
                ends_at=starts + timedelta(hours=1, minutes=n),
                location="Room 2, the centre",
            )
        )
    return made


# icalendar gives each calendar it builds a fresh UID of its own (the event's UID is the session's).
CALENDAR_UID = re.compile(r"^UID:[0-9a-f-]{36}\r$", re.MULTILINE)


def _normalised(message):
    """The message as the mail server gets it, less what differs on every rendering (ids, dates, boundaries)."""
    text = CALENDAR_UID.sub("UID:<calendar>\r", message.message().as_string(linesep="\r\n")).encode()
    assert b"Content-Transfer-Encoding: 7bit" in text  # the calendar as it is written, not re-encoded
    text = re.sub(rb"Message-ID: <[^>]+>", b"Message-ID: <id>", text)
    text = re.sub(rb"Date: [^\r]+", b"Date: <date>", text)
    for boundary in set(re.findall(rb'boundary="([^"]+)"', text)):
        text = text.replace(boundary, b"<boundary>")
    return text


def _fields(message):
    return (
        message.subject,
        message.body,
        message.from_email,
        message.to,
        message.extra_headers,
        message.alternatives,
        [
            (name, CALENDAR_UID.sub("UID:<calendar>\r", content), mimetype)
            for name, content, mimetype in message.attachments
        ],
    )


def test_a_batch_renders_each_message_byte_for_byte_as_it_is_rendered_alone(monkeypatch, fixed_now, partner):
    _sessions(partner, 3)
    cancelled = _sessions(partner, 1, first_supervisor_email="cancelled.supervisor@example.org")[0]
    cancelled.status = SupervisionSession.Status.CANCELLED
    cancelled.cancelled_at = fixed_now
    cancelled.sequence += 1
    cancelled.save()
    sessions.plan_for(SupervisionSession.objects.all(), fixed_now)
    batch = dispatcher.claim(uuid.uuid4(), 100, fixed_now)
    assert len(batch) == 8  # three sessions coming up and one cancelled, two attendees each
    built = []
    invitation = sessions.invitation
    monkeypatch.setattr(sessions, "invitation", lambda *args: built.append(args[0].pk) or invitation(*args))

    alone = [
        messages.build_message(
            reminder, messages.load_subjects([reminder])[(reminder.kind, reminder.subject_id)], fixed_now
        )
        for reminder in batch
    ]
    built_alone, built[:] = list(built), []
    shared = messages.Batch(batch)
    together = [shared.message(reminder, fixed_now) for reminder in batch]

    assert len(built_alone) == 8 and sorted(built) == sorted(set(built_alone))  # one invitation per session
    for one, other in zip(alone, together, strict=True):
        assert _fields(other) == _fields(one)
        assert _normalised(other) == _normalised(one)
    long_one = next(m for m in together if m.to == [LONG_ADDRESS])
    assert "\r\n " in next(a[1] for a in long_one.attachments if LONG_ADDRESS[:20] in a[1])  # the line was folded
    (event,) = calendar_of(long_one).walk("VEVENT")
    assert event["ATTENDEE"] == f"mailto:{LONG_ADDRESS}"
    assert {str(calendar_of(m)["METHOD"]) for m in together} == {"REQUEST", "CANCEL"}


def test_an_address_that_is_not_plain_gets_an_invitation_built_for_it_alone(monkeypatch, fixed_now, partner):
    (session,) = _sessions(partner, 1, first_supervisor_email="o'brien@example.org")
    sessions.plan_session_upcoming(fixed_now)
    batch = dispatcher.claim(uuid.uuid4(), 100, fixed_now)

    together = [messages.Batch(batch).message(reminder, fixed_now) for reminder in batch]

    quoted = next(m for m in together if m.to == ["o'brien@example.org"])
    (event,) = calendar_of(quoted).walk("VEVENT")
    assert event["ATTENDEE"] == "mailto:o'brien@example.org"
    assert str(event["UID"]) == f"{session.pk}@tandem.test"


class _WorkerDied(BaseException):
    """Not a failure to send: the process ends here (a kill, an interpreter shutdown)."""


class DyingBackend(EmailBackend):
    """Delivers `survive` messages to mail.outbox, then dies while handing over the next one."""

    survive = 3

    def send_messages(self, messages):
        if len(mail.outbox) >= self.survive:
            raise _WorkerDied
        return super().send_messages(messages)


def test_a_pass_that_dies_mid_batch_leaves_the_sent_ones_sent_and_the_rest_pending_for_the_next(partner):
    _sessions(partner, 4)
    sessions.plan_session_upcoming(timezone.now())

    with pytest.raises(_WorkerDied):
        dispatcher.dispatch(connection=DyingBackend())

    sent = {message.extra_headers["X-Tandem-Reminder"] for message in mail.outbox}
    assert len(sent) == DyingBackend.survive
    assert {str(pk) for pk in Reminder.objects.filter(status=Reminder.Status.SENT).values_list("pk", flat=True)} == sent
    left = Reminder.objects.exclude(status=Reminder.Status.SENT)
    assert left.count() == 8 - DyingBackend.survive
    assert all(r.status == Reminder.Status.PENDING and r.attempts == 0 and r.claimed_by is None for r in left)

    assert dispatcher.dispatch().sent == 8 - DyingBackend.survive
    every = [message.extra_headers["X-Tandem-Reminder"] for message in mail.outbox]
    assert len(every) == len(set(every)) == 8


def test_a_batch_of_session_reminders_runs_one_query_per_message_and_a_constant_number_besides(partner):
    def queries_for(count):
        Reminder.objects.all().delete()
        prefix = f"{uuid.uuid4().hex[:8]}-"
        new = _sessions(partner, count, first_supervisor_email=f"{prefix}first@example.org", prefix=prefix)
        sessions.plan_session_upcoming(
            timezone.now(), sessions=SupervisionSession.objects.filter(pk__in=[s.pk for s in new])
        )
        with CaptureQueriesContext(connection) as captured:
            assert dispatcher.dispatch().sent == 2 * count
        return len(captured)

    queries_for(1)  # the mark-sent statement is prepared once per connection
    assert queries_for(6) - queries_for(2) == 8


class CommittedBeforeEachSendBackend(EmailBackend):
    """Before taking each message, checks from a connection of its own (which sees only what is committed)
    that every message it took before is marked sent. (Kept on the class: locmem deep-copies each message,
    with its backend.)"""

    witness = None
    unmarked_at_send = []

    def open(self):
        import psycopg

        settings = connection.settings_dict
        type(self).witness = psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            autocommit=True,
        )
        type(self).unmarked_at_send = []
        return super().open()

    def send_messages(self, messages):
        taken = [m.extra_headers["X-Tandem-Reminder"] for m in mail.outbox]
        if taken:
            marked = self.witness.execute(
                f"SELECT count(*) FROM {Reminder._meta.db_table} WHERE status = 'sent' AND id = ANY(%s::uuid[])",  # noqa: S608
                (taken,),
            ).fetchone()[0]
            self.unmarked_at_send.append(len(taken) - marked)
        return super().send_messages(messages)

    def close(self):
        self.witness.close()
        return super().close()


@pytest.mark.postgres
def test_each_message_is_marked_sent_and_committed_before_the_next_is_handed_to_the_mail_server(
    transactional_db, partner
):
    _sessions(partner, 5)
    sessions.plan_session_upcoming(timezone.now())
    mail.outbox = []
    backend = CommittedBeforeEachSendBackend()

    assert dispatcher.dispatch(connection=backend).sent == 10

    assert backend.unmarked_at_send == [0] * 9


@pytest.mark.postgres
def test_a_connection_that_lost_its_prepared_statements_still_marks_each_message_sent(transactional_db, partner):
    _sessions(partner, 1)
    sessions.plan_session_upcoming(timezone.now())
    assert dispatcher.dispatch().sent == 2
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a connection pooler's session reset does
    _sessions(partner, 1, first_supervisor_email="second.supervisor@example.org", prefix="second-")
    sessions.plan_session_upcoming(timezone.now())

    assert dispatcher.dispatch().sent == 2

    assert Reminder.objects.filter(status=Reminder.Status.SENT, attempts=1).count() == 4
    assert len(mail.outbox) == 4
