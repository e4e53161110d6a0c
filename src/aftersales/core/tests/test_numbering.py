import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from aftersales.conftest import World
from aftersales.core.models import DealerGroup, Store
from aftersales.core.numbering import DOCUMENT_TYPES, document_type_register, number_next


@pytest.fixture(autouse=True)
def document_types() -> Iterator[None]:
    """A type as the invoices area will register it (the repair order's "RO" is the visits area's own)."""
    registered = [document_type_register("INV", label="invoice request", gap_free=True)]
    yield
    for document_type in registered:
        del DOCUMENT_TYPES[document_type.prefix]


def test_areas_register_their_types_once() -> None:
    assert DOCUMENT_TYPES["CUS"].gap_free is False  # the archive's, registered when the app is ready
    assert DOCUMENT_TYPES["RO"].gap_free is True  # the repair order's: part of the law's repair archive
    with pytest.raises(ValueError, match="Document type 'RO' is registered already"):
        document_type_register("RO", label="repair order", gap_free=True)
    with pytest.raises(ValueError, match="2-10 capital letters, not 'ro-1'"):
        document_type_register("ro-1", label="repair order", gap_free=True)
    assert sorted(DOCUMENT_TYPES) == [
        "ADJ",
        "AP",
        "CUS",
        "GR",
        "INV",
        "JS",
        "PO",
        "QA",
        "QC",
        "RO",
        "RTV",
        "SCR",
        "SK",
        "ST",
        "TK",
        "TR",
        "VS",
    ]


def test_numbers_run_per_store_type_and_year(world: World) -> None:
    on = datetime(2026, 3, 1, tzinfo=UTC)
    assert number_next(store=world.sh, doc_type="RO", on=on) == "RO-SH01-2026-000001"
    assert number_next(store=world.sh, doc_type="RO", on=on) == "RO-SH01-2026-000002"
    assert number_next(store=world.sz, doc_type="RO", on=on) == "RO-SZ01-2026-000001"
    assert number_next(store=world.sh, doc_type="INV", on=on) == "INV-SH01-2026-000001"
    assert number_next(store=world.sh, doc_type="RO", on=datetime(2027, 1, 2, tzinfo=UTC)) == "RO-SH01-2027-000001"


def test_year_follows_the_stores_time_zone(world: World) -> None:
    # 2026-12-31 17:00 UTC is already 2027-01-01 01:00 in Shanghai.
    assert (
        number_next(store=world.sh, doc_type="RO", on=datetime(2026, 12, 31, 17, tzinfo=UTC)) == "RO-SH01-2027-000001"
    )


def test_rolled_back_document_gives_its_number_back(world: World) -> None:
    on = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError), transaction.atomic():
        number_next(store=world.sh, doc_type="AP", on=on)
        raise RuntimeError("save failed")
    assert number_next(store=world.sh, doc_type="AP", on=on) == "AP-SH01-2026-000001"


def test_unknown_document_type_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="Unknown document type"):
        number_next(store=world.sh, doc_type="XX")


@pytest.mark.django_db(transaction=True)
def test_a_gap_free_number_is_refused_outside_the_transaction_of_its_document() -> None:
    store = Store.objects.create(group=DealerGroup.objects.create(code="G", name="G"), code="GF01", name="店")
    with pytest.raises(RuntimeError, match="A RO number is gap-free: take it in the transaction"):
        number_next(store=store, doc_type="RO")
    assert number_next(store=store, doc_type="AP", on=datetime(2026, 6, 1, tzinfo=UTC)) == "AP-GF01-2026-000001"
    with transaction.atomic():
        assert number_next(store=store, doc_type="RO", on=datetime(2026, 6, 1, tzinfo=UTC)) == "RO-GF01-2026-000001"


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_get_no_duplicate_and_no_gap() -> None:
    store = Store.objects.create(group=DealerGroup.objects.create(code="G", name="G"), code="CC01", name="并发店")
    threads_count, per_thread = 8, 15
    issued: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads_count)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                with transaction.atomic():
                    number = number_next(store=store, doc_type="RO", on=datetime(2026, 6, 1, tzinfo=UTC))
                with lock:
                    issued.append(number)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = [f"RO-CC01-2026-{n:06d}" for n in range(1, threads_count * per_thread + 1)]
    assert sorted(issued) == expected
    assert connection.vendor in {"sqlite", "postgresql"}
