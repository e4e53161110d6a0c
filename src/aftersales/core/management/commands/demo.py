from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from aftersales.core.demo import demo_install


class Command(BaseCommand):
    help = "Load the demo dealer group (idempotent) and print the demo users."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo_install()
        self.stdout.write(f"Demo data ready ({summary.created} records created).")
        self.stdout.write("Demo users: " + ", ".join(summary.usernames))
        self.stdout.write(f"Password for every demo user: {settings.DEMO_PASSWORD}")
