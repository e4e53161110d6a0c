"""Every periodic job of the product, declared in one place.

Each job is a thin, idempotent wrapper around a service; ``aftersales worker`` runs them. (The
worker's heartbeat is no job: it beats from a thread of its own, see ``commands/worker.py``.)
"""

from __future__ import annotations
