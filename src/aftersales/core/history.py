"""The audit trail as people read it: who did what to which record, the changes labelled and readable.

One presentation for every page and answer that shows history: the audit page, a record's change
log and timeline, the timeline API. An entry's ``object_type`` (``app_label.model``) names the model
whose fields label its keys (their verbose names) and say how values read: a choice by its label, a
yes/no, a date and time in local time, a referenced record by its name, a list joined. Keys that are
not fields, and fields that read otherwise than their type says, are declared on the model in
``audit_keys`` (``AuditKey``), per action. The records entries refer to, and the people who acted,
are looked up with one query per model for all the entries shown.

The caller decides which values a reader may see (``shown``): personal values are masked or hidden
before they get here, and such a value is shown as it is.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import DateTimeField, Field, Model
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from aftersales.core.models import ANY_ACTION, AuditEntry, AuditKey

RECORD_ACTIONS = frozenset({AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE, AuditEntry.Action.DELETE})
EMPTY = "—"
# Between a label and its value ("Colour: white"), and between the items of a list; Chinese uses a
# full-width colon and the enumeration comma (、).
LABEL_SEPARATOR = pgettext_lazy("after a label", ": ")
LIST_SEPARATOR = pgettext_lazy("between list items", ", ")


@dataclass(frozen=True)
class HistoryLine:
    label: str
    value: str
    previous: str | None = None  # the value before, for a change of a record's field


@dataclass
class HistoryEntry:
    entry: AuditEntry
    actor: str  # the person's name; the user name when they have none (or are no user)
    subject: str  # what kind of record the entry is about ("Vehicle"), empty when none
    action: str  # the action, completed by a summary ("Personal data revealed: mobile numbers")
    lines: list[HistoryLine] = field(default_factory=list)
    changes: Mapping[str, Any] = field(default_factory=dict)  # as the reader may see them (``shown``)


# --- what an entry's keys are -------------------------------------------------------------------------


_PLAIN_KEY = AuditKey()  # a key declared nowhere: no label, choices or reference of its own


@dataclass(frozen=True)
class _Kind:
    """The keys of one object type's entries of one action."""

    model: type[Model] | None
    keys: Mapping[str, AuditKey]
    fields: Mapping[str, Field[Any, Any]]  # by name and by attname ("owner" and "owner_id")
    hidden: frozenset[str]  # bookkeeping: the primary key, automatic times, the model's exclusions
    order: Mapping[str, int]

    def key(self, name: str) -> AuditKey:
        return self.keys.get(name) or _PLAIN_KEY

    def label(self, name: str, *, capital: bool = True) -> str:
        """The key's declared label, else its field's verbose name; a foreign key named after what it
        refers to ("store") by that model's name. An unknown key as it is."""
        label: Any = self.key(name).label
        model_field = self.fields.get(name)
        if label is None and model_field is not None:
            label = model_field.verbose_name
            if not isinstance(label, Promise) and model_field.related_model is not None:
                label = model_field.related_model._meta.verbose_name
        if label is None:
            return name
        return capfirst(str(label)) if capital else str(label)

    def reference(self, name: str) -> type[Model] | None:
        declared = self.key(name).ref
        if declared:
            return apps.get_model(declared)
        model_field = self.fields.get(name)
        if model_field is not None and (model_field.many_to_one or model_field.one_to_one):
            return model_field.related_model
        return None

    def rank(self, name: str) -> tuple[int, str]:
        return self.order.get(name, len(self.order)), name


def _model(object_type: str) -> type[Model] | None:
    """The model of an object type; entries about no record are read with the trail's own declarations."""
    if not object_type:
        return AuditEntry
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@functools.cache
def _kind(object_type: str, action: str) -> _Kind:
    model = _model(object_type)
    if model is None:
        return _Kind(None, {}, {}, frozenset(), {})
    declared: Mapping[str, Mapping[str, AuditKey]] = getattr(model, "audit_keys", {})
    # The trail's own actions (a request refused, an export) read the same about any record; the
    # record's model may declare otherwise.
    trail = AuditEntry.audit_keys.get(action, {}) if model is not AuditEntry else {}
    keys = {**trail, **declared.get(ANY_ACTION, {}), **declared.get(action, {})}
    fields: dict[str, Field[Any, Any]] = {}
    hidden = set(getattr(model, "audit_exclude", ()))
    for model_field in model._meta.concrete_fields:
        fields[model_field.name] = fields[model_field.attname] = model_field
        automatic = getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False)
        if model_field.primary_key or automatic:
            hidden |= {model_field.name, model_field.attname}
    # Fields in the model's order (by name and by attname), then the declared keys in theirs.
    order = {name: i for i, name in enumerate(fields)} | {
        name: len(fields) + i for i, name in enumerate(keys) if name not in fields
    }
    return _Kind(model, keys, fields, frozenset(hidden - set(keys)), order)


