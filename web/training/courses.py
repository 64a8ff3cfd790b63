"""Courses in the browser: the list, planning a course, a course's page (its learners, sessions and the moves it
may make), enrolling learners and moving a course on.

Every read starts from `visible_to(request.user)` within the partner of the URL; every write is the service the API
calls (training.services), and its refusals come back as form errors next to the field, in words.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotPermitted
from core.tenancy import COORDINATOR, TRAINER
from franchise.models import Programme, Unit
from supervision.models import MentorStatus, Person
from training import services
from training.models import Course, CourseSession, Enrolment
from web.forms import DateInput, show_refusal
from web.partners import partner_page
from web.today.links import url_or_none

COURSE_ROLES = (COORDINATOR, TRAINER)
PAGE_SIZE = 25
SEARCH_SHOWN = 20

STATUS_TONES = {
    Course.Status.PLANNED: "info",
    Course.Status.OPEN: "info",
    Course.Status.RUNNING: "ok",
    Course.Status.COMPLETED: "muted",
    Course.Status.CANCELLED: "muted",
}
# The button that makes each move, and what the course is afterwards.
MOVE_WORDS = {
    Course.Status.OPEN: ("Open for enrolment", "open for enrolment"),
    Course.Status.RUNNING: ("Start the course", "running"),
    Course.Status.COMPLETED: ("Mark the course completed", "completed"),
    Course.Status.CANCELLED: ("Cancel the course", "cancelled"),
}
ENROLMENT_TONES = {
    Enrolment.Status.ENROLLED: "info",
    Enrolment.Status.PASSED: "ok",
    Enrolment.Status.COMPLETED: "ok",
    Enrolment.Status.REFERRED: "warn",
    Enrolment.Status.WITHDRAWN: "muted",
}


def courses_of(request, here):
    return Course.objects.visible_to(request.user).filter(partner=here.partner)


def course_for(request, here, course_id):
    return get_object_or_404(
        courses_of(request, here).with_places_taken().select_related("programme", "lead_trainer"), pk=course_id
    )


def permitted(check, *args):
    """Whether the service's own permission check lets the user do it: the page offers only what will work."""
    try:
        check(*args)
    except (NotPermitted, DomainError):
        return False
    return True


def may_manage(user, course):
    return permitted(services.require_course_manager, user, course)


def status_badge(status, label=None):
    return {"label": label or Course.Status(status).label, "tone": STATUS_TONES.get(status, "muted")}


def certificate_link(slug, certificate):
    """The certificate's page where that page exists (another part of the web app); else None."""
    for name in ("certificate", "web:certificate", "certificate-detail"):
        url = url_or_none(name, slug, certificate.pk)
        if url:
            return url
    return None


# --- the list ---------------------------------------------------------------------------------------------


class CourseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status")] + list(Course.Status.choices)
    )


@partner_page(*COURSE_ROLES)
def course_list(request, here):
    filters = CourseFilterForm(request.GET or None)
    rows = courses_of(request, here).with_places_taken().select_related("programme", "lead_trainer")
    if filters.is_valid() and filters.cleaned_data["status"]:
        rows = rows.filter(status=filters.cleaned_data["status"])
    page = Paginator(rows.order_by("-starts_on", "title", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    for course in page:
        course.badge = status_badge(course.status)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/training/course_list.html",
        {
            "nav": "courses",
            "page_obj": page,
            "filters": filters,
            "query_without_page": query.urlencode(),
            "can_plan": True,
        },
    )


# --- planning a course --------------------------------------------------------------------------------------


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, person):
        return person.name


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, person):
        return person.name


