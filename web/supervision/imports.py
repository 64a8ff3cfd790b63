"""Import people from a spreadsheet, and export the people list, the compliance list and a session register.

The import is two POSTs: the upload, answered with every row and its problems (nothing written), then
"Import N people", which carries the same file back as a signed hidden field. Signed rather than kept in the
session: nothing of the file stays on the server after the request (a session row would hold up to a megabyte
of names and emails until it expires, and a second tab would overwrite the first tab's preview), the
signature binds it to this user, this partner and the next hour, and the import checks every row again
anyway, so a preview that went stale (someone added meanwhile) is refused rather than half-imported.

Exports are CSV attachments written with tablib from one query each; no notes or other confidential text,
and any cell a spreadsheet would run as a formula is defused.
"""

import tablib
from django import forms
from django.contrib import messages
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError
from core.tenancy import COORDINATOR, SUPERVISOR
from supervision.models import Person, SessionAttendance, SupervisionSession
from supervision.people import imports
from supervision.sessions import recurrence
from supervision.sessions.compliance import State, compliance_visible_to, supervision_compliance
from web.forms import show_domain_error
from web.partners import partner_page
from web.supervision.people import PeopleFilterForm, status_words

SIGNING_SALT = "web.people-import"
PREVIEW_MAX_AGE = 60 * 60
# Characters that make a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- import -----------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet of people (CSV file)",
        help_text=(
            f"Save your spreadsheet as “CSV UTF-8”. Up to {imports.MAX_ROWS:,} people and "
            f"{imports.MAX_BYTES // 1024 // 1024} MB at a time."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if name.endswith((".xlsx", ".xls", ".ods", ".numbers")):
            raise forms.ValidationError("This is a workbook, not a CSV file. Save it as “CSV UTF-8” and upload that.")
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {imports.MAX_BYTES // 1024 // 1024} MB; split it into smaller files."
            )
        return upload


class ConfirmForm(forms.Form):
    upload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, here, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.here, self.user = here, user

    def clean_upload(self):
        try:
            payload = signing.loads(self.cleaned_data["upload"], salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE)
        except signing.BadSignature:
            raise forms.ValidationError("This preview has expired or was changed. Upload the file again.")
        if payload.get("partner") != str(self.here.partner.pk) or payload.get("user") != str(self.user.pk):
            raise forms.ValidationError("This preview was made for someone else. Upload the file again.")
        return payload["text"]


def sign_upload(here, user, text):
    payload = {"partner": str(here.partner.pk), "user": str(user.pk), "text": text}
    return signing.dumps(payload, salt=SIGNING_SALT, compress=True)


def _after_import(here):
    try:
        return reverse("people", args=[here.partner.slug])
    except NoReverseMatch:
        return reverse("people-import", args=[here.partner.slug])


def _page(request, here, *, form, result=None, confirm=None, refusal=(), status=200):
    return render(
        request,
        "web/imports/people_import.html",
        {
            "nav": "people",
            "here": here,
            "form": form,
            "result": result,
            "confirm": confirm,
            "refusal": refusal,
            "headers": list(imports.HEADERS.values()),
        },
        status=status,
    )


@partner_page(COORDINATOR)
@require_http_methods(["GET", "POST"])
def people_import(request, here):
    if request.method == "GET":
        return _page(request, here, form=UploadForm())
    if "upload" in request.POST:
        return _confirm(request, here)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, here, form=form, status=400)
    content = form.cleaned_data["file"].read()
    try:
        result = imports.preview(here.partner, content, by=request.user)
    except DomainError as error:
        show_domain_error(form, error)
        return _page(request, here, form=form, status=400)
    if result.problems:
        for problem in result.problems:
            form.add_error("file", problem)
        return _page(request, here, form=form, status=400)
    confirm = None
    if result.ok:
        # Decoding succeeded in the preview, so the text signed here is the text that was checked.
        text = content.decode("utf-8-sig")
        confirm = ConfirmForm(initial={"upload": sign_upload(here, request.user, text)}, here=here, user=request.user)
    return _page(request, here, form=UploadForm(), result=result, confirm=confirm)


def _confirm(request, here):
    confirm = ConfirmForm(request.POST, here=here, user=request.user)
    if not confirm.is_valid():
        return _page(request, here, form=UploadForm(), refusal=confirm.errors["upload"], status=400)
    try:
        created = imports.import_people(here.partner, confirm.cleaned_data["upload"], by=request.user)
    except imports.ImportRefused as refused:
        return _page(
            request,
            here,
            form=UploadForm(),
            result=refused.preview,
            refusal=[refused.message, *refused.preview.problems],
            status=400,
        )
    except DomainError as error:
        return _page(request, here, form=UploadForm(), refusal=[error.message], status=400)
    messages.success(request, f"Imported {len(created)} {'person' if len(created) == 1 else 'people'}.")
    return redirect(_after_import(here))


