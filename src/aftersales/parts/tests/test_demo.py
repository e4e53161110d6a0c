"""The demo's parts, stock, catalogue and purchasing: the counts the issues name, and a ledger that verifies."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from aftersales.catalogue.models import LabourOperation, LabourRate, ServicePackage
from aftersales.core.calendar import store_today
from aftersales.core.demo import demo_install
from aftersales.core.models import Store
from aftersales.parts.models import Part, PartPrice, Reservation, StockBalance, StockClosing, StockMove, Stocktake
from aftersales.parts.selectors.stock import stock_verify
from aftersales.purchasing import services as purchasing
from aftersales.purchasing.models import DeliveryNote, PurchaseOrder, PurchaseReceipt, Supplier, SupplierReturn
from aftersales.purchasing.selectors import Rating, supplier_rating_history, supplier_ratings


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def test_the_demo_has_a_catalogue_per_brand_and_a_year_of_stock_per_store(db: None) -> None:
    demo_install()
    parts = dict(Part.objects.values_list("brand__code").annotate(n=Count("pk")))
    # The catalogue's 1,500 per brand, and the two 三包 main parts of each brand quality's demo adds (an
    # assembly and a main part of it: the catalogue has neither).
    assert parts == {"BYD": 1502, "TOYOTA": 1502, "VW": 1502}
    assert PartPrice.objects.filter(store__isnull=True, kind="retail").count() == 4500
    operations = dict(LabourOperation.objects.values_list("brand__code").annotate(n=Count("pk")))
    packages = dict(ServicePackage.objects.values_list("brand__code").annotate(n=Count("pk")))
    assert all(operations[brand] >= 30 for brand in ("VW", "TOYOTA", "BYD")), operations
    assert packages == {"BYD": 5, "TOYOTA": 5, "VW": 5}
    assert LabourRate.objects.filter(store__isnull=True).count() == 9
    today = timezone.localdate()
    for code in ("SH01", "SZ01"):
        moves = StockMove.all_objects.filter(store__code=code)
        assert moves.count() > 15_000
        first = moves.order_by("moved_on").values_list("moved_on", flat=True).first()
        assert first is not None and (today - first).days >= 365
        assert StockBalance.all_objects.filter(store__code=code).count() == 3000  # two brands' parts
        assert StockBalance.all_objects.filter(store__code=code, on_hand__gt=0).count() > 2850
        assert StockClosing.all_objects.filter(store__code=code).count() == 11
        # Five open repair orders hold stock (the appointments' demo adds its pre-picks and one more hold).
        assert Reservation.all_objects.filter(store__code=code, demand_id__range=(900_000, 900_004)).count() == 5
        assert list(Stocktake.all_objects.filter(store__code=code).values_list("status", flat=True)) == ["counting"]
    # Purchasing's part rides on the same demo (it receives into this stock): a year of orders, then the
    # three in hand (written last).
    for code in ("SH01", "SZ01"):
        orders = PurchaseOrder.all_objects.filter(store__code=code).order_by("pk")
        assert [order.status for order in orders][-3:] == ["partly_received", "sent", "submitted"]
        assert dict(Counter(orders.values_list("status", flat=True))) == {
            "received": 39, "closed": 4, "partly_received": 2, "sent": 1, "submitted": 1,
        }  # fmt: skip
        receipt = PurchaseReceipt.all_objects.filter(store__code=code).latest("pk")
        assert [(line.accepted, line.rejected, line.reject_reason) for line in receipt.lines.order_by("pk")] == [
            (10, 0, ""),
            (3, 1, "外包装破损"),
        ]
        first = orders.first()
        assert first is not None and (today - timezone.localtime(first.created_at).date()).days > 300
        # The sent order's delivery note waits for inspection; what was rejected over the year (and in hand)
        # waits to go back: one return per receipt with a rejected line.
        note = DeliveryNote.all_objects.get(store__code=code)
        assert (note.number, note.status, note.lines.get().quantity) == ("DN2026-0002", "open", 6)
        assert (
            SupplierReturn.all_objects.filter(store__code=code).count()
            == PurchaseReceipt.all_objects.filter(store__code=code, lines__rejected__gt=0).distinct().count()
        )
    assert sorted(Supplier.objects.values_list("code", flat=True)) == ["BYD-PC", "HF-AUTO", "TOYOTA-PC", "VW-PC"]
    suppliers = dict(Supplier.objects.values_list("code", "pk"))
    today = store_today(Store.objects.get(code="SH01"))
    ratings = supplier_ratings(list(suppliers.values()), today=today)
    # SH01 buys from TOYOTA-PC (its first brand's centre) and HF-AUTO; SZ01 from BYD-PC by the same pattern
    # and from HF-AUTO too. Per store, over the 11 months before this one (demo.py):
    # - the centre: a stock order of 10+6+4 every month, on time and in full (11 receipts, 33 lines, 220
    #   units); a top-up of 8+4 by a cycle of four (months 0-10: 3 on time, 3 late, 3 short, 2 with one
    #   rejected and replaced later): 3+3+3+2×2 = 13 receipts, 24 lines of which 16 on time, 128 delivered
    #   and 126 accepted; one urgent/VOR part a month, late in 3 (11 receipts, 8 on time); and this month's
    #   delivery (1 receipt, 2 lines on time, 14 delivered, 13 accepted).
    #   Receipts 11+13+11+1 = 36; quality 370/373 = 99.2 %; on time 59/70 = 84.3 %; in full: of the lines
    #   of received or closed orders (33 + 20 + 11; the last short one is still owed) 62 of 64 = 96.9 %.
    # - HF-AUTO: 6+4 a month by a cycle of four (3 on time; 3 short with the rest 3 days late; 3 two days
    #   late; 2 with one rejected and cancelled): 3+6+3+2 = 14 receipts, 16 of 25 lines on time, 108 of 110
    #   accepted, 20 of 22 lines in full; two stores: 28 receipts, 98.2 %, 64.0 %, 90.9 %.
    assert ratings == {
        suppliers["TOYOTA-PC"]: Rating(receipts=36, quality=Decimal("99.2"), on_time=Decimal("84.3"), in_full=Decimal("96.9")),
        suppliers["BYD-PC"]: Rating(receipts=36, quality=Decimal("99.2"), on_time=Decimal("84.3"), in_full=Decimal("96.9")),
        suppliers["HF-AUTO"]: Rating(receipts=28, quality=Decimal("98.2"), on_time=Decimal("64.0"), in_full=Decimal("90.9")),
    }  # fmt: skip
    # Month by month (newest first): this month's delivery (13 of 14 accepted, both lines on time), then
    # the months 10 to 0, whose places in the cycle of four run 2, 1, 0, 3, ...: the short top-up with a
    # late urgent part (5 of 6 lines on time), the late top-up (4 of 6), all on time (6 of 6), one of 34
    # rejected and its replacement late (33 of 34 accepted, 6 of 7 on time).
    history = supplier_rating_history(suppliers["TOYOTA-PC"], today=today)
    cycle = [(Decimal("100.0"), Decimal("83.3")), (Decimal("100.0"), Decimal("66.7")),
             (Decimal("100.0"), Decimal("100.0")), (Decimal("97.1"), Decimal("85.7"))]  # fmt: skip
    assert [(row.quality, row.on_time) for row in history] == [
        (Decimal("92.9"), Decimal("100.0")),
        *(cycle * 3)[:11],
    ]
    assert [row.month for row in history] == [_months_back(today, n) for n in range(12)]
    # A year of issues gives reorder points: parts below them are suggested, one group per brand's centre,
    # each for what brings it up to its order-up-to level. (How many depends on which parts the demo's
    # repair orders reserve, chosen by id, so the count is checked within bounds.)
    for store in Store.objects.filter(code__in=("SH01", "SZ01")).order_by("code"):
        suggested = purchasing.suggestions(store_id=store.pk)
        assert 150 <= len(suggested) <= 250 and len({row.supplier_id for row in suggested}) == 2
        assert all(
            row.position <= row.reorder_point and row.quantity == row.order_up_to - row.position for row in suggested
        )
    result = stock_verify()
    assert (result.balances, result.differences) == (6000, [])
    before = (Part.objects.count(), StockMove.all_objects.count(), LabourOperation.objects.count())
    demo_install()
    assert (Part.objects.count(), StockMove.all_objects.count(), LabourOperation.objects.count()) == before
