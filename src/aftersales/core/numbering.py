"""Document numbers per store and year (``RO-SH01-2026-000123``), for the document types areas register.

An area registers each of its types once, in its ``AppConfig.ready`` (``document_type_register``):
the prefix, what it numbers, and whether its numbers must be gap-free. Gap-free only where the law or
the customer needs it (repair order, settlement list, release certificate): such a number is taken
inside the transaction that saves its document, as the last step before the save, so that a
rolled-back save gives it back and the sequence row's lock is held briefly. Numbers issued by others
(invoice numbers of the tax platform) are stored, never generated here.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise

from aftersales.core.calendar import store_calendar
from aftersales.core.models import DocumentSequence, Store

_PREFIX = re.compile(r"[A-Z]{2,10}")


@dataclass(frozen=True)
class DocumentType:
    prefix: str
    label: Promise | str
    gap_free: bool


DOCUMENT_TYPES: dict[str, DocumentType] = {}


def document_type_register(prefix: str, *, label: Promise | str, gap_free: bool) -> DocumentType:
    """Register a document type of an area; a prefix is registered once (2-10 capital letters)."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"A document type's prefix is 2-10 capital letters, not {prefix!r}")
    if prefix in DOCUMENT_TYPES:
        raise ValueError(f"Document type {prefix!r} is registered already")
    DOCUMENT_TYPES[prefix] = DocumentType(prefix=prefix, label=label, gap_free=gap_free)
    return DOCUMENT_TYPES[prefix]


def number_next(*, store: Store, doc_type: str, on: datetime | None = None) -> str:
    """Issue the next number of a store, registered document type and year (the store's local year).

    Concurrent callers queue on the sequence row's lock. A gap-free type's number must be taken inside
    the transaction that saves its document (a rolled-back save then gives it back).
    """
    registered = DOCUMENT_TYPES.get(doc_type)
    if registered is None:
        raise ValueError(f"Unknown document type {doc_type!r}")
    if registered.gap_free and not connection.in_atomic_block:
        raise RuntimeError(f"A {doc_type} number is gap-free: take it in the transaction that saves the document")
    year = store_calendar(store).local_date(on or timezone.now()).year
    sequence = DocumentSequence.objects.filter(store=store, doc_type=doc_type, year=year)
    with transaction.atomic(savepoint=False):  # the first number of a year has its own savepoint below
        if not sequence.update(last_value=F("last_value") + 1):
            try:
                with transaction.atomic():
                    DocumentSequence.objects.create(store=store, doc_type=doc_type, year=year, last_value=1)
            except IntegrityError:
                sequence.update(last_value=F("last_value") + 1)
        value = sequence.values_list("last_value", flat=True).get()
    return f"{doc_type}-{store.code}-{year}-{value:06d}"


def numbers_reserve(*, store: Store, doc_type: str, count: int, on: datetime | None = None) -> tuple[str, int]:
    """Take ``count`` numbers of a store's sequence at once (a bulk import, the demo set-up): the prefix
    (``CUS-SH01-2026-``) and the first value; the numbers are those ``number_next`` would have issued one
    by one. The sequence row stays locked until the caller's transaction ends, so a block is never
    handed out twice."""
    if doc_type not in DOCUMENT_TYPES:
        raise ValueError(f"Unknown document type {doc_type!r}")
    year = store_calendar(store).local_date(on or timezone.now()).year
    sequences = DocumentSequence.objects.filter(store=store, doc_type=doc_type, year=year)
    if not sequences.exists():
        with contextlib.suppress(IntegrityError), transaction.atomic():
            DocumentSequence.objects.create(store=store, doc_type=doc_type, year=year, last_value=0)
    sequence = sequences.select_for_update().get()
    sequences.update(last_value=F("last_value") + count)
    return f"{doc_type}-{store.code}-{year}-", sequence.last_value + 1
