"""Admin for the message log: every message in and out, read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from messaging.models import Message


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
    list_filter = ["direction", "state", "provider_status", "channel", "purpose", "language"]
    search_fields = ["phone_number", "provider_sid", "body"]
    date_hierarchy = "created_at"
    list_select_related = ["topic"]
    fieldsets = [
        (None, {"fields": ["direction", "channel", "purpose", "phone_number", "service_number", "subscriber"]}),
        (_("Content"), {"fields": ["body", "language", "topic", "encoding", "segments", "reply_to"]}),
        (_("Scheduled"), {"fields": ["scheduled_for", "slot", "broadcast"]}),
        (_("State"), {"fields": ["state", "note", "provider_sid", "provider_status", "error_code", "error_message"]}),
        (
            _("Delivery attempts"),
            {"fields": ["attempts", "next_attempt_at", "claimed_at", "uncertain", "submitted_at"]},
        ),
        (_("Received"), {"fields": ["params", "created_at", "updated_at"]}),
    ]

    @admin.display(description=_("in/out"), ordering="direction")
    def arrow(self, obj: Message) -> str:
        return "←" if obj.direction == Message.Direction.INBOUND else "→"

    @admin.display(description=_("text"))
    def excerpt(self, obj: Message) -> str:
        return obj.body if len(obj.body) <= 60 else obj.body[:57] + "..."

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False
