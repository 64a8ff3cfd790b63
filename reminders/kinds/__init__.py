"""Every kind of reminder: how it is planned (reminders.planner) and what it says (reminders.messages).

One module per source: each registers its planner functions and its contents
when imported; the app imports them all when Django starts (RemindersConfig.ready).
"""

from reminders.kinds import (  # noqa: F401
    accreditations,
    certificates,
    compliance,
    corrective_actions,
    fees,
    incidents,
    licences,
    matches,
    pauses,
    policy,
    sessions,
)
