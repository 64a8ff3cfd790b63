"""Signals the supervision app sends for other apps to act on.

Sent only after the transaction that wrote the row has committed
(``transaction.on_commit``), so a receiver never sees a row that a rollback
then removes; a receiver that fails is logged and does not undo the write.
"""

from django.dispatch import Signal

incident_reported = Signal()
"""A boundary incident has been reported (created and committed).

Sent with ``sender=BoundaryIncident`` and these keyword arguments:

- ``incident_id`` (UUID): the new incident's id;
- ``partner_id`` (UUID): its partner;
- ``severity`` (str): ``"low" | "medium" | "high" | "critical"``;
- ``review_due_at`` (aware datetime): when its review is due.

The reminders app connects a receiver that, for ``severity == "critical"``,
plans the immediate notification of the partner's coordinators and the
licensor in its ledger. Receivers get ids only, never the incident's
description or the people involved; they re-read what they need.
"""
