"""A course's sessions and their attendance registers: adding a session with the units it covers, taking the
register for every enrolled learner in one form, and a printable register.

Each page runs the same few queries however many learners the course has: the session, its units, the enrolments
and their attendance, each read once.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone

from core.errors import DomainError
from franchise.models import Unit
from training import services
from training.models import CourseAttendance, CourseSession, Enrolment
from web.forms import DateInput, show_refusal
from web.partners import partner_page
from web.training.courses import COURSE_ROLES, course_for, may_manage

ATTENDANCE_CHOICES = [
    (CourseAttendance.Status.PRESENT, "Present"),
    (CourseAttendance.Status.APOLOGIES, "Apologies"),
    (CourseAttendance.Status.ABSENT, "Absent"),
]
ATTENDANCE_WORDS = dict(ATTENDANCE_CHOICES)


class UnitChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.code} {unit.title}"


class SessionForm(forms.Form):
    topic = forms.CharField(label="Topic", max_length=200)
    date = forms.DateField(label="Date", widget=DateInput())
    starts_at = forms.TimeField(label="Starts", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends_at = forms.TimeField(label="Ends", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    units = UnitChoice(
        label="Units covered",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units


@partner_page(*COURSE_ROLES)
def session_new(request, here, course_id):
    course = course_for(request, here, course_id)
    units = Unit.objects.filter(programme_id=course.programme_id).order_by("position", "code")
    form = SessionForm(
        request.POST or None,
        units=units,
        initial={"date": max(course.starts_on, min(timezone.localdate(), course.ends_on)), "units": list(units)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.create_session(by=request.user, course=course, **form.cleaned_data)
            messages.success(request, f"“{session.topic}” is added on {session.date:%-d %B %Y}.")
            return redirect("course-detail", here.partner.slug, course.pk)
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
    return render(
        request,
        "web/training/session_new.html",
        {"nav": "courses", "course": course, "form": form, "manages": may_manage(request.user, course)},
        status=400 if form.errors else 200,
    )


# --- the register -------------------------------------------------------------------------------------------


def _session(request, here, session_id):
    sessions = (
        CourseSession.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .select_related("course__programme", "course__lead_trainer")
        .prefetch_related(Prefetch("units", queryset=Unit.objects.order_by("position", "code")))
    )
    return get_object_or_404(sessions, pk=session_id)


def _register_rows(session):
    """Every learner holding a place, with what is recorded for them at this session (two queries)."""
    enrolments = list(
        Enrolment.objects.filter(course_id=session.course_id)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("learner")
        .order_by("learner__name", "pk")
    )
    recorded = dict(CourseAttendance.objects.filter(session=session).values_list("enrolment_id", "status"))
    return [
        {"enrolment": e, "status": recorded.get(e.pk), "words": ATTENDANCE_WORDS.get(recorded.get(e.pk))}
        for e in enrolments
    ]


class RegisterForm(forms.Form):
    """One choice per learner, all in one form: the register is taken once, at the end of the session."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[self.key(row["enrolment"])] = forms.ChoiceField(
                label=row["enrolment"].learner.name,
                choices=ATTENDANCE_CHOICES,
                widget=forms.RadioSelect,
                initial=row["status"] or CourseAttendance.Status.PRESENT,
                error_messages={"required": f"Say whether {row['enrolment'].learner.name} was there."},
            )

    @staticmethod
    def key(enrolment):
        return f"attendance_{enrolment.pk}"

    def learner_fields(self):
        return [self[self.key(row["enrolment"])] for row in self.rows]

    def entries(self):
        return [(row["enrolment"], self.cleaned_data[self.key(row["enrolment"])]) for row in self.rows]


def _register_context(request, here, session, rows, form):
    today = timezone.localdate()
    return {
        "nav": "courses",
        "session": session,
        "course": session.course,
        "units": list(session.units.all()),
        "rows": rows,
        "form": form,
        "ahead": session.date > today,
        "present": sum(1 for row in rows if row["status"] == CourseAttendance.Status.PRESENT),
        "recorded": sum(1 for row in rows if row["status"]),
    }


@partner_page(*COURSE_ROLES)
def register(request, here, session_id):
    session = _session(request, here, session_id)
    rows = _register_rows(session)
    form = RegisterForm(request.POST or None, rows=rows)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.record_attendance(by=request.user, session=session, entries=form.entries())
                messages.success(request, f"The register for “{session.topic}” is saved.")
                return redirect("course-register", here.partner.slug, session.pk)
            except (DomainError, ValidationError) as error:
                show_refusal(form, error, fields={"session": None})
        status = 400
    return render(
        request, "web/training/register.html", _register_context(request, here, session, rows, form), status=status
    )


@partner_page(*COURSE_ROLES)
def register_print(request, here, session_id):
    session = _session(request, here, session_id)
    rows = _register_rows(session)
    return render(
        request,
        "web/training/register_print.html",
        {
            "nav": "courses",
            "session": session,
            "course": session.course,
            "units": list(session.units.all()),
            "rows": rows,
            "printed_on": timezone.localdate(),
        },
    )


urlpatterns = [
    path("courses/<uuid:course_id>/sessions/new/", session_new, name="course-session-new"),
    path("courses/sessions/<uuid:session_id>/register/", register, name="course-register"),
    path("courses/sessions/<uuid:session_id>/register/print/", register_print, name="course-register-print"),
]
