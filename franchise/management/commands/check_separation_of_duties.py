"""List accounts that hold the licensor admin role and a partner role at once; exit 1 if there are any."""

from django.core.management.base import BaseCommand, CommandError

from franchise.checks import accounts_holding_both_sides, staff_licensor_admins
from franchise.models import User


class Command(BaseCommand):
    help = (
        "List every account that is a licensor admin and also holds a partner role (separation of duties), "
        "and licensor admins still flagged staff. Exits with status 1 while any account holds both."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--clear-staff",
            action="store_true",
            help="Clear the staff flag of licensor admins who are not superusers (the admin is for operators).",
        )

    def handle(self, *args, clear_staff=False, **options):
        staff = list(staff_licensor_admins())
        if staff and clear_staff:
            User.objects.filter(pk__in=[user.pk for user in staff]).update(is_staff=False)
            for user in staff:
                self.stdout.write(f"Cleared the staff flag of licensor admin {user.email}.")
        else:
            for user in staff:
                self.stdout.write(f"{user.email} is a licensor admin flagged staff (--clear-staff clears it).")

        both = list(accounts_holding_both_sides().prefetch_related("memberships__partner"))
        if not both:
            self.stdout.write(self.style.SUCCESS("No account holds both a licensor admin and a partner role."))
            return
        for user in both:
            roles = ", ".join(
                f"{m.get_role_display()} at {m.partner.name}" for m in user.memberships.all() if m.partner_id
            )
            self.stdout.write(f"{user.email}: licensor admin, and {roles}")
        raise CommandError(
            f"{len(both)} account(s) hold both a licensor admin and a partner role; remove one side of each.",
            returncode=1,
        )
