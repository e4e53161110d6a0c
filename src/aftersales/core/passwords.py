"""The product's own password rule, one of ``settings.AUTH_PASSWORD_VALIDATORS``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _names(user: Any) -> Iterator[str]:
    """What of the user's names a password may not contain, case-folded."""
    username = "".join(str(getattr(user, "username", "") or "").split()).casefold()
    if len(username) >= 3:
        yield username
    full_name = str(getattr(user, "full_name", "") or "").casefold()
    if full_name.isascii():
        # A Latin name by its words: "Li Na" must not refuse "Carolina".
        yield from (word for word in re.split(r"[\W_]+", full_name) if len(word) >= 4)
    elif len(written := "".join(full_name.split())) >= 2:
        yield written  # a Chinese name as it is written, without spaces


class NameInPasswordValidator:
    """Refuse a password that contains the user name or the person's name (any case).

    Django's ``UserAttributeSimilarityValidator`` compares the whole password with each name, so a
    Chinese name of two or three characters inside a 12-character password passes it; this rule
    looks for the name within the password: the user name (3 characters or more), a Chinese full name
    (2 or more), and each word of 4 letters or more of a Latin one.
    """

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        folded = "".join(password.split()).casefold()
        if any(name in folded for name in _names(user)):
            raise ValidationError(
                _("The password contains your user name or your name."), code="password_contains_name"
            )

    def get_help_text(self) -> str:
        return _("Your password may not contain your user name or your name.")
