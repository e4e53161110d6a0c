"""A car's constructed repair history for the 三包 watch, written straight as rows (as the workshop and
delivery would have left them) so a test states each visit by its day of the 三包 period, its mileage and
its hours from signing to the pickup notice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from aftersales.catalogue.models import LabourOperation
from aftersales.catalogue.paytypes import PayType
from aftersales.core.models import Store
from aftersales.customers.models import Vehicle
from aftersales.customers.services.warranty import warranty_derive
from aftersales.messaging.models import Signature
from aftersales.messaging.services import signature_store
from aftersales.parts.models import Part
from aftersales.quality.models import Handover, SanbaoLine
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.tests.conftest import Reception, signature_png
from aftersales.workshop.models import OffSite

PURCHASED = date(2026, 1, 10)  # the purchase-invoice date of the car: day 1 of its periods


@dataclass
class History:
    reception: Reception
    signature: Signature | None = None
    visits: list[Visit] = field(default_factory=list)

    @property
    def vehicle(self) -> Vehicle:
        return self.reception.vehicle

    def car(self, *, use_type: str = "household", purchased: date | None = PURCHASED) -> Vehicle:
        vehicle = self.vehicle
        vehicle.use_type, vehicle.purchase_date, vehicle.delivery_date = use_type, purchased, None
        warranty_derive(vehicle)
        vehicle.save()
        return vehicle

    def at(self, day: int, hour: int = 9) -> datetime:
        """``hour`` o'clock in the store's zone on ``day`` of the periods (day 1: the purchase-invoice date)."""
        on = PURCHASED + timedelta(days=day - 1)
        return datetime.combine(on, time(hour), tzinfo=self.reception.store.zone)

    def _signature(self) -> Signature:
        if self.signature is None:
            self.signature = signature_store(
                data_url=signature_png(),
                store=self.reception.store,
                signer_type="customer",
                signer_name="张伟",
                object_type="visits.repairorder",
                object_id=0,
                what="history",
                snapshot_hash="0" * 64,
                audited=False,
            )
        return self.signature

    def visit(
        self,
        day: int,
        *,
        km: int = 1_000,
        hours: float = 2,
        notice: bool = True,
        on_site: bool = False,
        off_site: Sequence[tuple[float, float, bool]] = (),
        store: Store | None = None,
    ) -> Visit:
        """A visit on ``day`` at ``km``: its order signed at 09:10 and the pickup notice ``hours`` later (none:
        still on site when ``on_site``, else left without a notice); off-site intervals as (hours after
        signing it left, hours it stayed away, the owner agreed to pause)."""
        r, store, number = self.reception, store or self.reception.store, len(self.visits) + 1
        arrived = self.at(day)
        signed = arrived + timedelta(minutes=10)
        notified = signed + timedelta(hours=hours)
        visit = Visit.all_objects.create(
            store=store,
            number=f"VS-H{number:03d}",
            state=Visit.State.ON_SITE if on_site else Visit.State.DELIVERED,
            customer=r.customer,
            vehicle=r.vehicle,
            advisor=r.advisor,
            contact_name="张伟",
            contact_mobile="13800138000",
            arrived_at=arrived,
            mileage_in=km,
            fuel_level=4,
            left_at=None if on_site else notified + timedelta(hours=1),
        )
        RepairOrder.all_objects.create(
            store=store,
            number=f"RO-H{number:03d}",
            state=RepairOrder.State.IN_WORK if on_site else RepairOrder.State.DELIVERED,
            visit=visit,
            customer=r.customer,
            vehicle=r.vehicle,
            advisor=r.advisor,
            customer_statement="故障",
            mileage_in=km,
            signed_name="张伟",
            signature=self._signature(),
            signed_at=signed,
            signed_hash="0" * 64,
        )
        if notice and not on_site:
            Handover.objects.create(
                store=store,
                visit=visit,
                handed_by=r.advisor,
                advisor=r.advisor,
                keys="1",
                explanation="完工",
                notified_at=notified,
            )
        for start, length, agreed in off_site:
            OffSite.objects.create(
                store=store,
                visit=visit,
                left_at=signed + timedelta(hours=start),
                back_at=signed + timedelta(hours=start + length),
                reason="等待配件",
                owner_agreed_pause=agreed,
                recorded_by=r.advisor,
            )
        self.visits.append(visit)
        return visit

    def line(
        self,
        visit: Visit,
        *,
        causal: Part | None = None,
        part: Part | None = None,
        kind: str = "labour",
        state: str = Line.State.DONE,
        pay_type: str = PayType.CUSTOMER,
        operation: LabourOperation | None = None,
        fault_code: str = "C1234",
        repair_category: str = "assembly",
        safety: str = "",
        cause: str = "",
    ) -> Line:
        """A line of the visit's order; a labour line repairs ``causal`` (the brake pads unless told) with the
        brake operation; a part line fits ``part``."""
        r = self.reception
        order = RepairOrder.all_objects.get(visit=visit)
        labour = kind == Line.Kind.LABOUR
        line = Line.all_objects.create(
            store=visit.store,
            order=order,
            vehicle=visit.vehicle,
            position=Line.all_objects.filter(order=order).count() + 1,
            kind=kind,
            state=state,
            source=Line.Source.REQUESTED,
            pay_type=pay_type,
            operation=(operation or r.brakes) if labour else None,
            part=part if not labour else None,
            description="维修" if labour else "配件",
            repair_category=repair_category if labour else "",
            unit_price=Decimal("100.00"),
            amount=Decimal("100.00"),
            net=Decimal("88.50"),
            tax=Decimal("11.50"),
            tax_rate=Decimal("0.13"),
            fault_code=fault_code if labour else "",
            fault_symptom="异响" if labour else "",
            causal_part=(causal or r.pads) if labour else None,
        )
        if safety or cause:
            SanbaoLine.objects.create(
                line=line,
                store=visit.store,
                vehicle=visit.vehicle,
                cause=cause or SanbaoLine.Cause.QUALITY,
                safety=safety,
                set_by=r.advisor,
            )
        return line

    def repair(self, day: int, *, replace: bool = False, causal: Part | None = None, **visit: object) -> Visit:
        """A visit repairing the causal part (the pads unless told), fitting a new one when ``replace``."""
        found = self.visit(day, **visit)  # type: ignore[arg-type]
        causal = causal or self.reception.pads
        self.line(found, causal=causal)
        if replace:
            self.line(found, kind=Line.Kind.PART, part=causal)
        return found
