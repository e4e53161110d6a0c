"""The appointments area's benchmarks; importing the package registers them.

- ``store_day``: the store-day both scenarios run on, written once by their set-up: the first store with
  40 technicians, 30 bays and 300 bookings on the bench day, and the arrivals ``booking_create`` makes;
- ``scenarios``: ``slots`` and ``booking_create``;
- ``public``: ``public_booking``, the customer's own booking page in three steps (each step's times printed);
- ``confirmations``: where ``booking_create``'s confirmation messages go (the outbox, their delivery jobs
  on a queue of the bench's own that no worker reads, cancelled when the scenario is done).
"""

from bench.appointments import confirmations, public, scenarios, store_day

__all__ = ["confirmations", "public", "scenarios", "store_day"]
