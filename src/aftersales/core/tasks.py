"""Job wrappers of the platform. Periodic schedules are declared in ``aftersales.schedule``."""

from aftersales import schedule  # noqa: F401  (registers the periodic jobs with the consumer)
