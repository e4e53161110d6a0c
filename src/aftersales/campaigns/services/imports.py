"""The issuer's VIN list (an .xlsx or .csv whose first row names the VIN column, Chinese or English,
other columns ignored), read whole in the request with its wrong rows named at once (``rows.N.vin``;
the first 100 named, all counted): a VIN with a wrong check digit, length or character is refused, and
then the file is refused whole and nothing is added. A VIN listed twice, in the file or already on the
campaign, is added once."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.campaigns.services.registry import draft_access, vins_add
from aftersales.core import identifiers
from aftersales.core.errors import ApplicationError
from aftersales.core.imports import Cells, Column, Layout, Row, Sheet, table_rows
from aftersales.core.models import User
from aftersales.core.xlsx import WorkbookError

MAX_VIN_ROWS = 200_000
# A refused file names the problems of its first wrong rows only, and counts the rest.
ROW_REPORT_LIMIT = 100

VIN_LIST = Layout(
    "VIN清单",
    (
        Column(
            "vin", "VIN", "VIN", "Required: 17 characters with a valid check digit.", max_length=30, text=True, width=24
        ),
    ),
    required=("vin",),
    former={"车架号": "vin", "车辆识别代号": "vin", "车辆识别号": "vin", "底盘号": "vin"},
)


@dataclass(frozen=True)
class VinImport:
    rows: int  # rows read
    added: int  # VINs new to the list
    repeated: int  # rows whose VIN the file or the list held already


@dataclass(frozen=True)
class VinRows:
    vins: list[str]  # the good rows' VINs, checked, in upper case
    errors: dict[str, list[str]]  # the problems of the first ROW_REPORT_LIMIT wrong rows, ``rows.N.vin``
    rows: int  # rows read
    wrong: int  # wrong rows, all of them


def _row_order(key: str) -> int:
    return int(key.split(".", 2)[1])


def vin_rows_read(upload: UploadedFile) -> VinRows:
    """The file's VINs and its wrong rows (the first ``ROW_REPORT_LIMIT`` named, all counted)."""
    rows = table_rows(upload, max_rows=MAX_VIN_ROWS + 2)
    if len(rows) > MAX_VIN_ROWS + 2:
        raise ApplicationError(
            _("A VIN list may have at most %(n)s rows; split the file.") % {"n": MAX_VIN_ROWS}, field="file"
        )
    try:
        sheet = Sheet(iter(rows), VIN_LIST)
    except WorkbookError as error:
        raise ApplicationError(str(error), code="invalid_file", field="file", status=422) from None
    cells = Cells(VIN_LIST, sheet.positions)
    vins: list[str] = []
    errors: dict[str, list[str]] = {}
    count = wrong = 0
    for number, values in sheet:
        count += 1
        row = Row(number, values, {})
        if cells.read(row):
            typed = cells.required(row, "vin", _("Enter a VIN."))
            if typed and "vin" not in row.errors:
                try:
                    vins.append(identifiers.clean_vin(typed))
                except ValidationError as error:
                    for message in error.messages:
                        row.fail("vin", message)
        if row.errors:
            wrong += 1
            if wrong <= ROW_REPORT_LIMIT:
                errors |= {f"rows.{row.number}.{key}": messages for key, messages in row.errors.items()}
    if not count:
        raise ApplicationError(_("The file has no rows below its header."), code="invalid_file", field="file")
    ordered = dict(sorted(errors.items(), key=lambda item: _row_order(item[0])))
    return VinRows(vins=vins, errors=ordered, rows=count, wrong=wrong)


def vin_list_import(*, actor: User, campaign_id: int, upload: UploadedFile) -> VinImport:
    """Add the VINs of the file to a draft's list, or (any row wrong) refuse the file whole, 422 with
    the problems of the first ``ROW_REPORT_LIMIT`` wrong rows on ``rows.N.vin``, the number of wrong
    rows on ``file`` and as ``wrong_rows``. The campaign is found and checked to be a draft before the
    file is read."""
    draft_access(actor=actor, campaign_id=campaign_id)
    read = vin_rows_read(upload)
    if read.wrong:
        fields = dict(read.errors)
        if read.wrong > ROW_REPORT_LIMIT:
            fields["file"] = [
                ngettext(
                    "%(n)s row is wrong; the first %(shown)s are named.",
                    "%(n)s rows are wrong; the first %(shown)s are named.",
                    read.wrong,
                )
                % {"n": read.wrong, "shown": ROW_REPORT_LIMIT}
            ]
        raise ApplicationError(
            _("Some rows of the file are wrong; nothing was taken in."),
            fields=fields,
            status=422,
            extra={"wrong_rows": read.wrong},
        )
    unique = list(dict.fromkeys(read.vins))
    added = vins_add(actor=actor, campaign_id=campaign_id, vins=unique)
    return VinImport(rows=read.rows, added=added, repeated=read.rows - added)


def vin_list_template() -> bytes:
    return VIN_LIST.template(rows=1000)
