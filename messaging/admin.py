"""Admin for the message log: every message in and out, read-only; messages that gave up can be retried."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contacts.admin import sees_personal_data
from contacts.phone import masked
from messaging import outbound, tasks
from messaging.models import BULK_PURPOSES, Message, ProviderDeletion
from messaging.simulated import SIMULATED_PREFIX

# What only holders of the permission see: numbers, texts, and Twilio's raw webhook parameters.
PERSONAL_FIELDS = frozenset({"phone_number", "body", "params", "excerpt"})


class SimulatedFilter(admin.SimpleListFilter):
    """Messages of the try-it phone (simulated numbers: kept here, never sent to Twilio)."""

    title = _("try-it phone")
    parameter_name = "simulated"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("simulated (never sent)")), ("no", _("real"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        if self.value() == "yes":
            return queryset.filter(phone_number__startswith=SIMULATED_PREFIX)
        if self.value() == "no":
            return queryset.exclude(phone_number__startswith=SIMULATED_PREFIX)
        return queryset


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = [
        "created_at",
        "arrow",
        "phone_number",
        "excerpt",
        "state",
        "provider_status",
        "error_code",
        "language",
        "topic",
        "segments",
    ]
    list_filter = ["direction", "state", "provider_status", "channel", "purpose", "language", SimulatedFilter]
    actions = ["retry_sending"]
    search_fields = ["phone_number", "provider_sid", "body"]
    date_hierarchy = "created_at"
    list_select_related = ["topic"]
    readonly_fields = ["masked_number"]
    fieldsets = [
        (None, {"fields": ["direction", "channel", "purpose", "phone_number", "service_number", "contact"]}),
        (_("Content"), {"fields": ["body", "language", "topic", "encoding", "segments", "reply_to"]}),
        (_("Scheduled"), {"fields": ["scheduled_for", "slot", "broadcast"]}),
        (_("State"), {"fields": ["state", "note", "provider_sid", "provider_status", "error_code", "error_message"]}),
        (
            _("Delivery attempts"),
            {"fields": ["attempts", "next_attempt_at", "claimed_at", "retrying_since", "uncertain", "submitted_at"]},
        ),
        (_("Received"), {"fields": ["params", "created_at", "updated_at"]}),
    ]

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = list(self.list_display)
        if sees_personal_data(request):
            return shown
        return ["masked_number" if name == "phone_number" else name for name in shown if name != "excerpt"]

    def get_search_fields(self, request: HttpRequest) -> Any:
        return list(self.search_fields) if sees_personal_data(request) else ["provider_sid"]

    def get_fieldsets(self, request: HttpRequest, obj: Message | None = None) -> Any:
        if sees_personal_data(request):
            return self.fieldsets
        return [
            (title, {"fields": [_personal_free(str(name)) for name in options["fields"] if _personal_free(str(name))]})
            for title, options in self.fieldsets or []
        ]

    @admin.display(description=_("their number"))
    def masked_number(self, obj: Message) -> str:
        return masked(obj.phone_number) if obj.phone_number else "-"

    @admin.display(description=_("in/out"), ordering="direction")
    def arrow(self, obj: Message) -> str:
        return "←" if obj.direction == Message.Direction.INBOUND else "→"

    @admin.display(description=_("text"))
    def excerpt(self, obj: Message) -> str:
        return obj.body if len(obj.body) <= 60 else obj.body[:57] + "..."

    @admin.action(description=_("Retry sending (messages that gave up)"), permissions=["retry"])
    def retry_sending(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        retried = outbound.messages_retry(message_ids=queryset.values_list("pk", flat=True))
        replies = list(
            Message.objects.filter(pk__in=retried).exclude(purpose__in=BULK_PURPOSES).values_list("pk", flat=True)
        )
        scheduled = len(retried) - len(replies)

        def queue() -> None:
            for message_id in replies:
                tasks.queue(tasks.send_message, message_id)
            if scheduled:
                tasks.start_bulk_senders()

        transaction.on_commit(queue)
        skipped = queryset.count() - len(retried)
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again.",
                "%(count)d messages will be sent again.",
                len(retried),
            )
            % {"count": len(retried)},
            messages.SUCCESS if retried else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was left alone: only messages that gave up can be retried.",
                    "%(count)d messages were left alone: only messages that gave up can be retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # The log itself stays read-only; retrying sends SMS, so it needs the change permission.
        return request.user.has_perm("messaging.change_message")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False


def _personal_free(name: str) -> str:
    """A fieldset's field for someone without the personal-data permission: masked, or left out."""
    if name == "phone_number":
        return "masked_number"
    return "" if name in PERSONAL_FIELDS else name


@admin.register(ProviderDeletion)
class ProviderDeletionAdmin(admin.ModelAdmin[ProviderDeletion]):
    """Records still to delete at Twilio after an erasure: read-only; the beat task retries them."""

    list_display = ["provider_sid", "attempts", "next_attempt_at", "last_error", "created_at"]
    readonly_fields = ["provider_sid", "attempts", "next_attempt_at", "last_error", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ProviderDeletion | None = None) -> bool:
        return False
