"""Admin for subscribers (search by number as people write it, reminder times, next and past
reminders) and for advisories (start one, watch its progress)."""

from __future__ import annotations

import json
import logging
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from advice.models import Topic
from messaging.admin import sees_personal_data
from messaging.models import Message
from messaging.phone import masked, to_e164
from messaging.tasks import queue
from privacy import services as privacy
from privacy.tasks import twilio_delete
from reminders import advisories, services
from reminders.models import Broadcast, Subscriber
from reminders.schedule import format_time, is_time_zone
from reminders.suppression import is_suppressed

logger = logging.getLogger(__name__)


def _times_problem(reply: services.Reply) -> str:
    params = reply.params
    if reply.topic == Topic.REMINDERS_UNREADABLE:
        return str(_("%(input)s is not a time of day. Write times such as 08:00 12:30 17:00.") % params)
    if reply.topic == Topic.REMINDERS_TOO_MANY:
        return str(_("At most %(max)s times a day.") % params)
    return str(_("%(input)s is inside the quiet hours (%(start)s to %(end)s), when nothing is sent.") % params)


class SubscriberForm(forms.ModelForm[Subscriber]):
    times = forms.CharField(
        label=_("reminder times"),
        required=False,
        help_text=_("Local times of day, such as 08:00 12:30 17:00. Empty: no reminders."),
    )

    class Meta:
        model = Subscriber
        fields = ["phone_number", "language", "is_opted_out", "time_zone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["times"].initial = " ".join(self.instance.reminder_times)

    def clean_times(self) -> list[str]:
        raw = self.cleaned_data.get("times") or ""
        checked = services.check_times(raw)
        if checked.problem is not None:
            raise forms.ValidationError(_times_problem(checked.problem), code="invalid_times")
        return [format_time(at) for at in checked.times]

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
            ("reminders", _("with reminders")),
            ("paused", _("reminders paused")),
            ("opted-out", _("opted out")),
            ("undeliverable", _("undeliverable")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> QuerySet[Subscriber]:
        if self.value() == "reminders":
            return queryset.filter(next_reminder_at__isnull=False)
        if self.value() == "paused":
            return queryset.filter(paused_at__isnull=False)
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
    list_display = [
        "phone_number",
        "language",
        "reminder_times_display",
        "next_reminder",
        "is_opted_out",
        "undeliverable_at",
        "created_at",
        "messages_link",
    ]
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
        "next_reminder",
        "pause_state",
        "past_reminders",
    ]
    actions = ["mark_deliverable", "pause_reminders", "resume_reminders"]
    fieldsets = [
        (None, {"fields": ["phone_number", "language", "messages_link"]}),
        (
            _("Reminders"),
            {"fields": ["times", "time_zone", "next_reminder", "pause_state", "past_reminders"]},
        ),
        (_("Opt-out"), {"fields": ["is_opted_out", "opt_out_source", "opted_out_at", "opted_in_at"]}),
        (_("Delivery"), {"fields": ["undeliverable_at", "undeliverable_reason"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_list_display(self, request: HttpRequest) -> Any:
        if sees_personal_data(request):
            return list(self.list_display)
        return ["masked_number" if name == "phone_number" else name for name in self.list_display]

    def get_search_fields(self, request: HttpRequest) -> Any:
        # Without the permission no search: finding a number would tell whether it is a contact.
        return list(self.search_fields) if sees_personal_data(request) else []

    def get_readonly_fields(self, request: HttpRequest, obj: Subscriber | None = None) -> Any:
        return [*self.readonly_fields, "masked_number"]

    def get_fieldsets(self, request: HttpRequest, obj: Subscriber | None = None) -> Any:
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
    def masked_number(self, obj: Subscriber) -> str:
        return masked(obj.phone_number) if obj.phone_number else "-"

    def save_model(self, request: HttpRequest, obj: Subscriber, form: Any, change: bool) -> None:
        if "is_opted_out" in form.changed_data:
            services.subscriber_stamp_opt_out_change(subscriber=obj, source=Subscriber.OptOutSource.ADMIN)
        times = form.cleaned_data.get("times") or []
        if times != obj.reminder_times or not change:
            if times:
                obj.reminder_times = times
                if obj.reminders_since is None:
                    obj.reminders_since = timezone.now()
            else:
                services.reminders_stop(subscriber=obj)
        if not obj.time_zone:
            obj.time_zone = services.time_zone_for_number(obj.phone_number)
        services.subscriber_reschedule(obj, save=False)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("reminder times"))
    def reminder_times_display(self, obj: Subscriber) -> str:
        return " ".join(obj.reminder_times) or "-"

    @admin.display(description=_("next reminder"), ordering="next_reminder_at")
    def next_reminder(self, obj: Subscriber) -> str:
        if obj.next_reminder_at is None:
            return "-"
        local = obj.next_reminder_at.astimezone(services.subscriber_zone(obj))
        return f"{local:%Y-%m-%d %H:%M} ({local.tzinfo})"

    @admin.display(description=_("paused"))
    def pause_state(self, obj: Subscriber) -> str:
        if obj.paused_at is None:
            return "-"
        if obj.paused_until is None:
            return str(_("until the person resumes"))
        local = obj.paused_until.astimezone(services.subscriber_zone(obj))
        return str(_("until %(date)s") % {"date": f"{local:%Y-%m-%d %H:%M}"})

    @admin.display(description=_("past reminders"))
    def past_reminders(self, obj: Subscriber) -> str:
        if not obj.pk:
            return "-"
        rows = Message.objects.filter(subscriber=obj, purpose=Message.Purpose.REMINDER).order_by("-slot")[:10]
        if not rows:
            return "-"
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("occurrence"),
            _("state"),
            _("text"),
            _("note"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((row.slot.replace("T", " "), row.get_state_display(), row.body[:60], row.note) for row in rows),
            ),
        )

    @admin.action(description=_("Pause reminders"))
    def pause_reminders(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        count = 0
        for subscriber in queryset.filter(paused_at__isnull=True).exclude(reminder_times=[]):
            services.reminders_pause(subscriber=subscriber, text="")
            count += 1
        self.message_user(request, ngettext("%d subscriber paused.", "%d subscribers paused.", count) % count)

    @admin.action(description=_("Resume reminders"))
    def resume_reminders(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        count = 0
        for subscriber in queryset.filter(paused_at__isnull=False):
            services.reminders_resume(subscriber=subscriber)
            count += 1
        self.message_user(request, ngettext("%d subscriber resumed.", "%d subscribers resumed.", count) % count)

    @admin.action(description=_("Mark as deliverable again"))
    def mark_deliverable(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        count = services.subscribers_mark_deliverable(subscriber_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, ngettext("%d number will be tried again.", "%d numbers will be tried again.", count) % count
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Subscriber], search_term: str
    ) -> tuple[QuerySet[Subscriber], bool]:
        if not sees_personal_data(request):
            return queryset, False
        # "0470 12 34 56" and "+32 470 12 34 56" find +32470123456.
        number = to_e164(search_term) if search_term else None
        if number:
            return queryset.filter(phone_number=number), False
        return super().get_search_results(request, queryset, search_term.replace(" ", ""))

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("<int:pk>/export/", self.admin_site.admin_view(self.export_view), name="reminders_subscriber_export"),
            path("<int:pk>/erase/", self.admin_site.admin_view(self.erase_view), name="reminders_subscriber_erase"),
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Everything held about this person, as JSON with a readable summary (GDPR access)."""
        if not sees_personal_data(request):
            raise PermissionDenied
        subscriber = get_object_or_404(Subscriber, pk=pk)
        exported = privacy.contact_export(subscriber=subscriber)
        _log(request, subscriber, CHANGE, "exported everything held about the contact")
        response = HttpResponse(
            json.dumps(exported, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="contact-{pk}.json"'
        return response

    def erase_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Erase this person as FORGET does (no SMS is sent): asked to confirm first."""
        if not (sees_personal_data(request) and self.has_delete_permission(request)):
            raise PermissionDenied
        subscriber = get_object_or_404(Subscriber, pk=pk)
        if request.method == "POST":
            _log(request, subscriber, DELETION, "erased the contact and every message (as FORGET)")
            sids = privacy.contact_erase(subscriber=subscriber)
            if sids:
                transaction.on_commit(lambda: queue(twilio_delete))
            self.message_user(request, _("The contact and every message text and number are erased."))
            return HttpResponseRedirect(reverse("admin:reminders_subscriber_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "subscriber": subscriber,
            "title": _("Erase this contact?"),
            "messages_count": Message.objects.filter(subscriber=subscriber).count(),
        }
        return TemplateResponse(request, "admin/reminders/subscriber/erase.html", context)

    @admin.display(description=_("messages"))
    def messages_link(self, obj: Subscriber) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:messaging_message_changelist") + "?" + urlencode({"subscriber__id__exact": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("see messages"))


class BroadcastForm(forms.ModelForm[Broadcast]):
    class Meta:
        model = Broadcast
        fields = ["topic"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_field = self.fields.get("topic")
        if not isinstance(topic_field, forms.ModelChoiceField):
            return  # an advisory's page after it started: read-only
        topic_field.queryset = Topic.objects.exclude(kind=Topic.Kind.SYSTEM)
        topic_field.initial = Topic.objects.filter(slug=Topic.HEAT).first()
        topic_field.help_text = _(
            "Sent once to every subscriber with reminders on (not paused, opted out or undeliverable), in "
            "their language, at the sending rate; people in their quiet hours get it when those end."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        topic = cleaned.get("topic")
        if topic is not None:
            try:
                advisories.advisory_check(topic=topic)
            except advisories.AdvisoryRefused as refused:
                raise forms.ValidationError(str(refused), code="refused") from refused
        return cleaned


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin[Broadcast]):
    form = BroadcastForm
    list_display = ["topic", "state", "progress", "created_at", "created_by", "finished_at"]
    readonly_fields = ["state", "progress", "created_by", "created_at", "finished_at", "messages_link"]
    change_list_template = "admin/reminders/broadcast/change_list.html"
    change_form_template = "admin/reminders/broadcast/change_form.html"

    def get_fields(self, request: HttpRequest, obj: Broadcast | None = None) -> Any:
        if obj is None:
            return ["topic"]
        return ["topic", "state", "progress", "created_by", "created_at", "finished_at", "messages_link"]

    def get_readonly_fields(self, request: HttpRequest, obj: Broadcast | None = None) -> list[str]:
        return [*self.readonly_fields, "topic"] if obj else []

    def has_delete_permission(self, request: HttpRequest, obj: Broadcast | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Broadcast, form: Any, change: bool) -> None:
        if change:
            return
        started = advisories.advisory_start(topic=obj.topic, started_by=request.user)
        obj.pk = started.pk
        obj.refresh_from_db()
        from reminders.tasks import plan_advisory

        transaction.on_commit(lambda: queue(plan_advisory, started.pk))

    @admin.display(description=_("progress (sent / total / failed)"))
    def progress(self, obj: Broadcast) -> str:
        if not obj.pk:
            return "-"
        done = advisories.advisory_progress(obj)
        return str(
            _("%(sent)d / %(total)d / %(failed)d (not sent: %(not_sent)d, waiting: %(waiting)d)")
            % {
                "sent": done.sent,
                "total": done.total,
                "failed": done.failed,
                "not_sent": done.not_sent,
                "waiting": done.waiting,
            }
        )

    @admin.display(description=_("messages"))
    def messages_link(self, obj: Broadcast) -> str:
        url = reverse("admin:messaging_message_changelist") + "?" + urlencode({"broadcast__id__exact": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("see messages"))

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        running = Broadcast.objects.exclude(state=Broadcast.State.DONE).exists()
        return super().changelist_view(request, {**(extra_context or {}), "refresh_seconds": 5 if running else 0})

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> Any:
        running = Broadcast.objects.filter(pk=object_id).exclude(state=Broadcast.State.DONE).exists()
        extra = {**(extra_context or {}), "refresh_seconds": 5 if running else 0}
        return super().change_view(request, object_id, form_url, extra)


def _log(request: HttpRequest, subscriber: Subscriber, flag: int, what: str) -> None:
    """Who did it and when, in the admin's history and the log: never the number."""
    LogEntry.objects.create(
        user_id=int(request.user.pk or 0),
        content_type=ContentType.objects.get_for_model(Subscriber),
        object_id=str(subscriber.pk),
        object_repr=f"subscriber #{subscriber.pk}",
        action_flag=flag,
        change_message=what,
    )
    logger.info("admin user %s %s (subscriber %s)", request.user.pk, what, subscriber.pk)
