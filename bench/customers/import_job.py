"""The customers area's ``import`` job: the Excel import of a 100,000-row file, timed once.

``bench run --db URL import`` (jobs change the database, so they run only when named). The file is
written by ``import_workbook`` in a child process, so that the bench process's peak memory is the
application plus the import.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import logging
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from aftersales.core import identifiers
from aftersales.core.models import StaffMembership, Store
from aftersales.customers import excel, selectors
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    ImportJob,
    MileageReading,
    PlateRegistration,
    SearchKey,
    Vehicle,
    VehicleLink,
)
from bench.customers.values import GIVEN_FIRST, GIVEN_SECOND, GIVEN_SINGLE, SURNAMES
from bench.registry import BenchFailure, JobResult, ScenarioResult, job

IMPORT_ROWS = 100_000


@job("import", f"Excel import of {IMPORT_ROWS:,} rows (customers with vehicles) by excel.import_run, synchronously")
def _import() -> JobResult:
    """Generate a valid 100,000-row file, import it into the first store as its manager, time it, then remove
    the imported rows again (the job row, its audit entry and the customer numbers it used stay; on
    PostgreSQL the tables are vacuumed afterwards, untimed).

    The file is generated in a child process, so that ``peak_mb``, this process's peak resident set
    size (``getrusage(RUSAGE_SELF).ru_maxrss``), is the loaded application plus the import;
    ``helper_peak_mb`` is the peak of the import's helper process for pinyin, as it reports it (0: no
    helper ran), which is in memory at the same time. ``queries``
    counts the statements sent through Django's cursor (a COPY on PostgreSQL counts as none).
    """
    store = Store.all_objects.filter(is_active=True).order_by("code").first()
    if store is None:
        raise BenchFailure("No store: fill the database with `bench generate` first.")
    members = StaffMembership.all_objects.filter(store=store, is_active=True).select_related("user")
    member = members.filter(role__code="manager").first() or members.first()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-import.xlsx"
        code = (
            "import sys, django; django.setup(); from pathlib import Path; "
            "from bench.customers.import_job import import_workbook; "
            "import_workbook(Path(sys.argv[1]), rows=int(sys.argv[2]), run=int(sys.argv[3]))"
        )
        run = str(ImportJob.objects.count() % 1000)
        subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code, str(path), str(IMPORT_ROWS), run], check=True, env=dict(os.environ)
        )
        storage_name = f"bench-{secrets.token_hex(8)}.xlsx"
        shutil.move(path, selectors.imports_dir() / storage_name)
    created = ImportJob.objects.create(
        store=store,
        created_by=member.user if member else None,
        file_name="bench-import.xlsx",
        storage_name=storage_name,
        # A file's name and mobile may meet an archive customer's by chance (about one row in 3,000):
        # those rows are imported as new customers, so every row is imported and timed alike.
        on_match=ImportJob.OnMatch.CREATE,
    )
    tables: tuple[type[Model], ...] = (
        SearchKey,
        MileageReading,
        VehicleLink,
        PlateRegistration,
        CustomerPhone,
        Vehicle,
        Customer,
    )
    last_ids: dict[type[Model], int] = {
        model: model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0 for model in tables
    }
    # The helper process that works out the names' pinyin reports its peak memory in a log record.
    helper_log = logging.getLogger("aftersales.customers.excel.names")
    helper_peaks = _Collected("helper_peak_mb")
    helper_log.addHandler(helper_peaks)
    level = helper_log.level
    if not helper_log.isEnabledFor(logging.INFO):
        helper_log.setLevel(logging.INFO)
    gc.collect()
    started = time.perf_counter_ns()
    try:
        with CaptureQueriesContext(connection) as captured:
            finished = excel.import_run(created.pk)
    finally:
        helper_log.removeHandler(helper_peaks)
        helper_log.setLevel(level)
    elapsed_ms = (time.perf_counter_ns() - started) / 1_000_000
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    helper_mb = max(helper_peaks.values, default=0)
    try:
        if finished is None or finished.status != ImportJob.Status.DONE or finished.error_rows:
            message = finished.message if finished else "not run"
            raise BenchFailure(f"import: the job did not import every row: {message}")
        if (finished.created_customers, finished.created_vehicles) != (IMPORT_ROWS, IMPORT_ROWS):
            raise BenchFailure(f"import: {finished.message}")
    finally:
        # Whatever the outcome, the imported rows go again: a failed run must not leave them behind
        # for the next one's VINs and mobiles to clash with.
        _imported_rows_remove(tables, last_ids)
    seconds = elapsed_ms / 1000
    result = ScenarioResult("import", [elapsed_ms], len(captured.captured_queries))
    return JobResult(
        [
            result.line(),
            f"import rows={IMPORT_ROWS} seconds={seconds:.2f} rows_per_s={IMPORT_ROWS / seconds:.0f} "
            f"peak_mb={peak_mb:.0f} helper_peak_mb={helper_mb}",
        ]
    )


def _imported_rows_remove(tables: tuple[type[Model], ...], last_ids: Mapping[type[Model], int]) -> None:
    """Delete the rows an import added (those after ``last_ids``); on PostgreSQL vacuum the tables."""
    with connection.cursor() as cursor:
        for model in tables:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE id > %s", [last_ids[model]])  # noqa: S608 - a model's table
        if connection.vendor == "postgresql":
            # Autovacuum may be off (it is on the bench machine): without this, every run would leave
            # 1.9 million dead rows behind for the next one to step over.
            names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
            cursor.execute(f"VACUUM (ANALYZE) {names}")


class _Collected(logging.Handler):
    """Collects one ``extra`` value of the log records it sees."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.INFO)
        self.name_of_value = name
        self.values: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        value = getattr(record, self.name_of_value, None)
        if isinstance(value, int):
            self.values.append(value)


