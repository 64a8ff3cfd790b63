"""What each kind of reminder says: its subjects, loaded in bulk, and its email.

Each kind registers a `Content`: `load(ids)` fetches the subjects of a batch
in one query, and `context(reminder, subject, now)` returns the template
context, or None when the reminder no longer applies (the licence was
extended, the session moved or was cancelled) and is to be cancelled rather
than sent. A message is rendered from the subject as it is *now*, never from
what it was when the reminder was planned.

Templates: reminders/<kind>.txt (plain text) and reminders/<kind>.html.
"""

from dataclasses import dataclass, field
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone


@dataclass(frozen=True)
class Content:
    kind: str
    load: object  # (ids) -> {id: subject}
    context: object  # (reminder, subject, now) -> dict | None
    attachments: object = field(default=None)  # (reminder, subject, context) -> [(filename, content, mimetype)]


CONTENT: dict[str, Content] = {}


def content(kind, *, load, attachments=None):
    """Register the context function of one kind."""

    def register(function):
        CONTENT[kind] = Content(kind=kind, load=load, context=function, attachments=attachments)
        return function

    return register


def load_subjects(reminders):
    """{(kind, subject id): subject} for a batch of reminders: one query per kind present."""
    ids_by_kind = {}
    for reminder in reminders:
        ids_by_kind.setdefault(reminder.kind, set()).add(reminder.subject_id)
    subjects = {}
    for kind, ids in ids_by_kind.items():
        entry = CONTENT.get(kind)
        if entry is None:
            continue
        for pk, subject in entry.load(ids).items():
            subjects[(kind, pk)] = subject
    return subjects


class NothingToSend(Exception):
    """The reminder no longer applies; it is cancelled with this reason."""


def build_message(reminder, subject, now, *, connection=None):
    """The email for one reminder, rendered from its subject as it stands; raises NothingToSend."""
    entry = CONTENT.get(reminder.kind)
    if entry is None:
        raise NothingToSend(f"No content is defined for {reminder.kind}.")
    if subject is None:
        raise NothingToSend("What it is about no longer exists or no longer applies.")
    address = reminder.recipient_address
    if not address:
        raise NothingToSend("The recipient has no email address.")
    context = entry.context(reminder, subject, now)
    if context is None:
        raise NothingToSend("It no longer applies.")
    context.setdefault("site_url", settings.TANDEM_SITE_URL)
    context.setdefault("recipient_name", _recipient_name(reminder))
    context.setdefault("reminder", reminder)
    message = EmailMultiAlternatives(
        subject=context["title"],
        body=render_to_string(f"reminders/{reminder.kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"X-Tandem-Reminder": str(reminder.pk)},
        connection=connection,
    )
    message.attach_alternative(render_to_string(f"reminders/{reminder.kind}.html", context), "text/html")
    if entry.attachments is not None:
        for attachment in entry.attachments(reminder, subject, context):
            message.attach(*attachment)
    return message


def _recipient_name(reminder):
    if reminder.recipient_user_id is not None and reminder.recipient_user.name:
        return reminder.recipient_user.name
    return ""


def site_link(path):
    return f"{settings.TANDEM_SITE_URL}/{path.lstrip('/')}"


def local(moment, time_zone):
    """An aware datetime in the partner's time zone, for display."""
    return timezone.localtime(moment, ZoneInfo(time_zone or settings.TIME_ZONE))


def days_phrase(days):
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def sender_address():
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "tandem@localhost"
