"""What each kind of reminder says: its subjects, loaded in bulk, and its email.

Each kind registers a `Content`: `load(ids)` fetches the subjects of a batch
in one query, and `context(reminder, subject, now)` returns the template
context, or None when the reminder no longer applies (the licence was
extended, the session moved or was cancelled) and is to be cancelled rather
than sent. A message is rendered from the subject as it is *now*, never from
what it was when the reminder was planned.

Templates: reminders/<kind>.txt (plain text) and reminders/<kind>.html.
"""

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.policy import Compat32
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template
from django.utils import timezone
from icalendar.parser import Contentline


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


def build_message(reminder, subject, now, *, connection=None, batch=None):
    """The email for one reminder, rendered from its subject as it stands; raises NothingToSend.

    `batch` (a Batch) shares its templates and attachments with the other messages of the batch; the message
    is the same, byte for byte, as the one rendered on its own.
    """
    batch = batch if batch is not None else Batch(())
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
    message = ReminderEmail(
        subject=context["title"],
        body=batch.template(f"reminders/{reminder.kind}.txt").render(context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"X-Tandem-Reminder": str(reminder.pk)},
        connection=connection,
    )
    message.attach_alternative(batch.template(f"reminders/{reminder.kind}.html").render(context), "text/html")
    if entry.attachments is not None:
        for attachment in batch.attachments(entry, reminder, subject, context):
            message.attach(*attachment)
    return message


class QuickFold(Compat32):
    """The compat32 policy Django's messages are written with, its fold written out directly for a header that
    needs none (plain ASCII, one line, short enough): compat32 builds a Header object for every header of every
    part to find that out, about a seventh of the CPU a reminder costs. Any other header is folded as before."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and self.max_line_length
            and len(name) + 2 + len(value) <= self.max_line_length
            and value.isascii()
            and "\r" not in value
            and "\n" not in value
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


QUICK_FOLD = QuickFold()


class ReminderEmail(EmailMultiAlternatives):
    """A reminder's email, written by the mail backend as any other, with two costs of the standard library's
    generator taken out: its multipart boundaries are chosen here (left to the generator, each one costs a
    regular expression compiled afresh to check it against the text; a random 128-bit boundary is as safe), and
    its headers are folded by QUICK_FOLD. The bytes are otherwise the same."""

    def message(self, *args, **kwargs):
        mime = super().message(*args, **kwargs)
        for part in mime.walk():
            part.policy = QUICK_FOLD
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(f"===============tandem-{uuid.uuid4().hex}==")
        return mime


class Batch:
    """The messages of one claimed batch, rendered with what they share made once.

    Each template is looked up once per batch. An attachment that depends on its reminder only through the
    recipient's address (a session's invitation, the same for every attendee but for the ATTENDEE line) is
    built once per subject with a stand-in address, and each recipient's address is written into a copy.
    Whatever reads more of the reminder, or an address that would be written differently, is built per
    message as before. The subjects are those of the batch as loaded now: nothing outlives the batch.
    """

    def __init__(self, reminders):
        self.subjects = load_subjects(reminders) if reminders else {}
        self._templates = {}
        self._attachments = {}

    def message(self, reminder, now, *, connection=None):
        subject = self.subjects.get((reminder.kind, reminder.subject_id))
        return build_message(reminder, subject, now, connection=connection, batch=self)

    def template(self, name):
        if name not in self._templates:
            self._templates[name] = get_template(name)
        return self._templates[name]

    def attachments(self, entry, reminder, subject, context):
        key = (entry.kind, subject.pk)
        if key not in self._attachments:
            self._attachments[key] = _shared_attachments(entry, subject)
        shared = self._attachments[key]
        address = reminder.recipient_address
        if shared is None or not _PLAIN_ADDRESS.fullmatch(address):
            return entry.attachments(reminder, subject, context)
        return [(filename, _addressed(content, address), mimetype) for filename, content, mimetype in shared]


# An address written as is in every format the attachments use (no quoting, escaping or encoding).
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")
_STAND_IN_ADDRESS = "stand-in.recipient@tandem.invalid"
_FOLD = re.compile(r"\r\n[ \t]")
_LOGICAL_LINE = re.compile(r"\r\n(?![ \t])")


class _NotShareable(Exception):
    pass


class _StandInReminder:
    """A reminder of which only the recipient's address can be read, and that address a stand-in."""

    recipient_address = _STAND_IN_ADDRESS

    def __getattr__(self, name):
        raise _NotShareable(name)


class _StandInContext(Mapping):
    def __getitem__(self, key):
        raise _NotShareable(key)

    def __iter__(self):
        raise _NotShareable("context")

    def __len__(self):
        raise _NotShareable("context")


def _shared_attachments(entry, subject):
    """`entry`'s attachments for `subject` addressed to the stand-in, or None if they cannot be shared."""
    try:
        attachments = [tuple(a) for a in entry.attachments(_StandInReminder(), subject, _StandInContext())]
    except Exception:
        # Not shareable (or failing): each message builds its own, and reports its own error.
        return None
    # Only calendars, whose text writes a plain address as it is, are shared.
    if not all(
        mimetype == "text/calendar" and isinstance(content, str) and _STAND_IN_ADDRESS not in filename
        for filename, content, mimetype in attachments
    ):
        return None
    return attachments


def _addressed(content, address):
    # iCalendar folds each content line at 75 octets: unfold the lines that hold the address and fold them
    # again with the address in, as icalendar would have written them.
    lines = []
    for line in _LOGICAL_LINE.split(content):
        unfolded = _FOLD.sub("", line)
        if _STAND_IN_ADDRESS in unfolded:
            line = Contentline(unfolded.replace(_STAND_IN_ADDRESS, address)).to_ical().decode()
        lines.append(line)
    return "\r\n".join(lines)


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
