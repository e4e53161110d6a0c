"""The page that sends a customer a message through the outbox (the event's templates decide what goes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aftersales.core.forms import StyledForm, form_run
from aftersales.core.routing import acting_store, page, request_user
from aftersales.customers import selectors, services
from aftersales.customers.models import Customer
from aftersales.messaging.models import MessageTemplate


def _label(event: str, templates: list[MessageTemplate]) -> str:
    """ "booking_confirmation · 短信 服务": the event, and each template's channel and class."""
    kinds = " / ".join(f"{t.get_channel_display()} {t.get_message_class_display()}" for t in templates)
    return f"{event} · {kinds}"


class CustomerMessageForm(StyledForm):
    """The event to send and its variables (one field each, as the event's templates declare them)."""

    event = forms.ChoiceField(label=gettext_lazy("Message"))

    def __init__(self, *args: Any, events: dict[str, list[MessageTemplate]], chosen: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event_field: forms.ChoiceField = self.fields["event"]  # type: ignore[assignment]
        event_field.choices = [("", "—")] + [
            (
                event,
                f"{event} · " + " / ".join(f"{t.get_channel_display()} {t.get_message_class_display()}" for t in items),
            )
            for event, items in events.items()
        ]
        for name in sorted({name for template in events.get(chosen, []) for name in template.variables}):
            self.fields[f"var_{name}"] = forms.CharField(label=name, max_length=200)

    def variables(self) -> dict[str, str]:
        return {
            name.removeprefix("var_"): value for name, value in self.cleaned_data.items() if name.startswith("var_")
        }


def _defaults(customer: Customer, store_name: str) -> dict[str, str]:
    vehicle = next((link.vehicle for link in customer.vehicle_links.all() if link.valid_to is None), None)
    return {"var_name": customer.name, "var_store": store_name, "var_plate": vehicle.plate if vehicle else ""}


@require_http_methods(["GET", "POST"])
@page("messages.send")
def customer_message(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(customer_id)
    store = acting_store(request, permission="messages.send")
    events: dict[str, list[MessageTemplate]] = {}
    for template in MessageTemplate.objects.filter(is_active=True).order_by("event", "channel"):
        events.setdefault(template.event, []).append(template)
    chosen = (request.POST.get("event") or request.GET.get("event") or "").strip()
    chosen = chosen if chosen in events else ""
    form = CustomerMessageForm(
        request.POST if request.method == "POST" else None,
        events=events,
        chosen=chosen,
        initial={"event": chosen, **_defaults(customer, store.name)},
    )
    status = 200
    if form.is_bound:
        if form.is_valid() and chosen:
            actor = request_user(request)
            sent, result = form_run(
                form,
                lambda: services.customer_message_send(
                    actor=actor,
                    store=store,
                    customer_id=customer.pk,
                    event=chosen,
                    variables=form.variables(),
                    base_url=request.build_absolute_uri("/"),
                ),
            )
            if sent:
                for message in result:
                    text = (
                        _("%(channel)s message put in the outbox: %(status)s.")
                        if not message.hold_reason
                        else _("%(channel)s message held: %(status)s.")
                    )
                    shown = message.get_hold_reason_display() or message.error or message.get_status_display()
                    messages.info(request, text % {"channel": message.get_channel_display(), "status": shown})
                return redirect("customers:detail", customer_id=customer.pk)
        status = 400
    return render(
        request, "customers/message_form.html", {"customer": customer, "form": form, "chosen": chosen}, status=status
    )
