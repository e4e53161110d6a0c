"""Writes of the platform: sign-in and its lockout, passwords, API tokens, document numbers, roles, job
heartbeats; the companies and the holiday calendar in modules of their own, named here too."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, DateTimeField, F, PositiveIntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.core.access import can
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, LockedOutError
from aftersales.core.models import ApiToken, JobHeartbeat, LoginThrottle, Role, User
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.core.services.calendar import YEAR_MAX as YEAR_MAX
from aftersales.core.services.calendar import YEAR_MIN as YEAR_MIN
from aftersales.core.services.calendar import calendar_year_clean as calendar_year_clean
from aftersales.core.services.calendar import calendar_year_save as calendar_year_save
from aftersales.core.services.companies import legal_entity_clean as legal_entity_clean
from aftersales.core.services.companies import legal_entity_create as legal_entity_create
from aftersales.core.services.companies import legal_entity_update as legal_entity_update
from aftersales.core.services.rates import rate_allow as rate_allow

TOKEN_PREFIX = "as_"  # noqa: S105 - a public marker, not a secret
# The longest a token may last without the right to make tokens that never expire (tokens.no_expiry).
TOKEN_MAX_DAYS = 365


# --- the client's address ----------------------------------------------------------------------------

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.cache
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


_WITH_PORT = re.compile(r"\[(?P<v6>[^\]]+)\](?::\d+)?|(?P<v4>\d{1,3}(?:\.\d{1,3}){3}):\d+")


def _ip(value: str) -> IpAddress | None:
    """An address as a proxy writes it: plain, with an IPv6 zone ("%eth0"), or with a port
    ("203.0.113.7:5678", "[2001:db8::1]:443"), which some load balancers add."""
    text = value.strip()
    with_port = _WITH_PORT.fullmatch(text)
    if with_port is not None:
        text = with_port.group("v6") or with_port.group("v4")
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def _counted_address(client_ip: str | None) -> str:
    """What the sign-in lockout counts an address as: an IPv4 address itself, an IPv6 address by its
    /64 network (one subscriber's line or site has a whole /64, and could take a new address per attempt)."""
    address = _ip(client_ip or "")
    if address is None:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_ip_of(request: HttpRequest) -> str | None:
    """The address of the client that sent ``request``, or None: the one place that reads it.

    The connection's address (REMOTE_ADDR), unless that is a trusted reverse proxy
    (``settings.TRUSTED_PROXIES``): then the right-most X-Forwarded-For address that is not a trusted
    proxy itself, the one our proxies saw. Whatever a client writes into the header stands left of
    that and is never believed; without a trusted proxy the header is ignored.
    """
    remote = _ip(str(request.META.get("REMOTE_ADDR") or ""))
    if remote is None:
        return None
    proxies = _networks(tuple(settings.TRUSTED_PROXIES))
    if not any(remote in network for network in proxies):
        return str(remote)
    client = remote
    hops = [hop for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:  # a proxy writes addresses: other text came from the client
            break
        client = address
        if not any(address in network for network in proxies):
            break
    return str(client)


# --- signing in -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Refusal:
    lock: str  # "user_address" or "address", as audited
    until: datetime


def _counters(*, username: str, address: str) -> list[tuple[str, QuerySet[LoginThrottle], int]]:
    """The counters an attempt is taken from, in the order they are locked (so that none deadlock):
    the user name at this address, the user name from every address (a ceiling on guessing one
    account from many addresses), the address for every name."""
    return [
        (
            "user_address",
            LoginThrottle.objects.filter(username=username, client_ip=address),
            settings.LOGIN_FAILURE_LIMIT,
        ),
        (
            "user",
            LoginThrottle.objects.filter(username=username, client_ip=LoginThrottle.NAME_WIDE),
            settings.LOGIN_NAME_FAILURE_LIMIT,
        ),
        (
            "address",
            LoginThrottle.objects.filter(username=LoginThrottle.ADDRESS_WIDE, client_ip=address),
            settings.LOGIN_ADDRESS_FAILURE_LIMIT,
        ),
    ]


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _take(rows: QuerySet[LoginThrottle], *, limit: int, now: datetime) -> bool:
    """Take one attempt from a counter with one conditional UPDATE; False when it has none left.

    The database evaluates the condition on the row as it is when the UPDATE gets its lock, so of any
    number of concurrent attempts at most ``limit`` are taken per window. A counter whose window has
    passed, or whose lock has ended, starts again at this attempt.
    """
    fresh = Q(window_started_at__lte=now - _window()) | Q(locked_until__lte=now)
    taken = (
        rows.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .filter(Q(failures__lt=limit) | fresh)
        .update(
            failures=Case(When(fresh, then=Value(1)), default=F("failures") + 1, output_field=PositiveIntegerField()),
            window_started_at=Case(
                When(fresh, then=Value(now)), default=F("window_started_at"), output_field=DateTimeField()
            ),
            locked_until=None,
        )
    )
    return bool(taken)


def _refused_until(rows: QuerySet[LoginThrottle], *, limit: int, now: datetime) -> datetime | None:
    """Until when a counter refuses attempts, or None if it does not (any more, or its row is gone)."""
    row = rows.first()
    if row is None:
        return None
    if row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    if row.failures >= limit and row.window_started_at > now - _window():
        return row.window_started_at + _window()  # the last attempts are being checked
    return None


def _attempt_take(*, username: str, address: str) -> _Refusal | None:
    """Take an attempt from both counters, or from neither; the refusal when one has none left."""
    counters = _counters(username=username, address=address)
    keys = [(username, address), (username, LoginThrottle.NAME_WIDE), (LoginThrottle.ADDRESS_WIDE, address)]
    for _round in range(3):
        now = timezone.now()
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(username=name, client_ip=ip, window_started_at=now) for name, ip in keys],
            ignore_conflicts=True,
        )
        refused: tuple[str, QuerySet[LoginThrottle], int] | None = None
        with transaction.atomic():
            for lock, rows, limit in counters:
                if not _take(rows, limit=limit, now=now):
                    refused = (lock, rows, limit)
                    transaction.set_rollback(True)  # give back what the other counter gave
                    break
        if refused is None:
            return None
        # Counters this refused attempt started hold nothing: no row is kept for a refused name.
        for name, ip in keys:
            LoginThrottle.objects.filter(username=name, client_ip=ip, failures=0, locked_until=None).delete()
        lock, rows, limit = refused
        until = _refused_until(rows, limit=limit, now=now)
        if until is not None:
            return _Refusal(lock, until)
        # The counter was pruned or released by a success meanwhile: take again.
    return _Refusal("user_address", timezone.now() + _window())


