"""Small helpers shared by the reminder kind tests."""

import icalendar
from django.core import mail

from reminders import dispatcher
from reminders.models import Reminder


def rows(kind):
    return list(Reminder.objects.filter(kind=kind).order_by("created_at", "dedupe_key"))


def send(now=None):
    """One dispatcher pass; returns the messages it sent."""
    before = len(mail.outbox)
    dispatcher.dispatch(now=now)
    return mail.outbox[before:]


def to(messages, address):
    found = [m for m in messages if m.to == [address]]
    assert len(found) == 1, f"{len(found)} messages to {address} in {[m.to for m in messages]}"
    return found[0]


def html(message):
    return next(body for body, mimetype in message.alternatives if mimetype == "text/html")


def calendar_of(message):
    """The .ics attached to a message, parsed."""
    (attachment,) = [a for a in message.attachments if a[2] == "text/calendar"]
    return icalendar.Calendar.from_ical(attachment[1])
