"""Admin for reminders: the contact's page extended with their reminder plan (times, next and
past reminders, pause) and their messages; and advisories (start one, watch its progress).

contacts/admin.py keeps the contact's own fields; `ContactWithPlanAdmin` replaces it here,
since contacts knows nothing of reminders or messages; privacy/admin.py extends it in turn
with export and erasure. Every change goes through the services SMS uses (contacts.services,
reminders.services), under the contact's row lock.
"""

from __future__ import annotations

import logging
from datetime import time
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from advice.models import Topic
from contacts.admin import ContactAdmin, ContactForm
from contacts.admin import StateFilter as ContactStateFilter
from contacts.models import Contact
from messaging.models import Message
from messaging.tasks import queue
from reminders import advisories, services
from reminders.advisory_preview import advisory_preview
from reminders.models import Broadcast, ReminderPlan
from reminders.schedule import format_time

logger = logging.getLogger(__name__)


def _times_problem(reply: services.Reply) -> str:
    params = reply.params
    if reply.topic == Topic.REMINDERS_UNREADABLE:
        return str(_("%(input)s is not a time of day. Write times such as 08:00 12:30 17:00.") % params)
    if reply.topic == Topic.REMINDERS_TOO_MANY:
        return str(_("At most %(max)s times a day.") % params)
    return str(_("%(input)s is inside the quiet hours (%(start)s to %(end)s), when nothing is sent.") % params)


