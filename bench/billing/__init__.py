"""Billing's benchmarks; importing the package registers them.

- ``cash_desk``: ``cash_report``, the cash desk's daily report of a store taking 2,000 payments a day, with its
  set-up (a week of the counter written in bulk);
- ``settle``: ``settle``, an order of 60 lines and three payers settled (its list prepared and confirmed with a
  line discount and the rounding off), rolled back after each call, with its set-up.
"""

from bench.billing import cash_desk, settle

__all__ = ["cash_desk", "settle"]
