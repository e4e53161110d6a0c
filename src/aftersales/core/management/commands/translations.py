from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand

from aftersales.core.translations import translations_compile


class Command(BaseCommand):
    help = (
        "Compile the translation catalogues again and report how complete each is. "
        "Not needed to run the app: it compiles them when it starts."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        translations_compile(force=True)
        source_dir = Path(settings.LOCALE_SOURCE_DIR)
        for po_path in sorted(source_dir.glob("*/LC_MESSAGES/*.po")):
            catalogue = polib.pofile(str(po_path))
            self.stdout.write(f"{po_path.relative_to(source_dir)}: {catalogue.percent_translated()}% translated")
