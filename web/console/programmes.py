"""The console's programmes: each programme, its units and their criteria (performance and knowledge).

Read here; programmes are written through the API (api/franchise.py, services.create_programme and
update_programme), whose units and criteria are matched by code and never deleted, because assessments point at
them."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.urls import path

from franchise.models import Criterion, Programme, Unit
from web.console.base import licensor_page

PROGRAMMES_SHOWN = 200
Kind = Criterion.Kind


@licensor_page
def programmes(request):
    rows = Programme.objects.annotate(
        unit_count=Count("units", distinct=True),
        performance_count=Count("units__criteria", filter=Q(units__criteria__kind=Kind.PERFORMANCE)),
        knowledge_count=Count("units__criteria", filter=Q(units__criteria__kind=Kind.KNOWLEDGE)),
    ).order_by("name", "code")[:PROGRAMMES_SHOWN]
    return render(request, "web/console/programmes.html", {"console_nav": "programmes", "programmes": rows})


@licensor_page
def programme_detail(request, programme_id):
    programme = get_object_or_404(
        Programme.objects.prefetch_related(
            Prefetch("units", queryset=Unit.objects.order_by("position", "code").prefetch_related("criteria"))
        ),
        pk=programme_id,
    )
    units = [
        {
            "unit": unit,
            "performance": [c for c in unit.criteria.all() if c.kind == Kind.PERFORMANCE],
            "knowledge": [c for c in unit.criteria.all() if c.kind == Kind.KNOWLEDGE],
        }
        for unit in programme.units.all()
    ]
    return render(
        request, "web/console/programme.html", {"console_nav": "programmes", "programme": programme, "units": units}
    )


urlpatterns = [
    path("programmes/", programmes, name="console-programmes"),
    path("programmes/<uuid:programme_id>/", programme_detail, name="console-programme"),
]
