"""Supervision pages: the calendar, scheduling, a session's page (record, move, cancel, confirm) and peer groups.

Every read starts from `visible_to(request.user)` within the partner of the URL; every write is the service the
API calls (supervision.sessions.services), and its refusals come back as form errors next to the field.
Times are entered and shown in the partner's time zone.
"""

import calendar as month_names
import uuid
from datetime import date, datetime, time, timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotPermitted
from core.tenancy import COORDINATOR, SUPERVISOR, is_own_person
from supervision.incidents import services as incident_services
from supervision.models import (
    GroupMembership,
    MentorStatus,
    Person,
    SessionAction,
    SessionAttendance,
    SupervisionAssignment,
    SupervisionGroup,
    SupervisionSession,
    ToolkitProcess,
)
from supervision.sessions import agenda as mentor_agenda
from supervision.sessions import recurrence, services
from supervision.sessions.rules import Clash
from web.forms import ISO_DATETIME, DateInput, DateTimeInput, show_domain_error
from web.home import render_home
from web.partners import partner_page

Session = SupervisionSession
Group = SupervisionGroup
# A month's grid holds at most six weeks; more sessions than this in one view would be a calendar nobody reads.
CALENDAR_LIMIT = 500
GROUPS_PER_PAGE = 25
ACTION_ROWS = 3
DATETIME_FORMAT = ISO_DATETIME
# Domain fields that these forms show under another name.
SESSION_FIELDS = {"attendees": "starts_at", "rrule": "repeat", "ends": None, "kind": "kind", "scope": "scope"}


def in_partner_time_zone(view):
    """Form input and every time shown are the partner's wall-clock time."""

    @wraps(view)
    def wrapper(request, here, *args, **kwargs):
        with timezone.override(recurrence.zone(here.partner.time_zone)):
            return view(request, here, *args, **kwargs)

    return wrapper


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(label=label, widget=DateTimeInput(), input_formats=[DATETIME_FORMAT], **kwargs)


def _people(request, here):
    return (
        Person.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .exclude(mentor_status=MentorStatus.EXITED)
        .order_by("name")
    )


def _sessions(request, here):
    return Session.objects.visible_to(request.user).filter(partner=here.partner)


def _title(session):
    if session.kind == Session.Kind.GROUP:
        return f"Peer group: {session.group.name}"
    return f"1:1: {session.supervisee.name} with {session.supervisor.name}"


# --- calendar -------------------------------------------------------------------------


def _week_start(day):
    return day - timedelta(days=day.weekday())


def _parse_week(text, today):
    try:
        year, week = text.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except (AttributeError, ValueError):
        return _week_start(today)


def _parse_month(text, today):
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except (AttributeError, ValueError):
        return today.replace(day=1)