def _attempt_failed(*, username: str, address: str, client_ip: str | None) -> None:
    """Keep the attempt taken as a failure; a counter at its limit locks from now for the lockout time."""
    now = timezone.now()
    with transaction.atomic():
        for _lock, rows, limit in _counters(username=username, address=address):
            rows.update(
                last_failure_at=now,
                locked_until=Case(
                    When(failures__gte=limit, then=Value(now + _window())),
                    default=F("locked_until"),
                    output_field=DateTimeField(),
                ),
            )
        audit_append(action="login_failed", actor_username=username, client_ip=client_ip)


def _attempt_succeeded(*, username: str, address: str) -> None:
    """Give the attempt back: the user name starts afresh at this address, and the address takes back
    this attempt and the name's failures there (the person's own typing), so that the staff of a
    store who share an address do not add up each other's typing mistakes to the address's limit."""
    with transaction.atomic():
        own = LoginThrottle.objects.select_for_update().filter(username=username, client_ip=address).first()
        if own is not None:
            LoginThrottle.objects.filter(pk=own.pk).delete()
        forgiven = own.failures if own is not None else 1
        since = own.window_started_at if own is not None else timezone.now()
        wider = Q(username=LoginThrottle.ADDRESS_WIDE, client_ip=address) | Q(
            username=username, client_ip=LoginThrottle.NAME_WIDE
        )
        LoginThrottle.objects.filter(wider).update(
            failures=Case(
                # The name's failures fell in the wider counter's window only if that began no later.
                When(window_started_at__lte=since, then=Greatest(F("failures") - forgiven, Value(0))),
                default=Greatest(F("failures") - 1, Value(0)),
                output_field=PositiveIntegerField(),
            )
        )
        LoginThrottle.objects.filter(wider, failures=0, locked_until=None).delete()  # they hold nothing


