"""Demo data for the scorecard: a year of score history per demo partner, ending with today's real score.

The history before today is illustrative, not recomputed: the demo's records were all written today, so a score
taken on a past day from them would only repeat today's. Each partner gets a snapshot about once a month for
the last twelve months, drifting towards today's score with a small wobble (seeded by the partner's slug, so
every seed draws the same line), then today's snapshot is the real one (take_snapshots) — what the API and the
console compute now. Illustrative snapshots carry no components; only today's says how it was computed.

The last demo step: today's score reads every earlier step's records.
"""

import random
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from supervision.fidelity.models import ScoreSnapshot
from supervision.fidelity.scorecard import take_snapshots

MONTHS = 12
# How far below today's score the line starts a year ago, at most: a partner improving over its first year.
CLIMB = 18


def seed(world):
    today = timezone.localdate()
    take_snapshots(on=today)
    history = []
    for snapshot in ScoreSnapshot.objects.filter(taken_on=today).select_related("partner").order_by("partner__slug"):
        history += _illustrative(snapshot.partner, snapshot.score, today)
    ScoreSnapshot.objects.bulk_create(history)


def _illustrative(partner, today_score, today):
    if today_score is None:
        return []
    rng = random.Random(partner.slug)
    start = max(0, today_score - rng.randint(CLIMB // 2, CLIMB))
    rows = []
    for months_ago in range(MONTHS, 0, -1):
        # About monthly: up to three days after the month's date, so the oldest stays within the last 12 months.
        taken_on = today - relativedelta(months=months_ago) + timedelta(days=rng.randint(0, 3))
        progress = (MONTHS - months_ago) / MONTHS
        score = round(start + (today_score - start) * progress) + rng.randint(-3, 3)
        rows.append(ScoreSnapshot(partner=partner, taken_on=taken_on, score=min(100, max(0, score))))
    return rows
