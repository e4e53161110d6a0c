"""The error report of an import: the rows with problems as they were read, with a column that says
what is wrong ("column: message; …") and their row number in the source, to correct and upload again."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from aftersales.core.imports.cells import Row
from aftersales.core.imports.layout import ERRORS_HEADER, ROW_HEADER, Layout
from aftersales.core.xlsx import XlsxWriter


def _padded(values: list[Any], width: int) -> list[Any]:
    return (values + [None] * width)[:width]


class ErrorReport:
    """Written as a stream, the file made at the first bad row (a clean import makes none)."""

    def __init__(self, layout: Layout, folder: Path, headers: list[list[Any]], positions: dict[str, int]) -> None:
        self.layout, self.folder, self.headers, self.positions = layout, folder, headers, positions
        self.width = max([len(headers[0]) if headers else 0, *(position + 1 for position in positions.values())])
        self.writer: XlsxWriter | None = None
        self.path: Path | None = None
        self.name = ""
        self.rows = 0

    def append(self, row: Row) -> None:
        self.rows += 1
        if self.writer is None:
            self.name = f"{secrets.token_hex(16)}-errors.xlsx"
            self.path = self.folder / self.name
            widths = [*(self.layout.columns[0].width for _position in range(self.width)), 60, 10]
            self.writer = XlsxWriter(self.path, title=self.layout.title, widths=widths, frozen_rows=len(self.headers))
            for index, header in enumerate(self.headers):
                labels = (ERRORS_HEADER[index], ROW_HEADER[index])
                self.writer.append([*_padded(header, self.width), *labels], style="header" if index == 0 else "note")
        last = len(self.layout.columns)
        order = sorted(row.errors, key=lambda key: self.positions.get(key, last))
        described = "; ".join(
            f"{self.layout.by_key[key].label()}: {message}" for key in order for message in row.errors[key]
        )
        self.writer.append([*_padded(row.values, self.width), described, row.number])

    def close(self, *, keep: bool) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
            if not keep and self.path is not None:
                self.path.unlink(missing_ok=True)
                self.name = ""
