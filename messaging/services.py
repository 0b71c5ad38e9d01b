"""Message services: status callbacks and the outbound sweeper. Sending, for replies as for
everything else, is messaging.outbound's; texts received and their replies are the SMS
channel's (sms.services).

Status only moves forward: callbacks for multi-segment messages can arrive out of order.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from messaging import outbound, recipients, twilio_ids
from messaging.models import BULK_PURPOSES, PROVIDER_STATUS_RANK, Message
from messaging.twilio_errors import classify

logger = logging.getLogger(__name__)

# --- Status callbacks ---------------------------------------------------------------------


def _advance_status(rows: QuerySet[Message], status: str) -> int:
    """Move Twilio's status forward only: a late 'sent' never overwrites 'delivered'."""
    if status not in PROVIDER_STATUS_RANK:
        return 0
    return rows.filter(provider_status__in=outbound.lower_statuses(status)).update(
        provider_status=status, updated_at=timezone.now()
    )


# What a status callback may carry, as ASCII digits (str.isdigit() accepts "²", which int()
# refuses): our message id in ?m=, and Twilio's ErrorCode, which must fit the error_code column
# (a PostgreSQL integer).
_MESSAGE_REF = re.compile(r"[0-9]{1,18}", re.ASCII)
_ERROR_CODE = re.compile(r"[0-9]{1,10}", re.ASCII)
MAX_ERROR_CODE = 2_147_483_647


@dataclass(frozen=True)
class StatusUpdate:
    known: bool  # it named a message of ours
    refused: str = ""  # why it was refused (malformed): nothing was applied


def message_status_update(*, params: Mapping[str, str], message_ref: str = "") -> StatusUpdate:
    """Apply one status callback: the status and its consequences together, or nothing.

    A callback whose identifiers or error code are malformed is refused before anything is
    read or written (a NUL or an out-of-range number would fail in PostgreSQL halfway).
    """
    raw_code = (params.get("ErrorCode") or "").strip()
    refused = twilio_ids.message_sid_problem(params) or ""
    if not refused and message_ref and not _MESSAGE_REF.fullmatch(message_ref):
        refused = "malformed message reference (?m=)"
    if not refused and raw_code and not (_ERROR_CODE.fullmatch(raw_code) and int(raw_code) <= MAX_ERROR_CODE):
        refused = "malformed ErrorCode"
    if refused:
        logger.warning("status callback refused: %s", refused)
        return StatusUpdate(known=False, refused=refused)

    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    code = int(raw_code) if raw_code else None
    with transaction.atomic():
        known = _apply_status(sid, status, code, message_ref)
    return StatusUpdate(known=known)


def _apply_status(sid: str, status: str, code: int | None, message_ref: str) -> bool:
    message = Message.objects.filter(provider_sid=sid).first()
    if message is None and message_ref:
        message = Message.objects.filter(pk=int(message_ref), direction=Message.Direction.OUTBOUND).first()
        if message is not None and not message.provider_sid:
            # The callback overtook the worker, or answers an attempt that timed out.
            Message.objects.filter(
                pk=message.pk, state__in=[Message.State.PENDING, Message.State.SENDING, Message.State.GAVE_UP]
            ).update(state=Message.State.SUBMITTED, uncertain=False, next_attempt_at=None)
            Message.objects.filter(pk=message.pk, provider_sid__isnull=True).update(provider_sid=sid)
    if message is None:
        logger.warning("status callback for unknown message %r (status %r): ignored", sid, status[:20])
        return False
    if status not in PROVIDER_STATUS_RANK:
        logger.warning("status callback for message %s has unknown status %r: ignored", message.pk, status[:20])
        return True

    advanced = _advance_status(Message.objects.filter(pk=message.pk), status)
    if advanced and code is not None:
        Message.objects.filter(pk=message.pk).update(error_code=code, error_message=f"Twilio error {code}")
        recipients.outcome_apply(message, classify(code=code), reason=f"Twilio error {code} on delivery")
    logger.info("message %s status %s%s", message.pk, status, "" if advanced else " (older than known: kept)")
    return True


# --- Sweeping -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Swept:
    outbound: list[int]


def messages_sweep(*, now: datetime | None = None, limit: int = 500) -> Swept:
    """Find outbound work whose task was lost (Redis down, a worker killed) so it can be queued again.

    Oldest first. Received texts are the SMS channel's to sweep (sms.services.inbound_sms_sweep).
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SMS_STALE_AFTER_SECONDS)
    oldest_first = ("created_at", "id")
    # A send whose worker died mid-request may have reached Twilio: ask before resending.
    abandoned = list(
        Message.objects.filter(direction=Message.Direction.OUTBOUND, state=Message.State.SENDING, claimed_at__lt=stale)
        .order_by(*oldest_first)
        .values_list("pk", flat=True)[:limit]
    )
    Message.objects.filter(pk__in=abandoned, state=Message.State.SENDING).update(
        state=Message.State.PENDING, uncertain=True, next_attempt_at=None, updated_at=now
    )
    # Scheduled messages are not queued one by one: bulk senders claim them (beat's
    # messaging.tasks.start_senders starts them whenever some wait).
    abandoned = list(
        Message.objects.filter(pk__in=abandoned)
        .exclude(purpose__in=BULK_PURPOSES)
        .order_by(*oldest_first)
        .values_list("pk", flat=True)
    )
    outbound = list(
        Message.objects.filter(direction=Message.Direction.OUTBOUND, state=Message.State.PENDING)
        .exclude(purpose__in=BULK_PURPOSES)
        .filter(Q(next_attempt_at__lt=stale) | Q(next_attempt_at__isnull=True, updated_at__lt=stale))
        .order_by(*oldest_first)
        .values_list("pk", flat=True)[:limit]
    )
    outbound = list(dict.fromkeys([*abandoned, *outbound]))
    if outbound:
        logger.warning("sweeper re-queues %s outbound messages", len(outbound))
    return Swept(outbound)
