"""Base classes every business area builds on: store ownership and audited changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.db import models, transaction

from aftersales.core.audit import AuditKeys, audit_record_change
from aftersales.core.current import current_scope

if TYPE_CHECKING:
    from aftersales.core.models.users import User


class StoreScopedQuerySet(models.QuerySet[Any]):
    def for_store(self, store_id: int) -> Self:
        return self.filter(store_id=store_id)


class StoreScopedManager(models.Manager[Any]):
    """Default manager of store-owned records: limited to the stores the current actor may see."""

    def get_queryset(self) -> StoreScopedQuerySet:
        queryset = StoreScopedQuerySet(self.model, using=self._db)
        scope = current_scope()
        if scope is not None and scope.store_ids is not None:
            queryset = queryset.filter(store_id__in=scope.store_ids)
        return queryset


class AuditedModel(models.Model):
    """A business record whose create / update / delete writes an audit entry.

    Field values are remembered when a row is loaded so that an update records only the fields
    that really changed, as before → after, without an extra query.
    """

    audit_exclude: ClassVar[frozenset[str]] = frozenset()
    # Fields holding personal data: in the trail they are erasable (see core.audit.chain), per audit_subject().
    audit_personal: ClassVar[frozenset[str]] = frozenset()
    # How the keys of this model's entries read, by action (ANY_ACTION: every action); see AuditKey.
    audit_keys: ClassVar[AuditKeys] = {}

    class Meta:
        abstract = True

    def save(self, *args: Any, actor: User | None = None, **kwargs: Any) -> None:
        """Save and record the change in the audit trail as done by ``actor`` (None: by the system, e.g. a
        migration or the demo set-up). Services pass the actor they are given; nothing reads it from
        the request."""
        creating = self._state.adding
        before = getattr(self, "_loaded_values", None)
        # Atomic on its own; inside a caller's transaction no savepoint (two round trips each): a caller that
        # recovers from an IntegrityError wraps the save in a savepoint of its own, as every one here does.
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            after = self.audit_values()
            # Compare only audited fields: excluded ones (password hashes, ciphers) never reach the trail.
            before = {key: value for key, value in before.items() if key in after} if before is not None else None
            audit_record_change(
                instance=self, action="create" if creating else "update", before=before, after=after, actor=actor
            )
        self._loaded_values = {**(before or {}), **after}

    def delete(self, *args: Any, actor: User | None = None, **kwargs: Any) -> tuple[int, dict[str, int]]:
        before = self.audit_values()
        pk = self.pk
        with transaction.atomic(savepoint=False):
            result = super().delete(*args, **kwargs)
            self.pk = pk
            audit_record_change(instance=self, action="delete", before=before, after=None, actor=actor)
        return result

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def audit_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for model_field in self._meta.concrete_fields:
            if model_field.attname in self.audit_exclude or model_field.name in self.audit_exclude:
                continue
            values[model_field.attname] = getattr(self, model_field.attname)
        return values

    def audit_store_id(self) -> int | None:
        return getattr(self, "store_id", None)

    def audit_subject(self) -> str:
        """Whose personal data this record's audit entries hold (``"app.model:id"``), if any."""
        return ""

    def audit_repr(self) -> str:
        """How the trail names the record; must hold no personal data when audit_personal is set."""
        return str(self)


class StoreOwnedModel(AuditedModel):
    """An operational record that belongs to one store; scoped by default."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()
    all_objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"