def _first_refusal(*, username: str, address: str, refusal: _Refusal) -> bool:
    """Whether this is the first refusal by that counter in its window: one audit entry per lock, not one
    per attempt, so that a flood of attempts against a lock does not flood the trail (a conditional
    UPDATE: of concurrent refusals exactly one wins)."""
    counters = {lock: rows for lock, rows, _limit in _counters(username=username, address=address)}
    unaudited = Q(refusal_audited_at__isnull=True) | Q(refusal_audited_at__lt=F("window_started_at"))
    return bool(counters[refusal.lock].filter(unaudited).update(refusal_audited_at=timezone.now()))


def _lockout_message(refusal: _Refusal) -> str:
    minutes = max(1, math.ceil((refusal.until - timezone.now()).total_seconds() / 60))
    if refusal.lock == "user":
        return ngettext(
            "Too many failed sign-in attempts for this user name. Try again in %(minutes)d minute.",
            "Too many failed sign-in attempts for this user name. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    if refusal.lock == "address":
        return ngettext(
            "Too many failed sign-in attempts from your network. Try again in %(minutes)d minute.",
            "Too many failed sign-in attempts from your network. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def auth_attempt(*, request: HttpRequest | None, username: str, password: str) -> User:
    """Check a user name and password: the one check of every sign-in (the sign-in page, the admin's,
    POST /api/v1/auth/token) and of the current password on the password page.

    Before the password is looked at, one attempt is taken atomically from the counters of the user
    name at the client's address (``LOGIN_FAILURE_LIMIT``) and of the address for every name
    (``LOGIN_ADDRESS_FAILURE_LIMIT``), within ``LOGIN_LOCKOUT_MINUTES``; when either has none left the
    attempt is refused (LockedOutError, 429) without checking the password, even the right one. A wrong
    password keeps its attempt (ApplicationError, 401); the right one gives it back. Each failure and
    each refusal writes an audit entry.
    """
    client_ip = client_ip_of(request) if request is not None else None
    address = _counted_address(client_ip)
    if not username:
        raise ApplicationError(_("The user name or password is not correct."), code="invalid_credentials", status=401)
    refusal = _attempt_take(username=username, address=address)
    if refusal is not None:
        if _first_refusal(username=username, address=address, refusal=refusal):
            audit_append(
                action="locked_out", actor_username=username, client_ip=client_ip, changes={"lock": refusal.lock}
            )
        raise LockedOutError(_lockout_message(refusal), code="locked_out")
    user = authenticate(request, username=username, password=password)
    if user is None:
        _attempt_failed(username=username, address=address, client_ip=client_ip)
        raise ApplicationError(_("The user name or password is not correct."), code="invalid_credentials", status=401)
    _attempt_succeeded(username=username, address=address)
    return cast(User, user)


def login_throttles_prune() -> int:
    """Forget the counters whose window has passed and that lock nothing; the number forgotten.

    Names first, then addresses, each one statement of its own: an attempt locks a name's counter
    before its address's, so the two never wait for each other in a circle.
    """
    now = timezone.now()
    stale = Q(window_started_at__lte=now - _window()) & (Q(locked_until__isnull=True) | Q(locked_until__lte=now))
    names, _names = LoginThrottle.objects.filter(stale).exclude(username=LoginThrottle.ADDRESS_WIDE).delete()
    addresses, _addresses = LoginThrottle.objects.filter(stale, username=LoginThrottle.ADDRESS_WIDE).delete()
    return names + addresses


# --- passwords ------------------------------------------------------------------------------------------


def user_password_change(*, actor: User, request: HttpRequest | None, current_password: str, new_password: str) -> User:
    """Change the actor's own password and lift a forced change.

    The current password is checked like a sign-in (``auth_attempt``: counted, locked out, audited);
    the new one against the password policy (``settings.AUTH_PASSWORD_VALIDATORS``), the user's names
    included.
    """
    problems: dict[str, list[str]] = {}
    if new_password == current_password:
        problems["new_password"] = [_("The new password must differ from the current one.")]
    else:
        try:
            validate_password(new_password, actor)
        except ValidationError as error:
            problems["new_password"] = list(error.messages)
    try:
        auth_attempt(request=request, username=actor.username, password=current_password)
    except LockedOutError as error:
        raise ApplicationError(error.detail, code=error.code, field="current_password", status=error.status) from None
    except ApplicationError:
        problems["current_password"] = [_("The current password is not correct.")]
    if problems:
        raise ApplicationError(_("The password was not changed."), code="invalid", fields=problems)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        user.set_password(new_password)
        user.must_change_password = False
        user.save(actor=user)
        audit_append(
            action="password_changed",
            actor=user,
            object_type="core.user",
            object_id=str(user.pk),
            object_repr=str(user),
        )
    return user


# --- API tokens -----------------------------------------------------------------------------------------


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    *, user: User, name: str, expires_in_days: int | None = None, never_expires: bool = False
) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; return the row and the raw token, which is never stored.

    It expires after ``expires_in_days`` (default ``settings.TOKEN_DAYS``); ``never_expires`` needs the
    permission "tokens.no_expiry".
    """
    if never_expires and expires_in_days is not None:
        raise ApplicationError(
            _("Give a number of days or choose never, not both."), field="expires_in_days", status=422
        )
    if never_expires and not can(user, "tokens.no_expiry"):
        raise ApplicationError(
            _("You may not create tokens that never expire."),
            code="permission_denied",
            field="never_expires",
            status=403,
        )
    if (expires_in_days or 0) > TOKEN_MAX_DAYS and not can(user, "tokens.no_expiry"):
        # Ten years is as good as never: longer than a year needs the same right.
        raise ApplicationError(
            _("A token may last at most %(days)d days.") % {"days": TOKEN_MAX_DAYS},
            code="permission_denied",
            field="expires_in_days",
            status=403,
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = expires_in_days or settings.TOKEN_DAYS
    expires_at = None if never_expires else timezone.now() + timedelta(days=days)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:10], digest=token_digest(raw), expires_at=expires_at
        )
        audit_append(
            action="token_created",
            actor=user,
            object_type="core.apitoken",
            object_id=str(token.pk),
            object_repr=str(token),
            changes={"expires_at": expires_at},
        )
    return token, raw


def token_sign_in(*, request: HttpRequest | None, username: str, password: str, name: str) -> tuple[ApiToken, str]:
    """Sign in with a password for a token that expires after ``settings.TOKEN_DAYS`` (POST /api/v1/auth/token).

    A user whom an admin asked to change their password gets no token with it until they have; the
    tokens they hold keep working (revoke them, or deactivate the user, to end them).
    """
    user = auth_attempt(request=request, username=username, password=password)
    if user.must_change_password:
        raise ApplicationError(
            _("Your password must be changed: sign in on the web pages and choose a new one first."),
            code="password_change_required",
            status=403,
        )
    return token_create(user=user, name=name)


def token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens. Another user's token is reported as not found."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user, revoked_at=None).first()
        if token is None:
            raise ApplicationError(_("No such active token."), code="not_found", status=404)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_append(
            action="token_revoked",
            actor=user,
            object_type="core.apitoken",
            object_id=str(token.pk),
            object_repr=str(token),
        )
    return token


def token_authenticate(raw: str, *, client_ip: str | None = None) -> ApiToken | None:
    """The live token (with its active user) for a bearer value, or None: expired, revoked and
    deactivated users' tokens are not. Records its use at most once a minute, or when the address changes."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at=None, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None:
        return None
    stale = token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1)
    if stale or token.last_used_ip != client_ip:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=client_ip)
        token.last_used_at, token.last_used_ip = now, client_ip
    return token


def roles_install_defaults() -> list[Role]:
    """Create the built-in roles that are missing; roles that exist keep an admin's edits."""
    created = []
    for default in ROLE_DEFAULTS:
        if not Role.objects.filter(code=default.code).exists():
            created.append(
                Role.objects.create(
                    code=default.code,
                    name=default.name,
                    name_en=default.name_en,
                    scope=default.scope,
                    landing=default.landing,
                    permissions=list(default.permissions),
                )
            )
    return created


def heartbeat_record(*, name: str = "queue") -> JobHeartbeat:
    beat, _created = JobHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
    return beat