class ContactWithPlanForm(ContactForm):
    times = forms.CharField(
        label=_("reminder times"),
        required=False,
        help_text=_("Local times of day, such as 08:00 12:30 17:00. Empty: no reminders."),
    )

    reminder_channel = forms.ChoiceField(
        label=_("reminders by"),
        choices=ReminderPlan.Channel.choices,
        initial=ReminderPlan.Channel.SMS,
        required=False,
        help_text=_("Text messages, or a short phone call at each time."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan = services.plan_of(self.instance)
        if plan is not None:
            self.fields["times"].initial = " ".join(plan.reminder_times)
            self.fields["reminder_channel"].initial = plan.channel

    def clean_times(self) -> list[str]:
        raw = self.cleaned_data.get("times") or ""
        checked = services.check_times(raw)
        if checked.problem is not None:
            raise forms.ValidationError(_times_problem(checked.problem), code="invalid_times")
        return [format_time(at) for at in checked.times]


def call_attempts_summary(row: Message) -> str:
    """A call's attempts as the admin shows them: "1 busy; 2 no-answer; 3 completed (human)", with
    Twilio's error codes; "-" for a text."""
    history = row.params.get("attempts") if isinstance(row.params, dict) else None
    if row.channel != Message.Channel.VOICE and not history:
        return "-"
    parts = []
    for entry in history or []:
        part = f"{entry.get('n')} {entry.get('status') or '?'}"
        if entry.get("answered_by"):
            part += f" ({entry['answered_by']})"
        if entry.get("error_code"):
            part += f" [{entry['error_code']}]"
        parts.append(part)
    return "; ".join(parts) or "-"


class StateFilter(ContactStateFilter):
    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        active, *others = super().lookups(request, model_admin)
        return [active, ("reminders", _("with reminders")), ("paused", _("reminders paused")), *others]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        if self.value() == "reminders":
            return queryset.filter(reminder_plan__next_reminder_at__isnull=False)
        if self.value() == "paused":
            return queryset.filter(reminder_plan__paused_at__isnull=False)
        return super().queryset(request, queryset)


admin.site.unregister(Contact)


@admin.register(Contact)
class ContactWithPlanAdmin(ContactAdmin):
    form = ContactWithPlanForm
    list_display = [
        "phone_number",
        "language",
        "reminder_times_display",
        "next_reminder",
        "sms_opted_out",
        "sms_undeliverable_at",
        "created_at",
        "messages_link",
    ]
    list_select_related = ["reminder_plan"]
    list_filter = [StateFilter, "language", "sms_opted_out"]
    readonly_fields = [*ContactAdmin.readonly_fields, "messages_link", "next_reminder", "pause_state", "past_reminders"]
    actions = [*ContactAdmin.actions, "pause_reminders", "resume_reminders"]
    fieldsets = [
        (None, {"fields": ["phone_number", "language", "messages_link"]}),
        (
            _("Reminders"),
            {"fields": ["times", "reminder_channel", "time_zone", "next_reminder", "pause_state", "past_reminders"]},
        ),
        *ContactAdmin.consent_fieldsets,
    ]

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        """The contact's fields and consent (ContactAdmin), then the plan as REMIND by SMS sets
        it: the times replace any, unpaused, rescheduled; still under the contact's row lock."""
        super().save_model(request, obj, form, change)
        times = form.cleaned_data.get("times") or []
        plan = services.plan_of(obj)
        channel = form.cleaned_data.get("reminder_channel") or (plan.channel if plan else ReminderPlan.Channel.SMS)
        if times != (plan.reminder_times if plan else []):
            if times:
                services.reminders_set_times(
                    contact=obj, times=[time.fromisoformat(at) for at in times], channel=channel
                )
            else:
                services.reminders_stop(contact=obj)
        elif plan is not None and channel != plan.channel:
            services.reminders_set_channel(contact=obj, channel=channel)
        elif plan is not None and "time_zone" in form.changed_data:
            services.plan_reschedule(plan)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        peak = services.reminder_calls_peak()
        if peak.over and peak.at is not None:
            self.message_user(
                request,
                _(
                    "%(calls)s reminder calls are due in the same minute (%(at)s UTC), more than the "
                    "%(capacity)s that VOICE_CALLS_PER_SECOND can place within VOICE_GRACE_MINUTES: the last "
                    "ones would be missed. Raise the account's calls per second with Twilio, or spread the times."
                )
                % {"calls": peak.calls, "at": f"{peak.at:%H:%M}", "capacity": peak.capacity},
                level=messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("reminder times"))
    def reminder_times_display(self, obj: Contact) -> str:
        plan = services.plan_of(obj)
        return " ".join(plan.reminder_times) if plan and plan.reminder_times else "-"

    @admin.display(description=_("next reminder"), ordering="reminder_plan__next_reminder_at")
    def next_reminder(self, obj: Contact) -> str:
        plan = services.plan_of(obj)
        if plan is None or plan.next_reminder_at is None:
            return "-"
        local = plan.next_reminder_at.astimezone(services.contact_zone(obj))
        return f"{local:%Y-%m-%d %H:%M} ({local.tzinfo})"

    @admin.display(description=_("paused"))
    def pause_state(self, obj: Contact) -> str:
        plan = services.plan_of(obj)
        if plan is None or plan.paused_at is None:
            return "-"
        if plan.paused_until is None:
            return str(_("until the person resumes"))
        local = plan.paused_until.astimezone(services.contact_zone(obj))
        return str(_("until %(date)s") % {"date": f"{local:%Y-%m-%d %H:%M}"})

    @admin.display(description=_("past reminders"))
    def past_reminders(self, obj: Contact) -> str:
        if not obj.pk:
            return "-"
        rows = Message.objects.filter(contact=obj, purpose=Message.Purpose.REMINDER).order_by("-slot", "-id")[:10]
        if not rows:
            return "-"
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("occurrence"),
            _("channel"),
            _("state"),
            _("text"),
            _("calls"),
            _("note"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        row.slot.replace("T", " "),
                        row.get_channel_display(),
                        row.get_state_display(),
                        row.body[:60],
                        call_attempts_summary(row),
                        row.note,
                    )
                    for row in rows
                ),
            ),
        )

    @admin.action(description=_("Pause reminders"))
    def pause_reminders(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        count = 0
        with transaction.atomic():
            chosen = queryset.filter(reminder_plan__paused_at__isnull=True).exclude(reminder_plan__reminder_times=[])
            for contact in Contact.objects.select_for_update().filter(pk__in=chosen.values("pk")):
                services.reminders_pause(contact=contact, text="")
                count += 1
        self.message_user(request, ngettext("%d contact paused.", "%d contacts paused.", count) % count)

    @admin.action(description=_("Resume reminders"))
    def resume_reminders(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        count = 0
        with transaction.atomic():
            chosen = queryset.filter(reminder_plan__paused_at__isnull=False)
            for contact in Contact.objects.select_for_update().filter(pk__in=chosen.values("pk")):
                services.reminders_resume(contact=contact)
                count += 1
        self.message_user(request, ngettext("%d contact resumed.", "%d contacts resumed.", count) % count)

    @admin.display(description=_("messages"))
    def messages_link(self, obj: Contact) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:messaging_message_changelist") + "?" + urlencode({"contact__id__exact": obj.pk})
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
            "Sent once to every contact with reminders on (not paused, opted out or undeliverable), in "
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

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None) -> Any:
        """Choosing a topic shows what will be sent, to how many, first; "Send" (_confirm) sends it."""
        if request.method == "POST" and "_confirm" not in request.POST:
            form = BroadcastForm(request.POST)
            if form.is_valid() and self.has_add_permission(request):
                topic = form.cleaned_data["topic"]
                context = {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": _("Before sending: %(topic)s") % {"topic": topic},
                    "topic": topic,
                    "preview": advisory_preview(topic=topic),
                }
                return TemplateResponse(request, "admin/reminders/broadcast/preview.html", context)
        return super().add_view(request, form_url, extra_context)

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
