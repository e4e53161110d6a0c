"""Settings for a single machine: the embedded SQLite default, demo data, local serving."""

from config.settings.base import *  # noqa: F403
