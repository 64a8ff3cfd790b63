from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.core import checks


class FranchiseConfig(AppConfig):
    # Two AppConfigs live here, so Django needs telling which one "franchise" means.
    default = True
    name = "franchise"
    verbose_name = "Franchise"

    def ready(self):
        from franchise import checks as franchise_checks

        # Tagged "database": it reads memberships, so it runs only under `manage.py check --database default`.
        checks.register(franchise_checks.separation_of_duties, "tandem", checks.Tags.database)


class OperatorsAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the operators-only site (INSTALLED_APPS names this instead of the admin)."""

    default = False
    default_site = "franchise.admin_site.OperatorsAdminSite"
