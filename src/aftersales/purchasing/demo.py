"""Purchasing's part of ``aftersales demo``: the group's suppliers (each brand's parts centre and a
local supplier), approval limits, and in each store orders in several states: one received in part
with a line rejected at inspection, one sent, one waiting for approval."""

from __future__ import annotations

from decimal import Decimal

from aftersales.core.models import Brand, DealerGroup, StaffMembership, Store, User
from aftersales.parts.models import Part, StockBalance
from aftersales.purchasing import services
from aftersales.purchasing.models import PurchaseLimit, PurchaseOrder, Supplier

LIMITS = {"manager": Decimal(50000), "service_manager": Decimal(20000), "purchaser": Decimal(5000)}


def _suppliers(group: DealerGroup) -> dict[str, Supplier]:
    found: dict[str, Supplier] = {}
    for brand in Brand.objects.filter(pk__in=Part.objects.filter(group=group).values("brand_id")).order_by("code"):
        found[brand.code], _created = Supplier.objects.get_or_create(
            group=group,
            code=f"{brand.code}-PC",
            defaults={
                "kind": Supplier.Kind.MANUFACTURER, "brand": brand, "name": f"{brand.name}配件中心",
                "contact_name": "订单组", "phone": "400-820-1111", "payment_days": 30, "lead_days_stock": 5,
                "lead_days_urgent": 2, "lead_days_vor": 1, "order_days": [0, 3], "over_delivery_percent": 0,
                "bank_name": "中国工商银行上海分行", "bank_account": "1001202309000123456",
            },
        )  # fmt: skip
    found["LOCAL"], _created = Supplier.objects.get_or_create(
        group=group,
        code="HF-AUTO",
        defaults={
            "kind": Supplier.Kind.LOCAL, "name": "浦东宏发汽配", "credit_code": "91310115MA1H7XK02J",
            "contact_name": "陈经理", "phone": "13816601234", "email": "order@hongfa-auto.cn", "payment_days": 15,
            "lead_days_stock": 2, "lead_days_urgent": 1, "lead_days_vor": 0, "over_delivery_percent": 5,
            "bank_name": "招商银行浦东支行", "bank_account": "6214830212345678",
        },
    )  # fmt: skip
    return found


def _order(
    store: Store, clerk: User | None, supplier: Supplier, lines: list[tuple[Part, int, str]], order_type: str = "stock"
) -> PurchaseOrder:
    return services.order_create(
        actor=clerk,
        store_id=store.pk,
        supplier_id=supplier.pk,
        order_type=order_type,
        lines=[services.OrderLineIn(part.pk, Decimal(qty), Decimal(price)) for part, qty, price in lines],
    )


def purchasing_demo_install() -> int:
    group = DealerGroup.objects.filter(code="HDAUTO").first()
    if group is None:
        return 0
    created = 0
    suppliers = _suppliers(group)
    for store in Store.all_objects.filter(group=group).order_by("code"):
        if PurchaseOrder.all_objects.filter(store=store).exists():
            continue
        for membership in StaffMembership.all_objects.filter(store=store, role__code__in=LIMITS).select_related("role"):
            PurchaseLimit.all_objects.get_or_create(
                store=store, user=membership.user, defaults={"limit": LIMITS[membership.role.code]}
            )
        members = {
            m.role.code: m.user
            for m in StaffMembership.all_objects.filter(
                store=store, role__code__in=("parts", "purchaser", "manager")
            ).select_related("role", "user")
        }
        clerk, purchaser, manager = members.get("parts"), members.get("purchaser"), members.get("manager")
        brand = store.brands.order_by("code").first()
        parts = list(Part.objects.filter(group=group, brand=brand, decimals=0).order_by("pk")[:6])
        # Each part is received into the bin it is kept in.
        kept = dict(StockBalance.all_objects.filter(store=store, part__in=parts).values_list("part_id", "bin_id"))
        if brand is None or len(parts) < 6 or len(kept) < 6 or brand.code not in suppliers or manager is None:
            continue

        supplier = suppliers[brand.code]
        received = _order(
            store, clerk, supplier, [(parts[0], 10, "45.20"), (parts[1], 4, "128.00"), (parts[2], 2, "356.50")]
        )
        services.order_submit(actor=clerk, order_id=received.pk)
        services.order_approve(actor=manager, order_id=received.pk)
        services.order_send(actor=purchaser, order_id=received.pk)
        services.order_receive(
            actor=clerk,
            order_id=received.pk,
            delivery_note="DN2026-0001",
            lines=[
                services.DeliveredLine(parts[0].pk, kept[parts[0].pk], Decimal(10)),
                services.DeliveredLine(
                    parts[1].pk, kept[parts[1].pk], Decimal(4), rejected=Decimal(1), reject_reason="外包装破损"
                ),
            ],
        )
        sent = _order(store, clerk, supplier, [(parts[3], 6, "88.00")], order_type="urgent")
        services.order_submit(actor=clerk, order_id=sent.pk)
        services.order_approve(actor=manager, order_id=sent.pk)
        services.order_send(actor=purchaser, order_id=sent.pk)
        waiting = _order(store, clerk, supplier, [(parts[4], 20, "12.80"), (parts[5], 8, "66.00")])
        services.order_submit(actor=clerk, order_id=waiting.pk)
        created += 3 + services.reorder_points_compute(store_id=store.pk)
    return created
