"""The parts area's benchmarks; importing the package registers them.

- ``stock``: the stock generator (``bench generate --parts N --stock-moves M``), the ``stock_balance``
  scenario and the jobs ``receipt_5000`` and ``reserve_5000``;
- ``stocktake``: the jobs ``stocktake_20000`` and ``stock_import_20000``.
"""

from bench.parts import stock, stocktake

__all__ = ["stock", "stocktake"]
