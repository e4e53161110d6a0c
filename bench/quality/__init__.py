"""The quality area's benchmarks; importing the package registers them.

- ``comebacks``: ``comeback_check``, the comeback check of a new order's lines over 10 million past orders,
  with its set-up (the workshop's history of the customer archive, the open orders it checks);
- ``sanbao``: ``warranty_watch``, the 三包 page of a household vehicle with 50 past orders, with its set-up.
"""

from bench.quality import comebacks, sanbao

__all__ = ["comebacks", "sanbao"]
