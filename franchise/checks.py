"""Data checks of the franchise: accounts that break separation of duties.

The invitation services refuse to create such accounts; these checks find the
ones that predate the rule or were written round the services (a shell, a
fixture). `manage.py check --database default` runs the system check;
`manage.py check_separation_of_duties` lists the accounts and can clear the
staff flag of licensor admins.
"""

from django.core import checks
from django.db import DatabaseError, connections

from franchise.models import Role, User


def accounts_holding_both_sides():
    """Users with a licensor admin membership and a role in some partner at once."""
    return (
        User.objects.filter(memberships__role=Role.LICENSOR_ADMIN)
        .filter(memberships__partner__isnull=False)
        .distinct()
        .order_by("email")
    )


def staff_licensor_admins():
    """Licensor admins still flagged staff from before the admin became the operators' (superusers') tool."""
    return (
        User.objects.filter(memberships__role=Role.LICENSOR_ADMIN, is_staff=True, is_superuser=False)
        .distinct()
        .order_by("email")
    )


def separation_of_duties(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    if not all(User._meta.db_table in connections[alias].introspection.table_names() for alias in databases):
        return []  # `migrate` checks before it creates the tables: nothing to check yet
    try:
        return _separation_of_duties()
    except DatabaseError as exc:
        # A database not migrated yet has no accounts to check; say so rather than crash `check`.
        return [checks.Warning(f"Separation of duties not checked: {exc}", id="tandem.W002")]


def _separation_of_duties():
    problems = [
        checks.Error(
            f"{user.email} is a licensor admin and also holds a partner role.",
            hint="Remove the partner roles or the licensor admin role (manage.py check_separation_of_duties lists them).",
            obj=user.email,
            id="tandem.E001",
        )
        for user in accounts_holding_both_sides()
    ]
    problems += [
        checks.Warning(
            f"{user.email} is a licensor admin flagged staff; the flag opens nothing now.",
            hint="Clear it with manage.py check_separation_of_duties --clear-staff.",
            obj=user.email,
            id="tandem.W001",
        )
        for user in staff_licensor_admins()
    ]
    return problems
