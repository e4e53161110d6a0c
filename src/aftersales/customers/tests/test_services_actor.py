"""Every service of the archive records the ``actor`` it is given in its audit entries, also when it runs
outside a request (a background job, a command), where there is no request context to read one from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.current import current_scope
from aftersales.core.models import AuditEntry, User
from aftersales.core.tests.factories import image_bytes
from aftersales.customers import excel, services
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory

JPEG = image_bytes("JPEG")


def _actors_of(call: Callable[[], Any]) -> tuple[Any, list[tuple[str, str, int | None, str]]]:
    """Run ``call`` and return its result and the audit entries it wrote: (action, object type, actor
    id, actor user name)."""
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = call()
    written = AuditEntry.objects.filter(id__gt=last).exclude(action="audit_key_changed").order_by("id")
    return result, [(e.action, e.object_type, e.actor_id, e.actor_username) for e in written]


def test_each_service_audits_its_actor_outside_a_request(world: World) -> None:
    assert current_scope() is None  # no request: nothing to read an actor from
    today = timezone.localdate()
    advisor, crm, manager = world.user("advisor"), world.user("crm"), world.user("manager")
    customer = CustomerFactory(
        actor=crm, name="孙八", mobiles=["13811112222"], data_consent=True, data_consent_channel="paper"
    )
    other = CustomerFactory(actor=crm, name="孙九", mobiles=["13811113333"])
    vehicle = VehicleFactory(actor=crm, owner=customer, plate="沪A11111")

    def by(user: User, *kinds: tuple[str, str]) -> list[tuple[str, str, int, str]]:
        return [(action, object_type, user.pk, user.username) for action, object_type in kinds]

    calls: list[tuple[str, Callable[[], Any], list[tuple[str, str, int, str]]]] = [
        (
            "customer_create",
            lambda: services.customer_create(actor=advisor, store=world.sh, data={"name": "周一", "mobiles": []}),
            by(advisor, ("create", "customers.customer")),
        ),
        (
            "customer_update",
            lambda: services.customer_update(
                actor=advisor,
                customer_id=customer.pk,
                version=1,
                data={"mobiles": ["13811114444"], "province": "上海市", "city": "上海市"},
            ),
            by(advisor, ("update", "customers.customer"), ("update", "customers.customer")),
        ),
        (
            "customer_mark_reviewed",
            lambda: services.customer_mark_reviewed(actor=manager, customer_id=customer.pk),
            by(manager, ("update", "customers.customer")),
        ),
        (
            "customer_reveal",
            lambda: services.customer_reveal(actor=manager, customer_id=customer.pk, field="mobiles"),
            by(manager, ("reveal", "customers.customer")),
        ),
        (
            "vehicle_update",
            lambda: services.vehicle_update(actor=advisor, vehicle_id=vehicle.pk, version=1, data={"colour": "白"}),
            by(advisor, ("update", "customers.vehicle")),
        ),
        (
            "mileage_record",
            lambda: services.mileage_record(
                actor=advisor, vehicle_id=vehicle.pk, km=12000, read_on=today, source="reception"
            ),
            by(advisor, ("create", "customers.mileagereading")),
        ),
        (
            "vehicle_driver_add",
            lambda: services.vehicle_driver_add(
                actor=advisor, vehicle_id=vehicle.pk, customer_id=other.pk, valid_from=today
            ),
            by(advisor, ("create", "customers.vehiclelink")),
        ),
        (
            "vehicle_transfer",
            lambda: services.vehicle_transfer(actor=crm, vehicle_id=vehicle.pk, new_owner=other, on=today),
            by(crm, ("update", "customers.vehiclelink"), ("update", "customers.vehiclelink"))
            + by(crm, ("create", "customers.vehiclelink")),
        ),
        (
            "document_upload",
            lambda: services.document_upload(
                actor=advisor,
                store=world.sh,
                customer=customer,
                kind="id_card",
                uploaded_file=SimpleUploadedFile("id.jpg", JPEG, content_type="image/jpeg"),
            ),
            by(advisor, ("create", "customers.customerdocument")),
        ),
        (
            "archive_rule_save",
            lambda: services.archive_rule_save(
                actor=manager, store_id=world.sh.pk, required_fields=["mobile"], review_days=30
            ),
            by(manager, ("create", "customers.archiverule")),
        ),
        (
            "customers_export",
            lambda: excel.customers_export(actor=crm, store_id=world.sh.pk, personal=False)[0].close(),
            by(crm, ("export", "customers.customer")),
        ),
        (
            "pi_export_file",
            lambda: services.pi_export_file(actor=manager, customer=customer, file_format="json"),
            by(manager, ("export", "customers.customer")),
        ),
        (
            "consent_withdraw",
            lambda: services.consent_withdraw(actor=manager, customer_id=customer.pk, which="data"),
            by(manager, ("update", "customers.customer"), ("delete", "customers.customerdocument")),
        ),
        (
            "customer_merge",
            lambda: services.customer_merge(actor=crm, survivor_id=other.pk, merged_id=customer.pk, choices={}),
            None,
        ),
        (
            "customer_anonymise",
            lambda: services.customer_anonymise(actor=manager, customer_id=other.pk, reason="本人申请"),
            None,
        ),
    ]
    for name, call, expected in calls:
        _result, written = _actors_of(call)
        assert written, name
        if expected is None:  # many entries: every one by the actor
            actor = crm if name == "customer_merge" else manager
            assert {(actor_id, username) for _a, _t, actor_id, username in written} == {(actor.pk, actor.username)}, (
                name
            )
        else:
            assert written == expected, name
