#!/usr/bin/env python
"""Django's command-line utility for the marketplace."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    if not os.environ.get("DJANGO_SECRET_KEY") and not os.environ.get("DJANGO_DEBUG"):
        # A developer's machine with nothing configured: development settings, said out loud. Production sets
        # DJANGO_SECRET_KEY, so this never turns debug on there; the WSGI entry point has no such default.
        os.environ["DJANGO_DEBUG"] = "1"
        sys.stderr.write("manage.py: DJANGO_SECRET_KEY and DJANGO_DEBUG unset, using development settings.\n")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
