"""State tables (DESIGN-visit, "States, transitions and guards"): for each stateful record one table
``state → action → (new state, permission)``, guard functions other areas register, and one function
that applies an action, writing its event (who, when, from, to, note) in the caller's transaction.

An area declares its table in its ``transitions.py``; its services call ``StateTable.apply`` and
nothing else changes the record's state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _

from aftersales.core.access import can
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import AuditedModel, User

# A guard answers why an action may not happen to a record now (None: it may).
Guard = Callable[[Any], str | None]


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    permission: str


class StateTable:
    def __init__(self, name: str, transitions: Iterable[Transition], *, field: str = "status") -> None:
        self.name, self.field = name, field
        self.transitions = {transition.action: transition for transition in transitions}
        self.guards: dict[str, list[Guard]] = defaultdict(list)

    def guard(self, action: str) -> Callable[[Guard], Guard]:
        """Register a guard on ``action`` (e.g. another area's precondition)."""
        if action not in self.transitions:
            raise ValueError(f"{self.name} has no action {action!r}")

        def register(function: Guard) -> Guard:
            self.guards[action].append(function)
            return function

        return register

    def actions(self, record: Model, actor: User | None = None) -> list[str]:
        """The actions the record's state allows (and ``actor`` holds the permission for, when given)."""
        state = getattr(record, self.field)
        return [
            transition.action
            for transition in self.transitions.values()
            if state in transition.sources
            and (actor is None or can(actor, transition.permission, store_id=getattr(record, "store_id", None)))
        ]

    def apply(
        self,
        record: Model,
        action: str,
        *,
        actor: User | None,
        event: Callable[..., Model],
        note: str = "",
        save_fields: Iterable[str] = (),
    ) -> Transition:
        """Move ``record`` (locked by the caller) by ``action``: refused when its state does not allow
        it (409), the actor lacks the permission (403) or a guard objects (400, every objection at
        once); else its state is saved with ``save_fields`` and ``event`` (the area's event model,
        given the record already) is written with who, from, to and the note."""
        transition = self.transitions.get(action)
        if transition is None:
            raise ApplicationError(_("Unknown action."), code="unknown_action", field="action")
        state = getattr(record, self.field)
        if state not in transition.sources:
            raise ConflictError(
                _("This cannot be done while it is “%(state)s”.") % {"state": _display(record, self.field)},
                code="not_allowed",
            )
        store_id = getattr(record, "store_id", None)
        if actor is not None and not can(actor, transition.permission, store_id=store_id):
            raise ApplicationError(_("You may not do this."), code="forbidden", status=403)
        problems = [problem for check in self.guards[action] if (problem := check(record))]
        if problems:
            raise ApplicationError(" ".join(problems), code="guard", field=self.field)
        setattr(record, self.field, transition.target)
        if isinstance(record, AuditedModel):  # the trail records the change as the actor's too
            record.save(update_fields=[self.field, *save_fields], actor=actor)
        else:
            record.save(update_fields=[self.field, *save_fields])
        event(actor=actor, action=action, from_state=state, to_state=transition.target, note=note[:500])
        return transition


def _display(record: Model, field: str) -> str:
    method = getattr(record, f"get_{field}_display", None)
    return str(method()) if callable(method) else str(getattr(record, field))
