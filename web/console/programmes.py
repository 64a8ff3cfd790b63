"""The console's programmes: each programme, its units and their criteria (performance and knowledge), adding a
programme, a unit or a criterion.

The same services as api/franchise.py: create_programme, and add_unit and add_criterion, which put what is added
after what is there. Nothing is removed here: units and criteria stay, because assessments point at them."""

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from franchise import services
from franchise.models import Criterion, Programme, Unit
from web.console.base import licensor_page
from web.forms import show_domain_error

PROGRAMMES_SHOWN = 200
Kind = Criterion.Kind


class ProgrammeForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    code = forms.CharField(label="Code", max_length=40, help_text="Unique, for example PM-L3.")
    level = forms.CharField(label="Level", max_length=40, required=False, help_text="For example Level 3.")
    awarding_body = forms.CharField(label="Awarding body", max_length=200, required=False)
    version = forms.CharField(label="Version", max_length=20, initial="1")


class UnitForm(forms.Form):
    code = forms.CharField(label="Unit code", max_length=40)
    title = forms.CharField(label="Unit title", max_length=200)


class CriterionForm(forms.Form):
    unit = forms.ModelChoiceField(label="Unit", queryset=Unit.objects.none())
    kind = forms.ChoiceField(label="Kind", choices=Kind.choices)
    code = forms.CharField(label="Criterion code", max_length=10, help_text="P1, P2 … or K1, K2 …")
    text = forms.CharField(label="What the learner shows", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.code} {unit.title}"


@require_http_methods(["GET", "POST"])
@licensor_page
def programmes(request):
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.create_programme(by=request.user, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"{programme.name} is added; add its units and criteria.")
            return redirect("console-programme", programme.pk)
    rows = Programme.objects.annotate(
        unit_count=Count("units", distinct=True),
        performance_count=Count("units__criteria", filter=Q(units__criteria__kind=Kind.PERFORMANCE)),
        knowledge_count=Count("units__criteria", filter=Q(units__criteria__kind=Kind.KNOWLEDGE)),
    ).order_by("name", "code")[:PROGRAMMES_SHOWN]
    return render(
        request,
        "web/console/programmes.html",
        {"console_nav": "programmes", "programmes": rows, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _programme_or_404(programme_id):
    return get_object_or_404(
        Programme.objects.prefetch_related(
            Prefetch("units", queryset=Unit.objects.order_by("position", "code").prefetch_related("criteria"))
        ),
        pk=programme_id,
    )


def _units(programme):
    return Unit.objects.filter(programme=programme).order_by("position", "code")


def _detail(request, programme, *, unit_form=None, criterion_form=None, status=200):
    units = [
        {
            "unit": unit,
            "performance": [c for c in unit.criteria.all() if c.kind == Kind.PERFORMANCE],
            "knowledge": [c for c in unit.criteria.all() if c.kind == Kind.KNOWLEDGE],
        }
        for unit in programme.units.all()
    ]
    return render(
        request,
        "web/console/programme.html",
        {
            "console_nav": "programmes",
            "programme": programme,
            "units": units,
            "unit_form": unit_form or UnitForm(prefix="unit"),
            "criterion_form": criterion_form or CriterionForm(prefix="criterion", units=_units(programme)),
        },
        status=status,
    )


@licensor_page
def programme_detail(request, programme_id):
    return _detail(request, _programme_or_404(programme_id))


def _add(request, programme, form, add, done):
    """Add a unit or a criterion through `add`; a refusal sits next to its field on the programme's page."""
    form_name = "unit_form" if isinstance(form, UnitForm) else "criterion_form"
    if form.is_valid():
        try:
            added = add(by=request.user, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, done(added))
            return redirect("console-programme", programme.pk)
    return _detail(request, programme, **{form_name: form}, status=400)


@require_POST
@licensor_page
def unit_add(request, programme_id):
    programme = _programme_or_404(programme_id)
    form = UnitForm(request.POST, prefix="unit")
    return _add(
        request,
        programme,
        form,
        lambda **data: services.add_unit(programme=programme, **data),
        lambda unit: f"Unit {unit.code} is added.",
    )


@require_POST
@licensor_page
def criterion_add(request, programme_id):
    programme = _programme_or_404(programme_id)
    form = CriterionForm(request.POST, prefix="criterion", units=_units(programme))
    return _add(
        request,
        programme,
        form,
        services.add_criterion,
        lambda criterion: f"{criterion.unit.code} {criterion.code} is added.",
    )


urlpatterns = [
    path("programmes/", programmes, name="console-programmes"),
    path("programmes/<uuid:programme_id>/", programme_detail, name="console-programme"),
    path("programmes/<uuid:programme_id>/units/", unit_add, name="console-programme-unit-add"),
    path("programmes/<uuid:programme_id>/criteria/", criterion_add, name="console-programme-criterion-add"),
]
