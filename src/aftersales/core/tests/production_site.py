"""A production installation, as README's "Production" section sets one up, run by ``test_production``.

In one process (the settings are read once): collect the static files, migrate a fresh SQLite database,
add a store and an advisor, run ``check --deploy`` and print what it said as one JSON line, then serve
with ``aftersales serve`` until stopped. Environment: the production variables, ``ADVISOR_PASSWORD``.
"""

from __future__ import annotations

import io
import json
import os
import sys

import django
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def main() -> None:
    django.setup()
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("migrate", "--noinput", verbosity=0)

    # Models import only once django.setup() above has run (this script is its own entry point).
    from aftersales.core.models import DealerGroup, Role, StaffMembership, Store, User

    group = DealerGroup.objects.create(code="PROD", name="生产集团")
    store = Store.objects.create(group=group, code="PR01", name="生产店")
    advisor = User.objects.create_user(username="advisor_pr01", password=os.environ["ADVISOR_PASSWORD"])
    StaffMembership.objects.create(user=advisor, store=store, role=Role.objects.get(code="advisor"))

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check", "--deploy", "--fail-level", "WARNING", stdout=out, stderr=err)
    except SystemCheckError as error:
        err.write(str(error))
    print(json.dumps({"check": out.getvalue() + err.getvalue()}), flush=True)
    call_command("serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2")


if __name__ == "__main__":
    sys.exit(main())
