from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the application with the Waitress WSGI server (static files through WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from config.wsgi import application

        self.stdout.write(f"AfterSales is running at http://{options['host']}:{options['port']}/ (Ctrl+C stops it)")
        serve(application, host=options["host"], port=options["port"], threads=options["threads"], ident="aftersales")
