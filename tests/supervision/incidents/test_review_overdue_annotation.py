"""with_review_overdue marks, row by row, exactly the incidents review_overdue() selects."""

from datetime import timedelta

import pytest
from django.utils import timezone

from supervision.models import BoundaryIncident
from tests.supervision.factories import BoundaryIncidentFactory

pytestmark = pytest.mark.django_db


def test_only_unreviewed_reports_past_their_deadline_are_marked_overdue(partner):
    past = timezone.now() - timedelta(hours=1)
    overdue = BoundaryIncidentFactory(partner=partner, review_due_at=past)
    BoundaryIncidentFactory(partner=partner)  # due next week
    BoundaryIncidentFactory(partner=partner, under_review=True, review_due_at=past)  # reviewed, late or not

    marked = {i.pk for i in BoundaryIncident.objects.with_review_overdue() if i.review_overdue}

    assert marked == {overdue.pk} == set(BoundaryIncident.objects.review_overdue().values_list("pk", flat=True))
