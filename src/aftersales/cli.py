"""The ``aftersales`` console script: Django's manage.py commands plus the product's own."""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    execute_from_command_line(["aftersales", *(argv if argv is not None else sys.argv[1:])])
    return 0
