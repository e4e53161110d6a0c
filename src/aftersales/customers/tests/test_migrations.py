"""Data migrations of the archive, run on a database as it was before them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", "0013_media_files"), ("customers", "0011_search_index_covers_the_owner")]
AFTER = [("customers", "0013_document_file_is_a_media_file")]


@pytest.mark.django_db(transaction=True)
def test_id_copies_move_onto_media_files_where_their_files_are(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    group = old.get_model("core", "DealerGroup").objects.create(code="MIG", name="迁移集团")
    store = old.get_model("core", "Store").objects.create(group=group, code="MG01", name="迁移店")
    customer = old.get_model("customers", "Customer").objects.create(
        number="CUS-MG01-2025-000001", name="迁移", home_store=store, kind="individual"
    )
    uploaded_at = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
    document = old.get_model("customers", "CustomerDocument").objects.create(
        customer=customer,
        kind="id_card",
        file_name="身份证.pdf",
        content_type="application/pdf",
        size=12,
        sha256="ab" * 32,
        storage_name="cd" * 20,
        consent_at=uploaded_at,
        store=store,
    )
    old.get_model("customers", "CustomerDocument").objects.filter(pk=document.pk).update(uploaded_at=uploaded_at)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    new = executor.loader.project_state(AFTER).apps
    moved = new.get_model("customers", "CustomerDocument").objects.get(pk=document.pk)
    media = new.get_model("core", "MediaFile").objects.get()
    assert moved.media_id == media.pk
    assert (
        media.owner_type,
        media.owner_id,
        media.store_id,
        media.area,
        media.file_name,
        media.content_type,
        media.size,
        media.sha256,
        media.storage_name,
        media.thumbnail_name,
        media.uploaded_at,
    ) == (
        "customers.customerdocument",
        document.pk,
        store.pk,
        "documents",
        "身份证.pdf",
        "application/pdf",
        12,
        "ab" * 32,
        "cd" * 20,
        None,
        uploaded_at,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest state for the tests after this one