# --- the Excel import file -----------------------------------------------------------------------


IMPORT_CREDIT_AREA = "310230"
# Plates of a province none of the archive generator's regions has (bench.customers.values): a plate is
# on one vehicle at a time, so a file's plate must never be one the archive holds.
IMPORT_PLATE_PROVINCE = "藏"


def import_workbook(path: Path, *, rows: int, run: int) -> None:
    """Write an import file of ``rows`` valid rows, each one customer with one vehicle, as a dealer fills it.

    ``run`` (0-999) goes into every VIN, mobile and credit code, so that files of different runs
    never clash with each other or with the archive that ``--customers`` generates.
    """
    if not 1 <= rows <= 999_999 or not 0 <= run <= 999:
        raise ValueError("rows must be 1 to 999,999 and run 0 to 999.")
    rng = random.Random(f"aftersales-bench-import-{run}")
    surname_weights = list(itertools.accumulate(1 / (rank + 5) for rank in range(len(SURNAMES))))
    districts = ("浦东新区", "徐汇区", "闵行区", "静安区", "杨浦区", "长宁区")
    streets = ("世纪大道", "张杨路", "漕溪北路", "虹桥路", "南京西路", "四平路")
    fuels = ("汽油", "汽油", "汽油", "混动", "插混", "纯电")
    colours = ("珍珠白", "星空灰", "曜石黑", "极地银", "宝石蓝", "中国红")
    vds_letters = "ABCDEFGHJKLMNPRSTUVWXYZ"  # a run's letters in VIN positions 4-8
    vds = "".join(vds_letters[run // 23**power % 23] for power in range(5))
    writer = excel.XlsxWriter(path, title=excel.SHEET_TITLE, shared_strings=True)  # as Excel saves it
    writer.append([column.zh for column in excel.COLUMNS], style="header")
    writer.append([column.en for column in excel.COLUMNS], style="note")
    today = date.today()
    for index in range(rows):
        company = index % 10 == 9
        surname = SURNAMES[bisect.bisect(surname_weights, rng.random() * surname_weights[-1])]
        if company:
            name = f"上海{rng.choice(streets)}{index}号汽车服务有限公司"
        elif rng.random() < 0.25:
            name = surname + rng.choice(GIVEN_SINGLE)
        else:
            name = surname + rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND)
        year = 2016 + index % 10
        bought = date(year, 1 + index % 12, 1 + index % 28)
        body = f"LSV{vds}0{'GHJKLMNPRS'[year - 2016]}A{index:06d}"
        resident_id = ""
        if not company and index % 2 == 0:
            # The credit codes' area too: a resident ID is one person's, and the archive's are 310115's.
            first = f"{IMPORT_CREDIT_AREA}{date(1960, 1, 1) + timedelta(days=index % 15000):%Y%m%d}{index // 15000:03d}"
            resident_id = first + identifiers.resident_id_check_char(first)
        # 310230 (崇明区) is an area the archive generator never uses, so no credit code of a file can
        # be one the archive holds: with 310115 the codes of run 0 met the archive's at full scale.
        credit = f"91{IMPORT_CREDIT_AREA}{run:03d}{index:06d}"
        fuel = rng.choice(fuels)
        plate_body, nev = f"{index % 100000:05d}", fuel in {"插混", "纯电"}
        row = {
            "kind": "公司" if company else "个人",
            "name": name,
            "mobile": f"1{3 + run % 7}{run:03d}{index:06d}",
            "email": f"customer{index}@example.com" if index % 3 == 0 else None,
            "province": "上海市",
            "city": "上海市",
            "district": rng.choice(districts),
            "street": f"{rng.choice(streets)}{1 + index % 2000}号",
            "resident_id": resident_id or None,
            "uscc": credit + identifiers.uscc_check_char(credit) if company else None,
            "emergency_contact": "张三" if index % 4 == 0 else None,
            "emergency_phone": "13900001111" if index % 4 == 0 else None,
            "source": rng.choice(("销售", "到店", "转介绍", "网络", "电话")),
            "customer_class": "车队" if company else rng.choice(("普通", "普通", "普通", "VIP")),
            "data_consent": "是",
            "marketing_consent": "是" if index % 3 else "否",
            "consent_channel": "纸质",
            "vin": body[:8] + identifiers.vin_check_digit(body) + body[9:],
            "plate": f"{IMPORT_PLATE_PROVINCE}{'ABCDEFGHJ'[index % 9]}{'D' if nev else ''}{plate_body}",
            "model_year": year,
            "engine_no": f"E{index:07d}",
            "colour": rng.choice(colours),
            "fuel_type": fuel,
            "purchase_date": bought,
            "warranty_end": bought.replace(year=year + 3),
            "mileage": 5000 + index % 150000,
            "mileage_date": today - timedelta(days=1 + index % 300),
        }
        writer.append([row.get(column.key) for column in excel.COLUMNS])
    writer.close()
