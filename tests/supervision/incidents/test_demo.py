"""The demo's incidents: both partners, across categories, severities and states, made through the services."""

from franchise.models import Partner, User
from supervision.incidents.services import due_for_anonymisation
from supervision.models import BoundaryIncident, IncidentTransition


def test_each_demo_partner_has_incidents_across_categories_severities_and_states(demo):
    for slug in ("northside", "harbour"):
        rows = BoundaryIncident.objects.filter(partner__slug=slug)
        assert {"reported", "under_review", "escalated", "closed"} <= set(rows.values_list("status", flat=True)), slug
        assert len(set(rows.values_list("category", flat=True))) >= 3, slug
        assert len(set(rows.values_list("severity", flat=True))) >= 3, slug
    for incident in BoundaryIncident.objects.exclude(status="reported"):
        assert IncidentTransition.objects.filter(incident=incident, to_status=incident.status).exists()


def test_the_demo_accounts_see_what_the_readme_says(demo):
    licensor = User.objects.get(email="admin@licensor.example")
    seen = BoundaryIncident.objects.visible_to(licensor)
    assert seen.count() == 2
    assert not seen.filter(escalated_at__isnull=True).exists()

    mentor = User.objects.get(email="mentor@northside.example")
    assert [i.reporter for i in BoundaryIncident.objects.visible_to(mentor)] == [mentor]

    assert [i.partner for i in due_for_anonymisation()] == [Partner.objects.get(slug="harbour")]