# --- names of the records entries refer to ------------------------------------------------------------


def _pk(model: type[Model], value: Any) -> Any:
    """``value`` as a primary key of ``model``, or None when it cannot be one (a hidden or erased value)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return model._meta.pk.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return None


def _record_name(record: Model) -> str:
    audit_repr = getattr(record, "audit_repr", None)
    return audit_repr() if callable(audit_repr) else str(record)


class HistoryNames:
    """Names of the records history refers to by id, and of the people who acted: gathered in a first
    pass over the entries, then looked up with one query per model. Share one between the sections
    of a page (a change log and a timeline) so that no record is looked up twice."""

    def __init__(self) -> None:
        self.gathering = False
        self._wanted: dict[type[Model], set[Any]] = defaultdict(set)
        self._found: dict[type[Model], dict[Any, str]] = defaultdict(dict)
        self._looked_up: dict[type[Model], set[Any]] = defaultdict(set)

    def name(self, model: type[Model], value: Any) -> str | None:
        """The record's name; None when ``value`` is no id of it, or no such record exists."""
        pk = _pk(model, value)
        if pk is None:
            return None
        if self.gathering:
            if pk not in self._looked_up[model]:
                self._wanted[model].add(pk)
            return ""
        return self._found[model].get(pk)

    def fetch(self) -> None:
        """One query per model; names the records' own ``audit_repr`` gives (no personal data)."""
        for model, pks in self._wanted.items():
            records = model._base_manager.select_related().filter(pk__in=sorted(pks, key=str))
            # A model may keep some of its records' names from the current actor (audit_hidden: their
            # pks, audit_hidden_name: what is shown instead), e.g. another company's customers.
            hidden_of = getattr(model, "audit_hidden", None)
            hidden = hidden_of(pks) if hidden_of is not None else frozenset()
            self._found[model].update(
                (record.pk, str(model.audit_hidden_name) if record.pk in hidden else _record_name(record))  # type: ignore[attr-defined]
                for record in records
            )
            self._looked_up[model] |= pks
        self._wanted.clear()


# --- values -------------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def _local_time(value: str) -> str:
    moment = parse_datetime(value)
    if moment is None:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


