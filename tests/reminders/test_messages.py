"""A reminder's email is written as the standard library writes any email, only faster (reminders.messages)."""

import re
from email import message_from_bytes
from email.policy import compat32

from reminders.messages import ReminderEmail


def _email(subject, to):
    email = ReminderEmail(
        subject=subject,
        body="Hello Zoë,\n\nA reminder of your supervision session on Tuesday.\n",
        from_email="Tandem <reminders@tandem.test>",
        to=[to],
        headers={"X-Tandem-Reminder": "0b6c3d9e-7a51-4f7e-9a4e-2f1f0d3c9b11"},
    )
    email.attach_alternative("<p>Hello Zoë,</p><p>A reminder of your supervision session.</p>", "text/html")
    email.attach("invite.ics", "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", "text/calendar")
    return email


def test_the_bytes_are_those_the_standard_policy_writes_for_short_long_and_accented_headers():
    for subject, to in (
        ("Supervision tomorrow", "mentor@example.org"),
        ("Supervision tomorrow at 10:00 with your supervisor at the Northside Women's Centre, Room 2", "m@example.org"),
        ("Supervision demain à 10 h avec Zoë", "zoë@example.org"),
    ):
        mime = _email(subject, to).message()
        quick = mime.as_bytes(linesep="\r\n")
        for part in mime.walk():
            part.policy = compat32
        assert mime.as_bytes(linesep="\r\n") == quick
        assert message_from_bytes(quick)["Subject"] is not None


def test_each_multipart_has_a_boundary_of_its_own_that_its_text_does_not_contain():
    first, second = (_email("Supervision tomorrow", "mentor@example.org").message() for _ in range(2))
    boundaries = [part.get_boundary() for message in (first, second) for part in message.walk() if part.is_multipart()]
    assert len(boundaries) == 4 and len(set(boundaries)) == 4
    written = first.as_bytes(linesep="\r\n")
    for boundary in boundaries[:2]:
        # The boundary appears only as the boundary: its parameter, its delimiters and its closing delimiter.
        assert len(re.findall(re.escape(boundary.encode()), written)) == written.count(b"--" + boundary.encode()) + 1
    parsed = message_from_bytes(written)
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
