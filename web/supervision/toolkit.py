"""The peer-supervision toolkit's pages: the partner's processes and their timed steps, which every member reads
(facilitators rotate among them) and the coordinators keep. Writes are supervision.sessions.services', as in the
API."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.tenancy import COORDINATOR
from supervision.models import ToolkitProcess
from supervision.sessions import services
from web.forms import show_domain_error
from web.partners import partner_page

# Rows of steps on the form: enough for the processes peer groups use (most have three to six).
STEP_ROWS = 8


class ProcessForm(forms.Form):
    name = forms.CharField(label="Name of the process", max_length=200)
    purpose = forms.CharField(
        label="What it is for",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A sentence or two the facilitator reads out, for example why the group listens before it asks.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index in range(1, STEP_ROWS + 1):
            self.fields[f"step_{index}_title"] = forms.CharField(
                label=f"Step {index}: what happens", max_length=200, required=False
            )
            self.fields[f"step_{index}_minutes"] = forms.IntegerField(
                label=f"Step {index}: minutes", required=False, min_value=1, max_value=services.MAX_STEP_MINUTES
            )

    def step_rows(self):
        return [[self[f"step_{index}_title"], self[f"step_{index}_minutes"]] for index in range(1, STEP_ROWS + 1)]

    def clean(self):
        data = super().clean()
        for index in range(1, STEP_ROWS + 1):
            title, minutes = data.get(f"step_{index}_title"), data.get(f"step_{index}_minutes")
            if title and not minutes and f"step_{index}_minutes" not in self.errors:
                self.add_error(f"step_{index}_minutes", "Say how many minutes this step takes.")
            if minutes and not title:
                self.add_error(f"step_{index}_title", "Say what happens in this step.")
        return data

    def steps(self):
        data = self.cleaned_data
        return [
            {"title": data[f"step_{index}_title"], "minutes": data[f"step_{index}_minutes"]}
            for index in range(1, STEP_ROWS + 1)
            if data.get(f"step_{index}_title")
        ]

    @classmethod
    def initial_for(cls, process):
        initial = {"name": process.name, "purpose": process.purpose}
        for index, step in enumerate(process.steps[:STEP_ROWS], start=1):
            initial[f"step_{index}_title"] = step["title"]
            initial[f"step_{index}_minutes"] = step["minutes"]
        return initial


def _processes(request, here):
    return ToolkitProcess.objects.visible_to(request.user).filter(partner=here.partner)


@partner_page()
def toolkit(request, here):
    processes = list(_processes(request, here).order_by("name", "pk"))
    return render(
        request,
        "web/toolkit/list.html",
        {"here": here, "nav": "toolkit", "processes": processes, "can_write": here.has(COORDINATOR)},
    )


def _save(request, here, form, apply, template, context):
    if request.method == "POST" and form.is_valid():
        try:
            process = apply(form)
            messages.success(request, f"“{process.name}” is in the toolkit.")
            return redirect("toolkit-process", here.partner.slug, process.pk)
        except DomainError as error:
            show_domain_error(form, error, fields={"steps": "step_1_title"})
    return render(
        request,
        template,
        {"here": here, "nav": "toolkit", "form": form, **context},
        status=400 if form.errors else 200,
    )


@partner_page(COORDINATOR)
def toolkit_new(request, here):
    form = ProcessForm(request.POST or None)

    def apply(form):
        return services.create_process(
            by=request.user,
            partner=here.partner,
            name=form.cleaned_data["name"],
            purpose=form.cleaned_data["purpose"],
            steps=form.steps(),
        )

    return _save(request, here, form, apply, "web/toolkit/edit.html", {"process": None})


@partner_page()
def toolkit_process(request, here, process_id):
    """A process's steps for every member; the coordinators change them here too."""
    process = get_object_or_404(_processes(request, here), pk=process_id)
    if not here.has(COORDINATOR):
        if request.method == "POST":
            raise PermissionDenied("The partner's coordinators keep its toolkit.")
        return render(request, "web/toolkit/detail.html", {"here": here, "nav": "toolkit", "process": process})
    form = ProcessForm(request.POST or None, initial=ProcessForm.initial_for(process))

    def apply(form):
        return services.update_process(
            by=request.user,
            process=process,
            name=form.cleaned_data["name"],
            purpose=form.cleaned_data["purpose"],
            steps=form.steps(),
        )

    return _save(request, here, form, apply, "web/toolkit/edit.html", {"process": process})


@partner_page(COORDINATOR)
@require_POST
def toolkit_delete(request, here, process_id):
    process = get_object_or_404(_processes(request, here), pk=process_id)
    try:
        services.delete_process(by=request.user, process=process)
    except DomainError as error:
        form = ProcessForm(initial=ProcessForm.initial_for(process))
        return render(
            request,
            "web/toolkit/edit.html",
            {"here": here, "nav": "toolkit", "form": form, "process": process, "refusal": error.message},
            status=400,
        )
    messages.success(request, f"“{process.name}” is no longer in the toolkit.")
    return redirect("toolkit", here.partner.slug)


urlpatterns = [
    path("toolkit/", toolkit, name="toolkit"),
    path("toolkit/new/", toolkit_new, name="toolkit-new"),
    path("toolkit/<uuid:process_id>/", toolkit_process, name="toolkit-process"),
    path("toolkit/<uuid:process_id>/delete/", toolkit_delete, name="toolkit-delete"),
]