class _Reader:
    def __init__(self, names: HistoryNames) -> None:
        self.names = names
        # Choice labels in the reader's language, worked out once per page: Model.get_FOO_display()
        # hashes every lazy label on each call, which cost most of a 500-entry timeline's time.
        self.actions = {value: str(label) for value, label in AuditEntry.Action.choices}
        self.choices: dict[Field[Any, Any], dict[Any, str]] = {}
        self.labels: dict[tuple[int, str, bool], str] = {}
        self.label_separator, self.list_separator = str(LABEL_SEPARATOR), str(LIST_SEPARATOR)
        self.yes, self.no = _("yes"), _("no")
        self.subjects: dict[str, str] = {}
        self.references: dict[tuple[int, str], type[Model] | None] = {}
        self.user_model = get_user_model()

    def _reference(self, kind: _Kind, name: str) -> type[Model] | None:
        reference_key = (id(kind), name)
        if reference_key in self.references:
            return self.references[reference_key]
        referenced = self.references[reference_key] = kind.reference(name)
        return referenced

    def gather(self, entry: AuditEntry, changes: Mapping[str, Any]) -> None:
        """Note the records ``entry`` names and who acted, for ``HistoryNames.fetch``: the values
        ``_one`` reads as references, and nothing else of what ``entry()`` works out."""
        kind = _kind(entry.object_type, entry.action)
        for name, change in changes.items():
            if name not in kind.hidden:
                self._gather_value(kind, name, change)
        if entry.actor_id:
            self.names.name(self.user_model, entry.actor_id)

    def _gather_value(self, kind: _Kind, name: str, value: Any) -> None:
        if value is None or value == "" or value == [] or value == {}:
            return
        if isinstance(value, list):
            for part in value:
                self._gather_value(kind, name, part)
            return
        if isinstance(value, dict):
            for sub, part in value.items():
                self._gather_value(kind, str(sub), part)
            return
        key = kind.key(name)
        if (key.choices is not None and str(value) in key.choices) or key.names:
            return
        if (key.unit == "bytes" and isinstance(value, int)) or (
            key.unit == "digest" and isinstance(value, str) and len(value) > 12
        ):
            return
        referenced = self._reference(kind, name)
        if referenced is not None:
            self.names.name(referenced, value)

    def label(self, kind: _Kind, name: str, *, capital: bool = True) -> str:
        # Kinds are cached for the life of the process, so their ids are stable keys.
        cache_key = (id(kind), name, capital)
        label = self.labels.get(cache_key)
        if label is None:
            label = self.labels[cache_key] = kind.label(name, capital=capital)
        return label

    def _choice(self, model_field: Field[Any, Any], value: Any) -> str:
        labels = self.choices.get(model_field)
        if labels is None:
            labels = self.choices[model_field] = {key: str(label) for key, label in model_field.flatchoices}
        return labels.get(value, str(value))

    def value(self, kind: _Kind, name: str, value: Any) -> str:
        if value is None or value == "" or value == [] or value == {}:
            return EMPTY
        key = kind.key(name)
        if isinstance(value, list):
            parts = [self.value(kind, name, part) for part in value]
            return self.list_separator.join(dict.fromkeys(parts) if key.names else parts)
        if isinstance(value, dict):
            return self.list_separator.join(
                f"{self.label(kind, str(sub))}{self.label_separator}{self.value(kind, str(sub), part)}"
                for sub, part in sorted(value.items(), key=lambda item: kind.rank(str(item[0])))
            )
        return self._one(kind, name, key, value)

    def _one(self, kind: _Kind, name: str, key: AuditKey, value: Any) -> str:
        if key.choices is not None and str(value) in key.choices:
            return str(key.choices[str(value)])
        if key.names:
            return self.label(kind, str(value), capital=False)
        if key.unit == "bytes" and isinstance(value, int):
            return str(filesizeformat(value))
        if key.unit == "digest" and isinstance(value, str) and len(value) > 12:
            return f"{value[:12]}…"
        referenced = self._reference(kind, name)
        if referenced is not None and _pk(referenced, value) is not None:
            return self.names.name(referenced, value) or f"#{value}"  # a record deleted since
        if isinstance(value, bool):
            return self.yes if value else self.no
        model_field = kind.fields.get(name)
        if model_field is not None and model_field.choices:
            return self._choice(model_field, value)
        if isinstance(model_field, DateTimeField) and isinstance(value, str):
            return _local_time(value)
        return str(value)

    def entry(self, entry: AuditEntry, changes: Mapping[str, Any]) -> HistoryEntry:
        kind = _kind(entry.object_type, entry.action)
        record_change = entry.action in RECORD_ACTIONS
        lines: list[HistoryLine] = []
        summary: list[str] = []
        for name in sorted(changes, key=kind.rank):
            change = changes[name]
            if name in kind.hidden:
                continue
            label = self.label(kind, name)
            if record_change and isinstance(change, list) and len(change) == 2:
                old, new = change
                if _blank(old) and _blank(new):
                    continue  # a field left empty on creation
                if entry.action == AuditEntry.Action.CREATE:
                    lines.append(HistoryLine(label, self.value(kind, name, new)))
                elif entry.action == AuditEntry.Action.DELETE:
                    lines.append(HistoryLine(label, self.value(kind, name, old)))
                else:
                    lines.append(HistoryLine(label, self.value(kind, name, new), self.value(kind, name, old)))
            elif kind.key(name).summary:
                summary.append(self.value(kind, name, change))
            else:
                lines.append(HistoryLine(label, self.value(kind, name, change)))
        action = self.actions.get(entry.action, entry.action)
        if summary:
            action = f"{action}{self.label_separator}{self.list_separator.join(summary)}"
        subject = self.subjects.get(entry.object_type)
        if subject is None:
            model = kind.model if entry.object_type else None
            subject = capfirst(str(model._meta.verbose_name)) if model is not None else entry.object_type
            self.subjects[entry.object_type] = subject
        actor = self.names.name(self.user_model, entry.actor_id) if entry.actor_id else None
        return HistoryEntry(entry, actor or entry.actor_username, subject, action, lines, changes)


def audit_history(
    entries: Iterable[AuditEntry],
    *,
    shown: Callable[[AuditEntry], Mapping[str, Any]] | None = None,
    names: HistoryNames | None = None,
) -> list[HistoryEntry]:
    """``entries`` as people read them; ``shown`` gives the changes the reader may see (default: as stored).

    One query per model that entries refer to (the users who acted among them), none when none, and
    none for a record ``names`` already holds.
    """
    entries = list(entries)
    changes = [shown(entry) if shown is not None else entry.changes or {} for entry in entries]
    reader = _Reader(names or HistoryNames())
    reader.names.gathering = True
    for entry, entry_changes in zip(entries, changes, strict=True):
        reader.gather(entry, entry_changes)
    reader.names.gathering = False
    reader.names.fetch()
    return [reader.entry(entry, entry_changes) for entry, entry_changes in zip(entries, changes, strict=True)]
