"""Subscriber services: finding a number's subscriber, opting out and in, language, reachability."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from messaging.phone import masked
from reminders.models import Subscriber

logger = logging.getLogger(__name__)


def subscriber_get_for_update(*, phone_number: str) -> Subscriber:
    """The number's subscriber, created if new, locked until the transaction ends.

    Locking serialises the handling of one number's messages across workers, so that
    "FR" then "KRAMP" sent a second apart are answered in order, and the hourly reply
    count is exact.
    """
    assert transaction.get_connection().in_atomic_block, "call inside transaction.atomic()"
    # A new row is locked by the transaction that inserts it; an existing one by FOR UPDATE.
    subscriber, _created = Subscriber.objects.select_for_update().get_or_create(phone_number=phone_number)
    return subscriber


def subscriber_opt_out(*, subscriber: Subscriber, source: str) -> bool:
    """Opt the number out of everything. Returns False if it already was."""
    if subscriber.is_opted_out:
        return False
    subscriber.is_opted_out = True
    subscriber.opted_out_at = timezone.now()
    subscriber.opt_out_source = source
    subscriber.save(update_fields=["is_opted_out", "opted_out_at", "opt_out_source", "updated_at"])
    logger.info("subscriber %s opted out (%s)", masked(subscriber.phone_number), source)
    return True


def subscriber_opt_in(*, subscriber: Subscriber) -> bool:
    """Let the number receive messages again. Returns False if it was not opted out."""
    if not subscriber.is_opted_out:
        return False
    subscriber.is_opted_out = False
    subscriber.opted_in_at = timezone.now()
    subscriber.opt_out_source = ""
    subscriber.save(update_fields=["is_opted_out", "opted_in_at", "opt_out_source", "updated_at"])
    logger.info("subscriber %s opted back in", masked(subscriber.phone_number))
    return True


def subscriber_set_language(*, subscriber: Subscriber, language: str) -> None:
    if subscriber.language_id != language:
        subscriber.language_id = language
        subscriber.save(update_fields=["language", "updated_at"])


def subscriber_mark_undeliverable(*, subscriber_id: int, reason: str) -> None:
    """Twilio refused the number for good (invalid, landline, not SMS-capable): stop trying it."""
    updated = Subscriber.objects.filter(pk=subscriber_id, undeliverable_at__isnull=True).update(
        undeliverable_at=timezone.now(), undeliverable_reason=reason[:200], updated_at=timezone.now()
    )
    if updated:
        logger.warning("subscriber %s marked undeliverable: %s", subscriber_id, reason)


def subscriber_opt_out_by_id(*, subscriber_id: int, source: str) -> None:
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
        subscriber_opt_out(subscriber=subscriber, source=source)


def subscriber_stamp_opt_out_change(*, subscriber: Subscriber, source: str) -> None:
    """An admin changed the opt-out flag: record when, and who, before the form saves it."""
    now = timezone.now()
    if subscriber.is_opted_out:
        subscriber.opted_out_at = now
        subscriber.opt_out_source = source
    else:
        subscriber.opted_in_at = now
        subscriber.opt_out_source = ""


def subscribers_mark_deliverable(*, subscriber_ids: list[int]) -> int:
    """Let numbers Twilio had refused be tried again (after the person fixed their phone)."""
    return Subscriber.objects.filter(pk__in=subscriber_ids, undeliverable_at__isnull=False).update(
        undeliverable_at=None, undeliverable_reason="", updated_at=timezone.now()
    )
