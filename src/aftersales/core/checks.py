"""System checks of a production installation (``aftersales check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import CheckMessage, Error, register


def static_files_not_collected() -> list[str]:
    """The static files of the installed version missing from the collected manifest (sorted); none when
    static files are served without a manifest (local settings, tests)."""
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    collected, _hash = staticfiles_storage.load_manifest()
    ignore_patterns = apps.get_app_config("staticfiles").ignore_patterns
    shipped = {path for finder in get_finders() for path, _storage in finder.list(ignore_patterns)}
    return sorted(shipped - set(collected))


@register(deploy=True)
def static_files_collected(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    missing = static_files_not_collected()
    if not missing:
        return []
    return [
        Error(
            f"{len(missing)} of this version's static files are not collected (first: {missing[0]}); "
            "every page naming one fails with 'Missing staticfiles manifest entry'.",
            hint="Run 'aftersales collectstatic --noinput' after every installation or upgrade.",
            id="aftersales.E001",
        )
    ]