class CourseForm(forms.Form):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none(), empty_label=None)
    title = forms.CharField(label="Title", max_length=200, help_text="For example “Peer mentoring — autumn cohort”.")
    starts_on = forms.DateField(label="First day", widget=DateInput())
    ends_on = forms.DateField(label="Last day", widget=DateInput())
    capacity = forms.IntegerField(label="Places", min_value=1, max_value=500, initial=10)
    mode = forms.ChoiceField(label="How it is taught", choices=Course.Mode.choices, initial=Course.Mode.IN_PERSON)
    venue = forms.CharField(label="Venue or meeting link", max_length=300, required=False)
    lead_trainer = PersonChoice(
        label="Lead trainer",
        queryset=Person.objects.none(),
        empty_label="Choose the lead trainer",
        help_text="An accredited trainer of the programme, accredited until the course ends.",
    )
    co_trainers = PeopleChoice(
        label="Co-trainers",
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Co-trainers and accredited trainers of the programme.",
    )

    def __init__(self, *args, programmes, trainers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        self.fields["lead_trainer"].queryset = trainers
        self.fields["co_trainers"].queryset = trainers

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The last day cannot come before the first.")
        return data


def trainers_of(request, here):
    """The partner's people who could teach: staff with a login, and anyone holding an accreditation."""
    people = Person.objects.visible_to(request.user).filter(partner=here.partner)
    return (
        people.filter(Q(pk__in=people.staff().values("pk")) | Q(accreditations__isnull=False))
        .exclude(mentor_status=MentorStatus.EXITED)
        .distinct()
        .order_by("name", "pk")
    )


@partner_page(*COURSE_ROLES)
def course_new(request, here):
    own = services.person_of(request.user, here.partner.pk)
    form = CourseForm(
        request.POST or None,
        programmes=Programme.objects.visible_to(request.user).order_by("name"),
        trainers=trainers_of(request, here),
        initial={"lead_trainer": own} if own is not None and here.has(TRAINER) else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            course = services.create_course(by=request.user, **form.cleaned_data)
            messages.success(request, f"“{course.title}” is planned. Open it for enrolment when you are ready.")
            return redirect("course-detail", here.partner.slug, course.pk)
        except (DomainError, ValidationError) as error:
            # A refusal naming no field is about who leads the course.
            show_refusal(form, error, fields={None: "lead_trainer"})
    return render(
        request,
        "web/training/course_new.html",
        {"nav": "courses", "form": form},
        status=400 if form.errors else 200,
    )


# --- a course's page ------------------------------------------------------------------------------------------


class LearnerSearchForm(forms.Form):
    q = forms.CharField(label="Find a person to enrol", required=False, max_length=200, help_text="Name or email.")


class EnrolForm(forms.Form):
    learner = forms.ModelChoiceField(queryset=Person.objects.none())
    track = forms.ChoiceField(choices=Enrolment.Track.choices, initial=Enrolment.Track.QUALIFICATION)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = people


def _enrolments(course):
    return (
        Enrolment.objects.filter(course=course)
        .with_criteria_progress()
        .select_related("learner", "certificate")
        .order_by("learner__name", "pk")
    )


def _candidates(request, here, course, q):
    """The partner's people matching `q` and not holding a place on the course (at most SEARCH_SHOWN)."""
    q = (q or "").strip()
    if not q:
        return []
    taken = Enrolment.objects.filter(course=course).holding_a_place().values("learner_id")
    people = (
        Person.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .filter(Q(name__icontains=q) | Q(email__icontains=q))
        .exclude(pk__in=taken)
        .exclude(mentor_status=MentorStatus.EXITED)
        .order_by("name", "pk")
    )
    return list(people[:SEARCH_SHOWN])


def _detail_context(request, here, course, *, enrol_form=None, move_error=None):
    slug = here.partner.slug
    manages = may_manage(request.user, course)
    search = LearnerSearchForm(request.GET or None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    enrolments = list(_enrolments(course))
    for enrolment in enrolments:
        enrolment.badge = {
            "label": enrolment.get_status_display(),
            "tone": ENROLMENT_TONES.get(enrolment.status, "muted"),
        }
        certificate = getattr(enrolment, "certificate", None)
        enrolment.certificate_row = certificate
        enrolment.certificate_url = certificate_link(slug, certificate) if certificate else None
    sessions = list(
        CourseSession.objects.filter(course=course)
        .prefetch_related(Prefetch("units", queryset=Unit.objects.order_by("position", "code")))
        .order_by("date", "starts_at")
    )
    moves = [
        {"to": to, "label": MOVE_WORDS[to][0], "danger": to == Course.Status.CANCELLED}
        for to in sorted(Course.TRANSITIONS.get(course.status, ()), key=list(Course.Status).index)
    ]
    enrolling = course.status in Course.ENROLLING
    return {
        "nav": "courses",
        "course": course,
        "badge": status_badge(course.status),
        "co_trainers": list(course.co_trainers.order_by("name")),
        "enrolments": enrolments,
        "sessions": sessions,
        "moves": moves if manages else [],
        "manages": manages,
        "enrolling": enrolling,
        "full": course.places_taken >= course.capacity,
        "places_left": max(course.capacity - course.places_taken, 0),
        "search": search,
        "q": q,
        "candidates": _candidates(request, here, course, q) if manages and enrolling else [],
        "tracks": Enrolment.Track.choices,
        "enrol_form": enrol_form,
        "move_error": move_error,
    }


@partner_page(*COURSE_ROLES)
def course_detail(request, here, course_id):
    course = course_for(request, here, course_id)
    return render(request, "web/training/course_detail.html", _detail_context(request, here, course))


@partner_page(*COURSE_ROLES)
@require_POST
def course_enrol(request, here, course_id):
    course = course_for(request, here, course_id)
    people = Person.objects.visible_to(request.user).filter(partner=here.partner)
    form = EnrolForm(request.POST, people=people)
    if form.is_valid():
        learner = form.cleaned_data["learner"]
        try:
            services.enrol(by=request.user, course=course, learner=learner, track=form.cleaned_data["track"])
            messages.success(request, f"{learner.name} is enrolled.")
            return redirect("course-detail", here.partner.slug, course.pk)
        except DomainError as error:
            show_refusal(form, error, fields={"course": None})
    if "learner" in form.errors and not form.data.get("learner"):
        form.errors["learner"] = form.error_class(["Choose the person to enrol."])
    course = course_for(request, here, course_id)
    return render(
        request,
        "web/training/course_detail.html",
        _detail_context(request, here, course, enrol_form=form),
        status=403 if not may_manage(request.user, course) else 400,
    )


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=Course.Status.choices)


@partner_page(*COURSE_ROLES)
@require_POST
def course_move(request, here, course_id):
    course = course_for(request, here, course_id)
    form = MoveForm(request.POST)
    error = "Choose where to move the course."
    if form.is_valid():
        to = form.cleaned_data["to"]
        try:
            services.transition_course(by=request.user, course=course, to=to)
            messages.success(request, f"“{course.title}” is now {MOVE_WORDS[to][1]}.")
            return redirect("course-detail", here.partner.slug, course.pk)
        except DomainError as refusal:
            error = refusal.message
            if refusal.code == "illegal_transition":
                error = f"A {course.get_status_display().lower()} course cannot be {MOVE_WORDS.get(to, ('', to))[1]}."
    course = course_for(request, here, course_id)
    return render(
        request,
        "web/training/course_detail.html",
        _detail_context(request, here, course, move_error=error),
        status=400,
    )


urlpatterns = [
    path("courses/", course_list, name="courses"),
    path("courses/new/", course_new, name="course-new"),
    path("courses/<uuid:course_id>/", course_detail, name="course-detail"),
    path("courses/<uuid:course_id>/enrol/", course_enrol, name="course-enrol"),
    path("courses/<uuid:course_id>/move/", course_move, name="course-move"),
]
