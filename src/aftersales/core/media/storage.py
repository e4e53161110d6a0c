"""Where uploaded files are kept: behind one interface, the local disk (outside the web root) by default."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

from django.conf import settings

# Names the storage gives files: random hex, never the uploader's name.
STORAGE_NAME = re.compile(r"[0-9a-f]{32,64}")


class Storage(Protocol):
    """A place for uploaded files. A file gets a name the storage generates; nobody chooses it."""

    def write(self, chunks: Iterable[bytes]) -> str:
        """Keep the bytes under a new name and return it; if ``chunks`` raises, nothing is kept."""
        ...

    def open(self, name: str) -> BinaryIO:
        """The file for reading; FileNotFoundError when there is none of that name."""
        ...

    def delete(self, name: str) -> None:
        """Remove the file; a missing one is no error."""
        ...


class LocalStorage:
    """Files in one folder of the local disk, private to the app's user."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def write(self, chunks: Iterable[bytes]) -> str:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(dir=self.directory, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            name = secrets.token_hex(20)
            os.replace(temp_name, self.directory / name)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        return name

    def path(self, name: str) -> Path:
        # Names are generated here, but a stored value is never trusted to stay in the folder.
        if not STORAGE_NAME.fullmatch(name):
            raise FileNotFoundError(name)
        return self.directory / name

    def open(self, name: str) -> BinaryIO:
        return self.path(name).open("rb")

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()


def local_storage(area: str) -> LocalStorage:
    """The default storage of an area's files: ``DATA_DIR/<area>``."""
    return LocalStorage(Path(settings.DATA_DIR) / area)
