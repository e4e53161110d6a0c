"""What the stock API's modules share: names of inputs, the store a call acts in, parts by number."""

from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field

from aftersales.core.apikit import ListQuery
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.routing import request_user
from aftersales.parts import services
from aftersales.parts.models import Part

StoreCode = Annotated[str, Field(min_length=2, max_length=10, description="Store code, e.g. SH01.")]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=3)]
MoveKind = Literal[
    "receipt", "issue", "return", "transfer_out", "transfer_in", "adjustment", "scrap", "supplier_return"
]
DemandType = Literal["appointment", "repair_order", "transfer"]


def q3(value: Decimal) -> Decimal:
    """A quantity with the three decimals every answer shows (sums differ by database otherwise)."""
    return Decimal(value).quantize(Decimal("0.001"))


def store_of(request: HttpRequest, code: str, permission: str) -> Store:
    """A store the caller may act in with ``permission``, by code; refused on the ``store`` field."""
    store = Store.objects.filter(code=code, is_active=True).first()
    if store is None:
        raise ApplicationError(_("Unknown store."), field="store")
    return services.store_access(actor=request_user(request), store_id=store.pk, permission=permission)


def parts_of(store: Store, numbers: list[str], *, field: str = "lines") -> dict[str, Part]:
    """Parts by the numbers typed or scanned on lines (``services.parts_for_store``)."""
    return services.parts_for_store(store, numbers, field=field)


class StoreQuery(ListQuery):
    store: StoreCode | None = None
