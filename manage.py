#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Read the settings now: Django defers a settings error and then fails with an unrelated one
        # ("Models aren't loaded yet"), hiding which variable is missing.
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        sys.exit(f"Configuration error: {exc} (see Configuration in README.md; DEBUG=1 gives development defaults).")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
