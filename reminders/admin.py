"""Admin for subscribers: search by number as people write it, filter by language and state."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from messaging.phone import to_e164
from reminders import services
from reminders.models import Subscriber


class SubscriberForm(forms.ModelForm[Subscriber]):
    class Meta:
        model = Subscriber
        fields = ["phone_number", "language", "is_opted_out"]

    def clean_phone_number(self) -> str:
        raw = self.cleaned_data["phone_number"]
        number = to_e164(raw)
        if number is None:
            raise forms.ValidationError(
                _("%(number)s is not a phone number that can receive SMS."),
                code="invalid_phone",
                params={"number": raw},
            )
        return number


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("active")), ("opted-out", _("opted out")), ("undeliverable", _("undeliverable"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> QuerySet[Subscriber]:
        if self.value() == "active":
            return queryset.filter(is_opted_out=False, undeliverable_at__isnull=True)
        if self.value() == "opted-out":
            return queryset.filter(is_opted_out=True)
        if self.value() == "undeliverable":
            return queryset.filter(undeliverable_at__isnull=False)
        return queryset


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin[Subscriber]):
    form = SubscriberForm
    list_display = ["phone_number", "language", "is_opted_out", "undeliverable_at", "created_at", "messages_link"]
    list_filter = [StateFilter, "language", "is_opted_out"]
    search_fields = ["phone_number"]
    readonly_fields = [
        "opt_out_source",
        "opted_out_at",
        "opted_in_at",
        "undeliverable_at",
        "undeliverable_reason",
        "created_at",
        "updated_at",
        "messages_link",
    ]
    actions = ["mark_deliverable"]
    fieldsets = [
        (None, {"fields": ["phone_number", "language", "messages_link"]}),
        (_("Opt-out"), {"fields": ["is_opted_out", "opt_out_source", "opted_out_at", "opted_in_at"]}),
        (_("Delivery"), {"fields": ["undeliverable_at", "undeliverable_reason"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]

    def save_model(self, request: HttpRequest, obj: Subscriber, form: Any, change: bool) -> None:
        if "is_opted_out" in form.changed_data:
            services.subscriber_stamp_opt_out_change(subscriber=obj, source=Subscriber.OptOutSource.ADMIN)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Mark as deliverable again"))
    def mark_deliverable(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        count = services.subscribers_mark_deliverable(subscriber_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, ngettext("%d number will be tried again.", "%d numbers will be tried again.", count) % count
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Subscriber], search_term: str
    ) -> tuple[QuerySet[Subscriber], bool]:
        # "0470 12 34 56" and "+32 470 12 34 56" find +32470123456.
        number = to_e164(search_term) if search_term else None
        if number:
            return queryset.filter(phone_number=number), False
        return super().get_search_results(request, queryset, search_term.replace(" ", ""))

    @admin.display(description=_("messages"))
    def messages_link(self, obj: Subscriber) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:messaging_message_changelist") + "?" + urlencode({"subscriber__id__exact": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("see messages"))
