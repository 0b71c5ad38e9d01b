"""Admin for contacts: the number (searched as people write it, masked for those who may not
see it), language, time zone, consent and reachability per channel.

Every change goes through the services SMS uses (contacts.services), under the contact's row
lock. The reminders app extends this page with the reminder plan, the messages, export and
erasure (reminders/admin.py registers `ContactAdmin`'s subclass in its place): contacts
knows nothing of reminders or messages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contacts import services
from contacts.models import Channel, Contact
from contacts.phone import masked, to_e164
from contacts.suppression import is_suppressed
from contacts.time_zones import is_time_zone, time_zone_for_number

PERSONAL_DATA_PERMISSION = "messaging.view_personal_data"


def sees_personal_data(request: HttpRequest) -> bool:
    """Whether this admin user may see phone numbers and message texts (operators; not content editors)."""
    return bool(request.user.has_perm(PERSONAL_DATA_PERMISSION))


class ContactForm(forms.ModelForm[Contact]):
    class Meta:
        model = Contact
        fields = ["phone_number", "language", "sms_opted_out", "calls_opted_out", "time_zone"]

    def clean_time_zone(self) -> str:
        zone = (self.cleaned_data.get("time_zone") or "").strip()
        if zone and not is_time_zone(zone):
            raise forms.ValidationError(
                _("%(zone)s is not a time zone. Use a name such as Europe/Brussels."),
                code="invalid_time_zone",
                params={"zone": zone},
            )
        return zone

    def clean_phone_number(self) -> str:
        raw = self.cleaned_data["phone_number"]
        number = to_e164(raw)
        if number is None:
            raise forms.ValidationError(
                _("%(number)s is not a phone number that can receive SMS."),
                code="invalid_phone",
                params={"number": raw},
            )
        if self.instance.pk is None and is_suppressed(number):
            raise forms.ValidationError(
                _("This number was erased on request (FORGET): it can be added again only once it texts us."),
                code="suppressed",
            )
        return number


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("active", _("active")),
            ("opted-out", _("opted out")),
            ("undeliverable", _("undeliverable")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        if self.value() == "active":
            return queryset.filter(sms_opted_out=False, sms_undeliverable_at__isnull=True)
        if self.value() == "opted-out":
            return queryset.filter(sms_opted_out=True)
        if self.value() == "undeliverable":
            return queryset.filter(sms_undeliverable_at__isnull=False)
        return queryset


# The consent flags the form may change, with the channel each is for.
CONSENT: dict[str, Channel] = {"sms_opted_out": "sms", "calls_opted_out": "voice"}


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    form = ContactForm
    list_display = ["phone_number", "language", "sms_opted_out", "sms_undeliverable_at", "created_at"]
    list_filter = [StateFilter, "language", "sms_opted_out"]
    search_fields = ["phone_number"]
    readonly_fields = [
        "sms_opt_out_source",
        "sms_opted_out_at",
        "sms_opted_in_at",
        "calls_opt_out_source",
        "calls_opted_out_at",
        "sms_undeliverable_at",
        "sms_undeliverable_reason",
        "voice_undeliverable_at",
        "voice_undeliverable_reason",
        "created_at",
        "updated_at",
    ]
    actions = ["mark_deliverable"]
    consent_fieldsets: Any = [
        (
            _("Opt-out"),
            {
                "fields": [
                    "sms_opted_out",
                    "sms_opt_out_source",
                    "sms_opted_out_at",
                    "sms_opted_in_at",
                    "calls_opted_out",
                    "calls_opt_out_source",
                    "calls_opted_out_at",
                ]
            },
        ),
        (
            _("Delivery"),
            {
                "fields": [
                    "sms_undeliverable_at",
                    "sms_undeliverable_reason",
                    "voice_undeliverable_at",
                    "voice_undeliverable_reason",
                ]
            },
        ),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]
    fieldsets = [(None, {"fields": ["phone_number", "language", "time_zone"]}), *consent_fieldsets]

    def get_list_display(self, request: HttpRequest) -> Any:
        if sees_personal_data(request):
            return list(self.list_display)
        return ["masked_number" if name == "phone_number" else name for name in self.list_display]

    def get_search_fields(self, request: HttpRequest) -> Any:
        # Without the permission no search: finding a number would tell whether it is a contact.
        return list(self.search_fields) if sees_personal_data(request) else []

    def get_readonly_fields(self, request: HttpRequest, obj: Contact | None = None) -> Any:
        return [*self.readonly_fields, "masked_number"]

    def get_fieldsets(self, request: HttpRequest, obj: Contact | None = None) -> Any:
        if sees_personal_data(request):
            return self.fieldsets
        return [
            (title, {"fields": ["masked_number" if name == "phone_number" else name for name in options["fields"]]})
            for title, options in self.fieldsets or []
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Adding a contact means typing their number.
        return super().has_add_permission(request) and sees_personal_data(request)

    @admin.display(description=_("phone number"))
    def masked_number(self, obj: Contact) -> str:
        return masked(obj.phone_number) if obj.phone_number else "-"

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        """Save the contact's own fields; consent changes go through the services STOP and START
        use (source "admin"), under the contact's row lock (the change view is one transaction)."""
        wanted = {name: getattr(obj, name) for name in CONSENT}
        if change:
            locked = Contact.objects.select_for_update().get(pk=obj.pk)
            for name in CONSENT:
                setattr(obj, name, getattr(locked, name))  # changed below, by the services
        else:
            for name in CONSENT:
                setattr(obj, name, False)
        if not obj.time_zone:
            obj.time_zone = time_zone_for_number(obj.phone_number)
        super().save_model(request, obj, form, change)
        for name, channel in CONSENT.items():
            if wanted[name] and not getattr(obj, name):
                services.contact_opt_out(contact=obj, channel=channel, source=Contact.OptOutSource.ADMIN)
            elif not wanted[name] and getattr(obj, name):
                services.contact_opt_in(contact=obj, channel=channel)

    @admin.action(description=_("Mark as deliverable again"))
    def mark_deliverable(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        count = services.contacts_mark_deliverable(contact_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, ngettext("%d number will be tried again.", "%d numbers will be tried again.", count) % count
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Contact], search_term: str
    ) -> tuple[QuerySet[Contact], bool]:
        if not sees_personal_data(request):
            return queryset, False
        # "0470 12 34 56" and "+32 470 12 34 56" find +32470123456.
        number = to_e164(search_term) if search_term else None
        if number:
            return queryset.filter(phone_number=number), False
        return super().get_search_results(request, queryset, search_term.replace(" ", ""))
