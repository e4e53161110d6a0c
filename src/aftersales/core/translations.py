"""Compiled translation catalogues without a build step and without GNU gettext.

The ``.po`` files under ``LOCALE_SOURCE_DIR`` are the only source; Django reads compiled ``.mo``
files. Every start of the app (core's ``AppConfig.ready``, which every command, the web server and
the worker run before any message is translated) compiles a ``.po`` with polib into
``LOCALE_COMPILED_DIR`` when its ``.mo`` is missing or was compiled from another version of it.
Compiling at start rather than shipping ``.mo`` files in the package keeps one mechanism for every
way of installing and starting: a source checkout, an editable install and a wheel installed
read-only all compile into the data directory, which the app must be able to write anyway.

Beside each compiled file lies the SHA-256 of the ``.po`` it was compiled from (``django.mo.source``):
"compiled from another version" is a differing digest, whatever the files' times say (a downgrade,
a file system with coarse times, a build with fixed times). Each file is written to a temporary
name and moved into place, so that processes starting together never read half a file.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import polib
from django.conf import settings
from django.utils.translation.reloader import translation_file_changed

logger = logging.getLogger(__name__)


def _sources() -> list[tuple[Path, Path]]:
    """Each catalogue source and where its compiled file goes."""
    source_dir = Path(settings.LOCALE_SOURCE_DIR)
    compiled_dir = Path(settings.LOCALE_COMPILED_DIR)
    return [
        (po_path, compiled_dir / po_path.relative_to(source_dir).with_suffix(".mo"))
        for po_path in sorted(source_dir.glob("*/LC_MESSAGES/*.po"))
    ]


def _write_text(path: str, *, text: str) -> None:
    Path(path).write_text(text, encoding="ascii")


def _replace(path: Path, write: Callable[[str], None]) -> None:
    """Write a file under a temporary name in its folder and move it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the worker may run as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def translations_compile(*, force: bool = False) -> list[Path]:
    """Compile each catalogue whose compiled file is missing or stale (every one with ``force``);
    return the compiled files written.

    Catalogues Django loaded before are dropped, so that the next message is read from the new files.
    A data directory that cannot be written is logged, not raised: pages then show the English text.
    """
    written = []
    for po_path, mo_path in _sources():
        digest = hashlib.sha256(po_path.read_bytes()).hexdigest()
        source = mo_path.with_name(mo_path.name + ".source")
        if not force and mo_path.exists() and source.exists() and source.read_text().strip() == digest:
            continue
        try:
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            catalogue = polib.pofile(str(po_path))
            _replace(mo_path, catalogue.save_as_mofile)
            _replace(source, functools.partial(_write_text, text=digest + "\n"))
        except OSError as error:
            logger.warning("Could not write the compiled catalogue %s: %s", mo_path, error)
            continue
        written.append(mo_path)
    if written:
        # Django's own reaction to a changed catalogue (its autoreloader's): forget the loaded ones.
        translation_file_changed(sender=None, file_path=written[0])
    return written
