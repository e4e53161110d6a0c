"""The catalogue's tests price the parts area's stock fixture."""

from aftersales.parts.tests.conftest import stock

__all__ = ["stock"]