@partner_page(COORDINATOR)
@require_GET
def people_import_template(request, here):
    return _csv_attachment(imports.template_csv(), "people-to-import.csv")


# --- exports ----------------------------------------------------------------------------


def _defused(value):
    """A cell as a spreadsheet will read it: dates as YYYY-MM-DD, nothing it could run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _dataset(headers, rows):
    data = tablib.Dataset(headers=headers)
    for row in rows:
        data.append([_defused(cell) for cell in row])
    return data.export("csv")


def _csv_attachment(text, filename):
    # A BOM, so that Excel reads names with accents as UTF-8 rather than in the machine's code page.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _stamp(here, what):
    return f"{here.partner.slug}-{what}-{timezone.localdate().isoformat()}.csv"


PEOPLE_HEADERS = [
    *imports.HEADERS.values(),
    "Trained",
    "Shadowing hours",
    "Has a login",
]


@partner_page(COORDINATOR, SUPERVISOR)
@require_GET
def people_export(request, here):
    people = Person.objects.visible_to(request.user).filter(partner=here.partner).for_listing()
    # The list page's own filter form, so that "Download this list" holds exactly the people the list shows.
    people = PeopleFilterForm(request.GET or None).filter(people).order_by("name", "id")
    rows = (
        (
            person.name,
            person.email,
            status_words(person.mentor_status) if person.mentor_status else "",
            person.prior_learning_on,
            person.background_check_on,
            person.trained,
            f"{person.shadowing_hours.normalize():f}",
            person.user_id is not None,
        )
        for person in people.iterator(chunk_size=1000)
    )
    return _csv_attachment(_dataset(PEOPLE_HEADERS, rows), _stamp(here, "people"))


STATE_WORDS = {State.OK: "On time", State.DUE_SOON: "Due soon", State.OVERDUE: "Overdue"}
COMPLIANCE_HEADERS = [
    "Name",
    "Email",
    "Last supervised",
    "Next due",
    "State",
    "Supervision every (days)",
    "Records awaiting their confirmation",
]


@partner_page(COORDINATOR, SUPERVISOR)
@require_GET
def compliance_export(request, here):
    rows = compliance_visible_to(request.user, supervision_compliance(Person.objects.filter(partner=here.partner)))
    rows = rows.order_by("next_due_on", "name", "pk")
    data = (
        (
            row.name,
            row.email,
            row.last_supervised_on,
            row.next_due_on,
            STATE_WORDS.get(row.state, row.state),
            row.interval_days,
            row.unconfirmed_records,
        )
        for row in rows.iterator(chunk_size=1000)
    )
    return _csv_attachment(_dataset(COMPLIANCE_HEADERS, data), _stamp(here, "supervision-compliance"))


REGISTER_HEADERS = [
    "Session",
    "Date",
    "Starts",
    "Ends",
    "Place",
    "Session status",
    "Name",
    "Organisation",
    "Role",
    "Attendance",
]


def _session_title(session):
    if session.kind == SupervisionSession.Kind.GROUP:
        return f"Group supervision: {session.group.name}" if session.group_id else "Group supervision"
    return "1:1 supervision"


def _role_in(session, attendance):
    person_id = attendance.person_id
    if person_id == session.supervisor_id:
        return "Supervisor"
    if person_id == session.supervisee_id:
        return "Supervisee"
    if person_id == session.facilitator_id:
        return "Facilitator"
    return "Member"


@partner_page(COORDINATOR, SUPERVISOR)
@require_GET
def session_register(request, here, session_id):
    sessions = SupervisionSession.objects.visible_to(request.user).filter(partner=here.partner)
    session = get_object_or_404(sessions.select_related("partner", "group"), pk=session_id)
    attendances = (
        SessionAttendance.objects.visible_to(request.user)
        .filter(session=session)
        .select_related("person__partner")
        .order_by("person__name", "pk")
    )
    partner_zone = recurrence.zone(session.partner.time_zone)
    starts, ends = session.starts_at.astimezone(partner_zone), session.ends_at.astimezone(partner_zone)
    attendance_words = dict(SessionAttendance.Attendance.choices)
    rows = (
        (
            _session_title(session),
            starts.date(),
            starts.strftime("%H:%M"),
            ends.strftime("%H:%M"),
            session.location,
            session.get_status_display(),
            attendance.person.name,
            attendance.person.partner.name,
            _role_in(session, attendance),
            attendance_words.get(attendance.attendance, "Not recorded"),
        )
        for attendance in attendances
    )
    return _csv_attachment(_dataset(REGISTER_HEADERS, rows), _stamp(here, f"register-{starts.date().isoformat()}"))


urlpatterns = [
    path("people/import/", people_import, name="people-import"),
    path("people/import/template.csv", people_import_template, name="people-import-template"),
    path("people/export.csv", people_export, name="people-export"),
    path("compliance/export.csv", compliance_export, name="compliance-export"),
    path("sessions/<uuid:session_id>/register.csv", session_register, name="session-register"),
]