def _iso_week(day):
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _shift_month(first, months):
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@partner_page(COORDINATOR, SUPERVISOR)
@in_partner_time_zone
def calendar(request, here):
    tz = recurrence.zone(here.partner.time_zone)
    today = timezone.localdate()
    if request.GET.get("view") == "month":
        first = _parse_month(request.GET.get("month"), today)
        last = _shift_month(first, 1) - timedelta(days=1)
        grid_start, grid_end = _week_start(first), _week_start(last) + timedelta(days=6)
        title = f"{month_names.month_name[first.month]} {first.year}"
        previous = f"?view=month&month={_shift_month(first, -1):%Y-%m}"
        following = f"?view=month&month={_shift_month(first, 1):%Y-%m}"
        other_view = f"?week={_iso_week(today if first <= today <= last else first)}"
        view = "month"
    else:
        first = grid_start = _parse_week(request.GET.get("week"), today)
        grid_end = last = first + timedelta(days=6)
        title = f"Week of {first:%-d %B %Y}"
        previous = f"?week={_iso_week(first - timedelta(days=7))}"
        following = f"?week={_iso_week(first + timedelta(days=7))}"
        # The month holding most of the week (its Thursday, as ISO weeks count).
        other_view = f"?view=month&month={first + timedelta(days=3):%Y-%m}"
        view = "week"
    starts = datetime.combine(grid_start, time.min, tzinfo=tz)
    ends = datetime.combine(grid_end + timedelta(days=1), time.min, tzinfo=tz)
    sessions = list(
        _sessions(request, here)
        .filter(starts_at__gte=starts, starts_at__lt=ends)
        .select_related("group", "supervisor", "supervisee")
        .order_by("starts_at", "pk")[:CALENDAR_LIMIT]
    )
    by_day = {}
    for session in sessions:
        session.title = _title(session)
        session.is_cancelled = session.status == Session.Status.CANCELLED
        by_day.setdefault(timezone.localtime(session.starts_at).date(), []).append(session)
    days = [
        {
            "date": grid_start + timedelta(days=offset),
            "sessions": by_day.get(grid_start + timedelta(days=offset), []),
            "is_today": grid_start + timedelta(days=offset) == today,
            "in_month": first <= grid_start + timedelta(days=offset) <= last,
        }
        for offset in range((grid_end - grid_start).days + 1)
    ]
    return render(
        request,
        "web/sessions/calendar.html",
        {
            "here": here,
            "nav": "calendar",
            "view": view,
            "title": title,
            "days": days,
            "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
            "weekday_names": list(month_names.day_name),
            "previous": previous,
            "following": following,
            "other_view": other_view,
            "this_period": "?view=month" if view == "month" else "?",
            "time_zone": here.partner.time_zone,
            "can_schedule": True,
            "truncated": len(sessions) == CALENDAR_LIMIT,
        },
    )


# --- scheduling -----------------------------------------------------------------------

