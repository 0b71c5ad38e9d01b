"""Admin for calls: each call read-only with its steps, masked like messages for users without
the personal-data permission (no number, nothing the caller said)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from contacts.admin import sees_personal_data
from contacts.phone import masked
from voice.models import Call, CallStep


class CallStepInline(admin.TabularInline[CallStep, Call]):
    model = CallStep
    fk_name = "call"
    extra = 0
    can_delete = False
    readonly_fields = (
        "sequence",
        "where",
        "input",
        "heard",
        "said",
        "language",
        "topic",
        "text_message",
        "duration_seconds",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin[Call]):
    list_display = ["created_at", "caller", "language", "provider_status", "duration", "steps"]
    list_filter = ["language", "provider_status"]
    date_hierarchy = "created_at"
    search_fields = ["provider_sid"]
    inlines = [CallStepInline]
    fieldsets = [
        (None, {"fields": ["caller", "service_number", "contact", "language", "note", "body"]}),
        (_("Twilio"), {"fields": ["provider_sid", "provider_status", "duration", "created_at"]}),
    ]
    readonly_fields = [
        "caller",
        "service_number",
        "contact",
        "language",
        "note",
        "body",
        "provider_sid",
        "provider_status",
        "duration",
        "created_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Call]:
        return super().get_queryset(request).prefetch_related("call_steps")

    def get_search_fields(self, request: HttpRequest) -> Any:
        return ["phone_number", "provider_sid"] if sees_personal_data(request) else ["provider_sid"]

    def get_list_display(self, request: HttpRequest) -> Any:
        return [_personal_free(str(name), request) for name in self.list_display]

    def get_fieldsets(self, request: HttpRequest, obj: Call | None = None) -> Any:
        return [
            (title, {"fields": [free for name in options["fields"] if (free := _personal_free(str(name), request))]})
            for title, options in self.fieldsets or []
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Call | None = None) -> Any:
        return [free for name in self.readonly_fields if (free := _personal_free(name, request))]

    @admin.display(description=_("caller"))
    def caller(self, obj: Call) -> str:
        return obj.phone_number or str(_("withheld"))

    @admin.display(description=_("caller"))
    def masked_caller(self, obj: Call) -> str:
        return masked(obj.phone_number) if obj.phone_number else str(_("withheld"))

    @admin.display(description=_("duration (seconds)"))
    def duration(self, obj: Call) -> str:
        durations = [step.duration_seconds for step in obj.call_steps.all() if step.duration_seconds is not None]
        return str(max(durations)) if durations else "-"

    @admin.display(description=_("steps"))
    def steps(self, obj: Call) -> int:
        return sum(1 for step in obj.call_steps.all() if step.where != CallStep.Where.STATUS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Call | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Call | None = None) -> bool:
        return False


def _personal_free(name: str, request: HttpRequest) -> str:
    """A field for someone without the personal-data permission: the number masked, the words left out."""
    if sees_personal_data(request):
        return name
    return {"caller": "masked_caller", "body": ""}.get(name, name)
