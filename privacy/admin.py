"""The privacy actions on a contact's admin page: export everything held (JSON), erase (as FORGET).

They extend the contact's page as reminders shows it (`reminders.admin.ContactWithPlanAdmin`),
from here, the layer that holds erasure and export, so that no app below privacy imports it.
The buttons are in `contacts/templates/admin/contacts/contact/change_form_object_tools.html`.
"""

from __future__ import annotations

import json
import logging

from django.contrib import admin
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from contacts.admin import sees_personal_data
from contacts.models import Contact
from messaging.models import Message
from messaging.tasks import queue
from privacy import services as privacy
from privacy.tasks import twilio_delete
from reminders.admin import ContactWithPlanAdmin

logger = logging.getLogger(__name__)

admin.site.unregister(Contact)


@admin.register(Contact)
class ContactPrivacyAdmin(ContactWithPlanAdmin):
    """The contact's page, with *Export everything (JSON)* and *Erase (as FORGET)*."""

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("<int:pk>/export/", self.admin_site.admin_view(self.export_view), name="contacts_contact_export"),
            path("<int:pk>/erase/", self.admin_site.admin_view(self.erase_view), name="contacts_contact_erase"),
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Everything held about this person, as JSON with a readable summary (GDPR access)."""
        if not sees_personal_data(request):
            raise PermissionDenied
        contact = get_object_or_404(Contact, pk=pk)
        exported = privacy.contact_export(contact=contact)
        _log_admin_action(request, contact, CHANGE, "exported everything held about the contact")
        response = HttpResponse(
            json.dumps(exported, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="contact-{pk}.json"'
        return response

    def erase_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Erase this person as FORGET does (no SMS is sent): asked to confirm first."""
        if not (sees_personal_data(request) and self.has_delete_permission(request)):
            raise PermissionDenied
        contact = get_object_or_404(Contact, pk=pk)
        if request.method == "POST":
            _log_admin_action(request, contact, DELETION, "erased the contact and every message (as FORGET)")
            sids = privacy.contact_erase(contact=contact)
            if sids:
                transaction.on_commit(lambda: queue(twilio_delete))
            self.message_user(request, _("The contact and every message text and number are erased."))
            return HttpResponseRedirect(reverse("admin:contacts_contact_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "contact": contact,
            "title": _("Erase this contact?"),
            "messages_count": Message.objects.filter(contact=contact).count(),
        }
        return TemplateResponse(request, "admin/contacts/contact/erase.html", context)


def _log_admin_action(request: HttpRequest, contact: Contact, flag: int, what: str) -> None:
    """Who did it and when, in the admin's history and the log: never the number."""
    LogEntry.objects.create(
        user_id=int(request.user.pk or 0),
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=str(contact.pk),
        object_repr=f"contact #{contact.pk}",
        action_flag=flag,
        change_message=what,
    )
    logger.info("admin user %s %s (contact %s)", request.user.pk, what, contact.pk)