NO_REPEAT = ""
REPEAT_CHOICES = [
    (NO_REPEAT, "Does not repeat"),
    (recurrence.WEEKLY, "Every week, on the same day"),
    (recurrence.FORTNIGHTLY, "Every fortnight, on the same day"),
    (recurrence.MONTHLY_NTH_WEEKDAY, "Every month, on the same weekday (for example the second Tuesday)"),
]


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of session",
        choices=[(Session.Kind.ONE_TO_ONE, "1:1 supervision"), (Session.Kind.GROUP, "Peer group session")],
        widget=forms.RadioSelect,
        initial=Session.Kind.ONE_TO_ONE,
    )
    supervisor = forms.ModelChoiceField(
        label="Supervisor", queryset=Person.objects.none(), required=False, empty_label="Choose the supervisor"
    )
    supervisee = forms.ModelChoiceField(
        label="Supervisee",
        queryset=Person.objects.none(),
        required=False,
        empty_label="Choose the supervisee",
        help_text="For a 1:1 session.",
    )
    group = forms.ModelChoiceField(
        label="Peer group",
        queryset=Group.objects.none(),
        required=False,
        empty_label="Choose an active group",
        help_text="For a peer group session.",
    )
    starts_at = _datetime_field("Starts")
    ends_at = _datetime_field("Ends")
    location = forms.CharField(label="Place or meeting link", max_length=300, required=False)
    process = forms.ModelChoiceField(
        label="Toolkit process",
        queryset=ToolkitProcess.objects.none(),
        required=False,
        empty_label="Not chosen yet",
        help_text="The process from the toolkit the session follows; the facilitator can choose it later.",
    )
    repeat = forms.ChoiceField(label="Repeat", choices=REPEAT_CHOICES, required=False)
    until = forms.DateField(
        label="Repeat until", required=False, widget=DateInput(), help_text="The date of the last session."
    )
    count = forms.IntegerField(
        label="Or: number of sessions",
        required=False,
        min_value=1,
        max_value=recurrence.MAX_OCCURRENCES,
        help_text="Give an end date or a number of sessions, not both.",
    )

    def __init__(self, *args, supervisors, supervisees, groups, processes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors
        self.fields["supervisee"].queryset = supervisees
        self.fields["group"].queryset = groups
        if processes.exists():
            self.fields["process"].queryset = processes
        else:
            del self.fields["process"]

    def clean(self):
        data = super().clean()
        if data.get("repeat") and (data.get("until") is None) == (data.get("count") is None):
            self.add_error("until", "Say when the repeats end: give an end date or a number of sessions.")
        return data


@partner_page(COORDINATOR, SUPERVISOR)
@in_partner_time_zone
def session_new(request, here):
    people = _people(request, here)
    groups = Group.objects.visible_to(request.user).filter(partner=here.partner).active().order_by("name")
    own = people.filter(user=request.user).first()
    supervisees = people
    if not here.has(COORDINATOR):
        # A supervisor books 1:1s with the supervisees currently assigned to them (the service checks it too).
        assigned = (
            SupervisionAssignment.objects.visible_to(request.user).current().filter(supervisor__user=request.user)
        )
        supervisees = people.filter(pk__in=assigned.values("supervisee_id"))
    form = ScheduleForm(
        request.POST or None,
        supervisors=people.staff(),
        supervisees=supervisees,
        groups=groups,
        processes=_processes(request, here),
        initial={"supervisor": own} if own and here.has(SUPERVISOR) else None,
    )
    clash = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kind = data["kind"]
        parties = (
            {"group": data["group"]}
            if kind == Session.Kind.GROUP
            else {"supervisor": data["supervisor"], "supervisee": data["supervisee"]}
        )
        common = {
            "by": request.user,
            "partner": here.partner,
            "kind": kind,
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "location": data["location"],
            "process": data.get("process"),
            **parties,
        }
        try:
            if data["repeat"]:
                rule = recurrence.plain_rrule(
                    data["repeat"],
                    timezone.localtime(data["starts_at"]).date(),
                    until=data["until"],
                    count=data["count"],
                )
                _series, sessions = services.schedule_series(rrule=rule, **common)
                words = recurrence.repeat_words(data["repeat"], timezone.localtime(data["starts_at"]).date())
                messages.success(request, f"{len(sessions)} sessions booked, {words}.")
                first = sessions[0]
            else:
                first = services.schedule_session(**common)
                messages.success(request, "Session booked.")
            return redirect("session-detail", here.partner.slug, first.pk)
        except DomainError as error:
            show_domain_error(form, error, fields=SESSION_FIELDS)
            if isinstance(error, Clash) and error.session.partner_id == here.partner.pk:
                clash = error.session
    return render(
        request,
        "web/sessions/new.html",
        {"here": here, "nav": "calendar", "form": form, "clash": clash},
        status=400 if form.errors else 200,
    )


# --- a session's page -----------------------------------------------------------------


def _processes(request, here):
    return ToolkitProcess.objects.visible_to(request.user).filter(partner=here.partner).order_by("name", "pk")


def _session(request, here, session_id):
    queryset = (
        _sessions(request, here).with_parties().with_notes_visibility(request.user).select_related("series", "process")
    )
    return get_object_or_404(queryset, pk=session_id)


def _incident_url(here, incident):
    try:
        return reverse("incident-detail", args=[here.partner.slug, incident.pk])
    except NoReverseMatch:
        return None


class ConfirmForm(forms.Form):
    comment = forms.CharField(
        label="Your comment on the record",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: anything you see differently, in your own words.",
    )


class ChooseProcessForm(forms.Form):
    process = forms.ModelChoiceField(
        label="Process for this session",
        queryset=ToolkitProcess.objects.none(),
        required=False,
        empty_label="None chosen",
    )

    def __init__(self, *args, processes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = processes


def _detail_context(request, here, session, confirm_form=None, process_form=None):
    user = request.user
    try:
        # The agenda the API serves: titles only here, the description stays behind the incident's own page.
        readable = incident_services.agenda_for(by=user, session=session)
    except NotPermitted:
        agenda = None
    else:
        agenda = [
            {"incident": incident, "url": _incident_url(here, incident)}
            for incident in readable.select_related("rule")[:50]
        ]
    scheduled = session.status == Session.Status.SCHEDULED
    recorded = session.status in (Session.Status.HELD, Session.Status.MISSED)
    mentoring = None
    if session.is_one_to_one and session.supervisee_id and session.status != Session.Status.CANCELLED:
        until = min(timezone.localtime(session.starts_at).date(), timezone.localdate())
        mentoring = {
            "contacts": mentor_agenda.recent_contacts(user, session.supervisee, until=until),
            "concerns": mentor_agenda.flagged_concerns(user, session.supervisee, until=until),
            "days": mentor_agenda.RECENT_CONTACT_DAYS,
        }
    return {
        "here": here,
        "nav": "calendar",
        "session": session,
        "title": _title(session),
        "attendances": list(session.attendances.all()),
        "actions": list(SessionAction.objects.visible_to(user).filter(session=session).select_related("owner")),
        "agenda": agenda,
        "mentoring": mentoring,
        "can_record": services.may_record(user, session)
        and session.status != Session.Status.CANCELLED
        and session.confirmed_at is None,
        "can_change": scheduled and here.has(COORDINATOR, SUPERVISOR),
        "can_confirm": session.is_one_to_one
        and recorded
        and session.confirmed_at is None
        and is_own_person(user, session.supervisee),
        "confirm_form": confirm_form or ConfirmForm(),
        "time_zone": here.partner.time_zone,
        "sees_calendar": here.has(COORDINATOR, SUPERVISOR),
        # The facilitator (or the supervisor, a coordinator) picks the process before the session.
        "process_form": process_form
        or (
            ChooseProcessForm(processes=_processes(request, here), initial={"process": session.process_id})
            if scheduled and services.may_record(user, session)
            else None
        ),
    }


@partner_page()
@in_partner_time_zone
def session_detail(request, here, session_id):
    session = _session(request, here, session_id)
    return render(request, "web/sessions/detail.html", _detail_context(request, here, session))


@partner_page()
@require_POST
@in_partner_time_zone
def session_confirm(request, here, session_id):
    session = _session(request, here, session_id)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.confirm_session(by=request.user, session=session, comment=form.cleaned_data["comment"])
            messages.success(request, "Thank you: you have confirmed the record.")
            return redirect("session-detail", here.partner.slug, session.pk)
        except DomainError as error:
            show_domain_error(form, error, fields={"comment": "comment"})
    return render(
        request, "web/sessions/detail.html", _detail_context(request, here, session, confirm_form=form), status=400
    )


@partner_page()
@require_POST
@in_partner_time_zone
def session_process(request, here, session_id):
    session = _session(request, here, session_id)
    form = ChooseProcessForm(request.POST, processes=_processes(request, here))
    if form.is_valid():
        try:
            services.choose_process(by=request.user, session=session, process=form.cleaned_data["process"])
            process = form.cleaned_data["process"]
            messages.success(request, f"This session follows “{process.name}”." if process else "No process chosen.")
            return redirect("session-detail", here.partner.slug, session.pk)
        except NotPermitted as error:
            raise PermissionDenied(error.message)
        except DomainError as error:
            show_domain_error(form, error)
    return render(
        request,
        "web/sessions/detail.html",
        _detail_context(request, here, session, process_form=form),
        status=400,
    )


ATTENDANCE_CHOICES = [
    (SessionAttendance.Attendance.PRESENT, "Present"),
    (SessionAttendance.Attendance.APOLOGIES, "Sent apologies"),
    (SessionAttendance.Attendance.ABSENT, "Absent"),
]


class RecordForm(forms.Form):
    status = forms.ChoiceField(
        label="Did the session take place?",
        choices=[(Session.Status.HELD, "Yes, it was held"), (Session.Status.MISSED, "No, it was missed")],
        widget=forms.RadioSelect,
        initial=Session.Status.HELD,
    )
    process = forms.ModelChoiceField(
        label="Toolkit process used",
        queryset=ToolkitProcess.objects.none(),
        required=False,
        empty_label="None from the toolkit",
    )
    toolkit_process = forms.CharField(
        label="Another process, by name",
        max_length=200,
        required=False,
        help_text="A process outside your toolkit, for example “Reflective cycle”.",
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Only the people at the session and the coordinators can read these.",
    )

    def __init__(self, *args, attendances, processes, **kwargs):
        super().__init__(*args, **kwargs)
        self.attendances = attendances
        if processes.exists():
            self.fields["process"].queryset = processes
        else:
            # No toolkit yet: the process is named in words, as before the partner kept one.
            del self.fields["process"]
            self.fields["toolkit_process"].label = "Toolkit process used"
            self.fields["toolkit_process"].help_text = "The process you followed, for example “Reflective cycle”."
        for row in attendances:
            self.fields[f"attendance_{row.person_id}"] = forms.ChoiceField(
                label=row.person.name,
                choices=ATTENDANCE_CHOICES,
                widget=forms.RadioSelect,
                initial=row.attendance or SessionAttendance.Attendance.PRESENT,
            )
        owners = [("", "Nobody (leave this action out)")] + [
            (str(row.person_id), row.person.name) for row in attendances
        ]
        for index in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{index}_description"] = forms.CharField(
                label=f"Action {index}: what was agreed", required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"action_{index}_owner"] = forms.ChoiceField(
                label=f"Action {index}: who does it", choices=owners, required=False
            )
            self.fields[f"action_{index}_due_on"] = forms.DateField(
                label=f"Action {index}: due by", required=False, widget=DateInput()
            )

    def attendance_fields(self):
        return [self[f"attendance_{row.person_id}"] for row in self.attendances]

    def action_rows(self):
        return [
            [self[f"action_{index}_{part}"] for part in ("description", "owner", "due_on")]
            for index in range(1, ACTION_ROWS + 1)
        ]

    def clean(self):
        data = super().clean()
        for index in range(1, ACTION_ROWS + 1):
            parts = {part: data.get(f"action_{index}_{part}") for part in ("description", "owner", "due_on")}
            if any(parts.values()):
                for part, value in parts.items():
                    if not value:
                        self.add_error(f"action_{index}_{part}", "Give what, who and by when for each action.")
        return data

    def service_arguments(self):
        data = self.cleaned_data
        actions = []
        for index in range(1, ACTION_ROWS + 1):
            if data.get(f"action_{index}_description"):
                actions.append(
                    {
                        "owner": data[f"action_{index}_owner"],
                        "description": data[f"action_{index}_description"],
                        "due_on": data[f"action_{index}_due_on"],
                    }
                )
        return {
            "status": data["status"],
            "attendance": [
                {"person": row.person_id, "attendance": data[f"attendance_{row.person_id}"]} for row in self.attendances
            ],
            "notes": data["notes"],
            "process": data.get("process"),
            # The name of a process from the toolkit is the process's own; a typed name is for another one.
            "toolkit_process": None if data.get("process") else data["toolkit_process"],
            "actions": [{**action, "owner": uuid.UUID(action["owner"])} for action in actions],
        }


@partner_page()
@in_partner_time_zone
def session_record(request, here, session_id):
    session = _session(request, here, session_id)
    if not services.may_record(request.user, session):
        # The same answer the API gives: the session is visible, recording it is not theirs.
        raise PermissionDenied("The partner's coordinators, the supervisor or the facilitator record a session.")
    attendances = list(session.attendances.all())
    initial = {
        "notes": session.notes if session.notes_visible else "",
        "process": session.process_id,
        "toolkit_process": "" if session.process_id else session.toolkit_process,
    }
    if session.status in (Session.Status.HELD, Session.Status.MISSED):
        initial["status"] = session.status
    form = RecordForm(
        request.POST or None, attendances=attendances, processes=_processes(request, here), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_session(by=request.user, session=session, **form.service_arguments())
            messages.success(request, "The session is recorded.")
            return redirect("session-detail", here.partner.slug, session.pk)
        except DomainError as error:
            show_domain_error(form, error, fields={"owner": "action_1_owner", "description": "action_1_description"})
    return render(
        request,
        "web/sessions/record.html",
        {"here": here, "nav": "calendar", "session": session, "title": _title(session), "form": form},
        status=400 if form.errors else 200,
    )


SCOPE_CHOICES = [(services.THIS, "This session only"), (services.FOLLOWING, "This session and the following ones")]


class CancelForm(forms.Form):
    reason = forms.CharField(label="Why is it cancelled?", max_length=300, required=False)
    scope = forms.ChoiceField(
        label="Which sessions", choices=SCOPE_CHOICES, widget=forms.RadioSelect, initial=services.THIS
    )

    def __init__(self, *args, in_series, **kwargs):
        super().__init__(*args, **kwargs)
        if not in_series:
            del self.fields["scope"]


class MoveForm(CancelForm):
    starts_at = _datetime_field("New start")
    ends_at = _datetime_field("New end")
    location = forms.CharField(label="Place or meeting link", max_length=300, required=False)

    field_order = ["starts_at", "ends_at", "location", "scope"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["reason"]


def _change_page(request, here, session_id, *, form_class, template, apply, done):
    session = _session(request, here, session_id)
    if not here.has(COORDINATOR, SUPERVISOR):
        raise PermissionDenied("Only coordinators and supervisors change sessions.")
    initial = {
        "starts_at": timezone.localtime(session.starts_at),
        "ends_at": timezone.localtime(session.ends_at),
        "location": session.location,
    }
    form = form_class(request.POST or None, in_series=session.series_id is not None, initial=initial)
    clash = None
    if request.method == "POST" and form.is_valid():
        try:
            apply(session, form.cleaned_data)
            messages.success(request, done)
            return redirect("session-detail", here.partner.slug, session.pk)
        except DomainError as error:
            show_domain_error(form, error, fields=SESSION_FIELDS)
            if isinstance(error, Clash) and error.session.partner_id == here.partner.pk:
                clash = error.session
    return render(
        request,
        template,
        {
            "here": here,
            "nav": "calendar",
            "session": session,
            "title": _title(session),
            "form": form,
            "clash": clash,
            "time_zone": here.partner.time_zone,
        },
        status=400 if form.errors else 200,
    )


@partner_page(COORDINATOR, SUPERVISOR)
@in_partner_time_zone
def session_cancel(request, here, session_id):
    def apply(session, data):
        services.cancel_session(
            by=request.user, session=session, scope=data.get("scope") or services.THIS, reason=data["reason"]
        )

    return _change_page(
        request,
        here,
        session_id,
        form_class=CancelForm,
        template="web/sessions/cancel.html",
        apply=apply,
        done="The session is cancelled; the people invited will be told.",
    )


@partner_page(COORDINATOR, SUPERVISOR)
@in_partner_time_zone
def session_move(request, here, session_id):
    def apply(session, data):
        services.reschedule_session(
            by=request.user,
            session=session,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            location=data["location"],
            scope=data.get("scope") or services.THIS,
        )

    return _change_page(
        request,
        here,
        session_id,
        form_class=MoveForm,
        template="web/sessions/move.html",
        apply=apply,
        done="The session is moved; the people invited will be told.",
    )


# --- peer groups ----------------------------------------------------------------------


def _groups(request, here):
    """The partner's own groups and the external groups it is a guest of."""
    guest_of = Group.guest_partners.through.objects.filter(partner=here.partner).values("supervisiongroup_id")
    return Group.objects.visible_to(request.user).filter(Q(partner=here.partner) | Q(pk__in=guest_of))


@partner_page(COORDINATOR)
def groups(request, here):
    rows = (
        _groups(request, here)
        .select_related("partner")
        .annotate(member_count=Count("memberships", filter=Q(memberships__consented_at__isnull=False)))
        .order_by("name", "pk")
    )
    page = Paginator(rows, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/groups/list.html", {"here": here, "nav": "groups", "page_obj": page})


class GroupForm(forms.Form):
    name = forms.CharField(label="Name of the group", max_length=200)
    kind = forms.ChoiceField(
        label="Who can join",
        choices=[
            (Group.Kind.INTERNAL, "Our own people only"),
            (Group.Kind.EXTERNAL, "People of other partners too (each with their own coordinator's consent)"),
        ],
        widget=forms.RadioSelect,
        initial=Group.Kind.INTERNAL,
    )


@partner_page(COORDINATOR)
def group_new(request, here):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.create_group(by=request.user, partner=here.partner, **form.cleaned_data)
            messages.success(request, f"“{group.name}” is set up. Add its members, then activate it.")
            return redirect("group-detail", here.partner.slug, group.pk)
        except DomainError as error:
            show_domain_error(form, error)
    return render(
        request,
        "web/groups/new.html",
        {"here": here, "nav": "groups", "form": form},
        status=400 if form.errors else 200,
    )


class MemberForm(forms.Form):
    person = forms.ModelChoiceField(label="Person", queryset=Person.objects.none(), empty_label="Choose a person")
    opted_in_on = forms.DateField(
        label="Date on their signed opt-in", widget=DateInput(), help_text="Joining a peer group is voluntary."
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class InviteForm(forms.Form):
    person = forms.ModelChoiceField(
        label="Person to invite",
        queryset=Person.objects.none(),
        empty_label="Choose a person",
        help_text="They accept or decline from their home page.",
    )

    def __init__(self, *args, people, **kwargs):
        # The fields of the two forms on the group's page have ids of their own.
        kwargs.setdefault("prefix", "invite")
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


def _group(request, here, group_id):
    return get_object_or_404(_groups(request, here).select_related("partner").with_members(), pk=group_id)


def _group_page(request, here, group, *, member_form=None, invite_form=None, activation=None, status=200):
    own_people = _people(request, here).exclude(group_memberships__group=group)
    invited = [i for i in group.pending_invitations if i.person.partner_id == here.partner.pk]
    members = []
    for membership in group.memberships.all():
        # Until their own coordinator consents, who a proposed guest member is stays their partner's business.
        known = membership.consented or membership.person.partner_id == here.partner.pk
        members.append(
            {
                "membership": membership,
                "name": membership.person.name if known else "Awaiting their coordinator's consent",
                "may_consent": not membership.consented and membership.person.partner_id == here.partner.pk,
            }
        )
    upcoming = list(
        Session.objects.visible_to(request.user)
        .filter(group=group, status=Session.Status.SCHEDULED, starts_at__gte=timezone.now())
        .select_related("facilitator")
        .order_by("starts_at", "pk")[:8]
    )
    with timezone.override(recurrence.zone(group.partner.time_zone)):
        return render(
            request,
            "web/groups/detail.html",
            {
                "here": here,
                "nav": "groups",
                "group": group,
                "owned": group.partner_id == here.partner.pk,
                "members": members,
                "turns": [m["membership"] for m in members if m["membership"].consented],
                "upcoming": upcoming,
                "member_form": member_form or MemberForm(people=own_people),
                "invite_form": invite_form
                or InviteForm(people=own_people.exclude(pk__in=[i.person_id for i in invited])),
                "invited": invited,
                "activation": activation,
                "is_forming": group.status == Group.Status.FORMING,
                "is_closed": group.status == Group.Status.CLOSED,
            },
            status=status,
        )


@partner_page(COORDINATOR)
def group_detail(request, here, group_id):
    return _group_page(request, here, _group(request, here, group_id))


@partner_page(COORDINATOR)
@require_POST
def group_add_member(request, here, group_id):
    group = _group(request, here, group_id)
    form = MemberForm(request.POST, people=_people(request, here).exclude(group_memberships__group=group))
    if form.is_valid():
        tz = recurrence.zone(here.partner.time_zone)
        opted_in_at = datetime.combine(form.cleaned_data["opted_in_on"], time.min, tzinfo=tz)
        person = form.cleaned_data["person"]
        try:
            services.add_member(by=request.user, group=group, person=person, opted_in_at=opted_in_at)
            messages.success(request, f"{person.name} is a member of “{group.name}”.")
            return redirect("group-detail", here.partner.slug, group.pk)
        except DomainError as error:
            show_domain_error(form, error, fields={"opted_in_at": "opted_in_on"})
    return _group_page(request, here, _group(request, here, group_id), member_form=form, status=400)


@partner_page(COORDINATOR)
@require_POST
def group_consent(request, here, group_id, person_id):
    group = _group(request, here, group_id)
    membership = get_object_or_404(
        GroupMembership.objects.filter(group=group, person__partner=here.partner).select_related("person"),
        person_id=person_id,
    )
    try:
        services.consent_member(by=request.user, group=group, person=membership.person)
    except DomainError as error:
        return _group_page(request, here, _group(request, here, group_id), activation=_messages(error), status=400)
    messages.success(request, f"You have consented to {membership.person.name} joining “{group.name}”.")
    return redirect("group-detail", here.partner.slug, group.pk)


@partner_page(COORDINATOR)
@require_POST
def group_invite(request, here, group_id):
    group = _group(request, here, group_id)
    form = InviteForm(request.POST, people=_people(request, here).exclude(group_memberships__group=group))
    if form.is_valid():
        person = form.cleaned_data["person"]
        try:
            services.invite_member(by=request.user, group=group, person=person)
            messages.success(request, f"{person.name} is invited to “{group.name}”; they answer from their home page.")
            return redirect("group-detail", here.partner.slug, group.pk)
        except DomainError as error:
            show_domain_error(form, error)
    return _group_page(request, here, _group(request, here, group_id), invite_form=form, status=400)


def _answer(request, here, group_id, *, answer, done, refused):
    """Join, decline or leave a group from one's home page: the service decides whose the answer is."""
    group = _group(request, here, group_id)
    try:
        answer(by=request.user, group=group)
    except DomainError as error:
        problem = {"title": refused.format(group=group.name), "messages": _messages(error)}
        return render_home(request, here, problem=problem, status=400)
    messages.success(request, done.format(group=group.name))
    return redirect("partner-home", here.partner.slug)


@partner_page()
@require_POST
def group_join(request, here, group_id):
    return _answer(
        request,
        here,
        group_id,
        answer=services.join_group,
        done="You have joined “{group}”. Its sessions are in your calendar.",
        refused="You could not join “{group}”",
    )


@partner_page()
@require_POST
def group_decline(request, here, group_id):
    return _answer(
        request,
        here,
        group_id,
        answer=services.decline_invitation,
        done="You have declined the invitation to “{group}”.",
        refused="The invitation to “{group}” could not be declined",
    )


@partner_page()
@require_POST
def group_leave(request, here, group_id):
    return _answer(
        request,
        here,
        group_id,
        answer=services.leave_group,
        done="You have left “{group}”.",
        refused="You could not leave “{group}”",
    )


def _messages(error):
    unmet = getattr(error, "unmet", None)
    return [item.message for item in unmet] if unmet else [error.message]


@partner_page(COORDINATOR)
@require_POST
def group_activate(request, here, group_id):
    group = _group(request, here, group_id)
    try:
        services.activate_group(by=request.user, group=group)
    except DomainError as error:
        return _group_page(request, here, _group(request, here, group_id), activation=_messages(error), status=400)
    messages.success(request, f"“{group.name}” is active: you can now schedule its sessions.")
    return redirect("group-detail", here.partner.slug, group.pk)


urlpatterns = [
    path("calendar/", calendar, name="calendar"),
    path("sessions/new/", session_new, name="session-new"),
    path("sessions/<uuid:session_id>/", session_detail, name="session-detail"),
    path("sessions/<uuid:session_id>/record/", session_record, name="session-record"),
    path("sessions/<uuid:session_id>/cancel/", session_cancel, name="session-cancel"),
    path("sessions/<uuid:session_id>/move/", session_move, name="session-move"),
    path("sessions/<uuid:session_id>/confirm/", session_confirm, name="session-confirm"),
    path("sessions/<uuid:session_id>/process/", session_process, name="session-process"),
    path("groups/", groups, name="groups"),
    path("groups/new/", group_new, name="group-new"),
    path("groups/<uuid:group_id>/", group_detail, name="group-detail"),
    path("groups/<uuid:group_id>/members/", group_add_member, name="group-add-member"),
    path("groups/<uuid:group_id>/members/<uuid:person_id>/consent/", group_consent, name="group-consent"),
    path("groups/<uuid:group_id>/activate/", group_activate, name="group-activate"),
    path("groups/<uuid:group_id>/invite/", group_invite, name="group-invite"),
    path("groups/<uuid:group_id>/join/", group_join, name="group-join"),
    path("groups/<uuid:group_id>/decline/", group_decline, name="group-decline"),
    path("groups/<uuid:group_id>/leave/", group_leave, name="group-leave"),
]
