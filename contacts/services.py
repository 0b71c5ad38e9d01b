"""Contact services: the number's contact, consent (opting out and in, per channel), language,
reachability (per channel).

Whoever keeps state that depends on whether a contact can be reached (the reminder plan)
registers with `on_reachability_change`: contacts knows nothing of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from contacts.models import Channel, Contact
from contacts.phone import masked
from project.rows import fetch_one, insert_row, save_fields

logger = logging.getLogger(__name__)

ReachabilityListener = Callable[[Contact], None]
_listeners: list[ReachabilityListener] = []


def on_reachability_change(listener: ReachabilityListener) -> None:
    """Call `listener(contact)` after a contact's consent or reachability changed (same transaction)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _changed(contact: Contact) -> None:
    for listener in _listeners:
        listener(contact)


def contact_get_for_update(*, phone_number: str) -> Contact:
    """The number's contact, created if new, locked until the transaction ends.

    Locking serialises the handling of one number's messages across workers, so that
    "FR" then "KRAMP" sent a second apart are answered in order, and the hourly reply
    count is exact.
    """
    contact = contact_locked(phone_number=phone_number)
    if contact is not None:
        return contact
    contact = Contact(phone_number=phone_number)
    if contact_insert(contact=contact):
        return contact
    contact = contact_locked(phone_number=phone_number)
    assert contact is not None, "a conflicting row is committed before the insert returns"
    return contact


_CONTACT = "SELECT * FROM contacts_contact WHERE phone_number = %s"
_CONTACT_FOR_UPDATE = "SELECT * FROM contacts_contact WHERE phone_number = %s FOR UPDATE"


def contact_locked(*, phone_number: str) -> Contact | None:
    """The number's contact if it has one, locked until the transaction ends.

    select_for_update().filter(phone_number=...).first(), written out: it runs for every
    inbound message (0.8 ms of CPU through the ORM, 0.2 ms so).
    """
    assert transaction.get_connection().in_atomic_block, "call inside transaction.atomic()"
    # SQLite has no row locks; its transactions take the write lock at BEGIN (settings).
    sql = _CONTACT_FOR_UPDATE if connection.features.has_select_for_update else _CONTACT
    return fetch_one(Contact, sql, [phone_number])


def contact_insert(*, contact: Contact) -> bool:
    """Insert a new number's row, locked by this transaction until it ends. False, with
    nothing inserted and no error that would abort the transaction, when the same number's
    other message inserted it first: lock that one with contact_locked."""
    assert transaction.get_connection().in_atomic_block, "call inside transaction.atomic()"
    inserted = insert_row(contact, ignore_conflicts=True)
    if inserted:
        # A number erased on request (FORGET) that texts again starts afresh.
        from contacts.suppression import suppression_clear

        suppression_clear(number=contact.phone_number)
    return inserted


def contact_opt_out(*, contact: Contact, channel: Channel, source: str) -> bool:
    """Opt the number out of a channel. Returns False if it already was."""
    if contact.is_opted_out(channel):
        return False
    now = timezone.now()
    if channel == "sms":
        contact.sms_opted_out, contact.sms_opted_out_at, contact.sms_opt_out_source = True, now, source
        fields = ["sms_opted_out", "sms_opted_out_at", "sms_opt_out_source", "updated_at"]
    else:
        contact.calls_opted_out, contact.calls_opted_out_at, contact.calls_opt_out_source = True, now, source
        fields = ["calls_opted_out", "calls_opted_out_at", "calls_opt_out_source", "updated_at"]
    contact.save(update_fields=fields)
    logger.info("contact %s opted out of %s (%s)", masked(contact.phone_number), channel, source)
    _changed(contact)
    return True


def contact_opt_in(*, contact: Contact, channel: Channel) -> bool:
    """Let the number receive messages on a channel again. Returns False if it was not opted out."""
    if not contact.is_opted_out(channel):
        return False
    if channel == "sms":
        contact.sms_opted_out, contact.sms_opted_in_at, contact.sms_opt_out_source = False, timezone.now(), ""
        fields = ["sms_opted_out", "sms_opted_in_at", "sms_opt_out_source", "updated_at"]
    else:
        contact.calls_opted_out, contact.calls_opt_out_source = False, ""
        fields = ["calls_opted_out", "calls_opt_out_source", "updated_at"]
    contact.save(update_fields=fields)
    logger.info("contact %s opted back in to %s", masked(contact.phone_number), channel)
    _changed(contact)
    return True


def contact_opt_out_by_id(*, contact_id: int, channel: Channel, source: str) -> None:
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        contact_opt_out(contact=contact, channel=channel, source=source)


def contact_set_language(*, contact: Contact, language: str) -> None:
    if contact.language_id != language:
        contact.language_id = language
        save_fields(contact, ["language", "updated_at"])


def contact_mark_undeliverable(*, contact_id: int, channel: Channel, reason: str) -> None:
    """Twilio refused the number on this channel for good (invalid; for SMS: a landline): stop trying it there."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
        if contact is None or contact.is_undeliverable(channel):
            return
        now = timezone.now()
        if channel == "sms":
            contact.sms_undeliverable_at, contact.sms_undeliverable_reason = now, reason[:200]
            fields = ["sms_undeliverable_at", "sms_undeliverable_reason", "updated_at"]
        else:
            contact.voice_undeliverable_at, contact.voice_undeliverable_reason = now, reason[:200]
            fields = ["voice_undeliverable_at", "voice_undeliverable_reason", "updated_at"]
        contact.save(update_fields=fields)
        logger.warning("contact %s marked undeliverable for %s: %s", contact_id, channel, reason)
        _changed(contact)


def contacts_mark_deliverable(*, contact_ids: list[int], channel: Channel = "sms") -> int:
    """Let numbers Twilio had refused be tried again (after the person fixed their phone)."""
    count = 0
    with transaction.atomic():
        for contact in Contact.objects.select_for_update().filter(pk__in=contact_ids):
            if not contact.is_undeliverable(channel):
                continue
            if channel == "sms":
                contact.sms_undeliverable_at, contact.sms_undeliverable_reason = None, ""
                fields = ["sms_undeliverable_at", "sms_undeliverable_reason", "updated_at"]
            else:
                contact.voice_undeliverable_at, contact.voice_undeliverable_reason = None, ""
                fields = ["voice_undeliverable_at", "voice_undeliverable_reason", "updated_at"]
            contact.save(update_fields=fields)
            _changed(contact)
            count += 1
    return count
