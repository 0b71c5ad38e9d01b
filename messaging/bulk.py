"""Sending scheduled messages (reminders, advisories) in batches, at the sender's rate.

Batching and pacing around the one pipeline (messaging.outbound): a bulk sender claims a
batch of pending rows at once (`SELECT ... FOR UPDATE SKIP LOCKED`, then pending ->
sending), so two senders never claim the same row; reserves that many send slots from the
shared rate limiter; makes each row's `outbound.attempt` (the same checks as any message:
consent and reachability, then those its purpose's owner registered) waiting for its slot
just before the send, through the process's one backend (one HTTP connection pool,
reused); and records the batch's results in a few statements (`outbound.record_batch`). With
at most SMS_BULK_SENDERS senders (messaging.leases) and batches of about WINDOW_SECONDS of
the rate shared among them, a claimed row is sent within seconds.

A sender that dies leaves rows `sending`; the sweeper turns them back to pending and marks
them uncertain, and the next sender asks Twilio about each before sending it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from messaging import outbound, ratelimit
from messaging.backends import get_backend
from messaging.models import BULK_PURPOSES, Message

logger = logging.getLogger(__name__)

# How many seconds of the sender's rate all senders' batches reserve together: short, so a
# claim is always fresh and a worker shared with replies is never away from them for long.
WINDOW_SECONDS = 2.0


@dataclass(frozen=True)
class BatchResult:
    claimed: int
    submitted: int = 0
    not_sent: int = 0
    retrying: int = 0
    failed: int = 0
    full: bool = False  # a whole batch was claimed: more is probably waiting


def batch_size() -> int:
    rate = settings.SMS_RATE_LIMIT_PER_SECOND
    size = int(settings.SMS_BULK_BATCH_SIZE)
    return size if rate <= 0 else max(1, min(size, int(rate * WINDOW_SECONDS / settings.SMS_BULK_SENDERS)))


def _waiting(now: datetime) -> Q:
    # Texts only: reminder calls are placed by reminders.calls, at the calls-per-second limit.
    return Q(state=Message.State.PENDING, purpose__in=BULK_PURPOSES, channel=Message.Channel.SMS) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def bulk_waiting(*, now: datetime | None = None, up_to: int) -> int:
    """How many scheduled messages wait to be sent now, counted up to `up_to`."""
    now = now or timezone.now()
    return len(Message.objects.filter(_waiting(now)).values_list("pk", flat=True)[:up_to])


def bulk_claim(*, limit: int, now: datetime | None = None) -> list[Message]:
    """Claim up to `limit` waiting scheduled messages for this sender, atomically."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_waiting(now))
            .order_by("id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Message.objects.filter(pk__in=ids, state=Message.State.PENDING).update(
            state=Message.State.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    return list(
        Message.objects.select_related(*outbound.claim_related()).filter(
            pk__in=ids, state=Message.State.SENDING, claimed_at=now
        )
    )


def bulk_send_batch() -> BatchResult:
    """Claim a batch of waiting messages, reserve their slots, send each at its slot."""
    size = batch_size()
    messages = bulk_claim(limit=size)
    if not messages:
        return BatchResult(claimed=0)
    try:
        reservation = ratelimit.reserve(ratelimit.sender_key(outbound.sender_for()), len(messages))
    except Exception:
        _unclaim(messages)
        raise
    slots = iter(range(len(messages)))  # one slot per message actually sent

    def pace() -> None:
        reservation.wait_for(next(slots))

    recorded = outbound.record_batch(
        [outbound.attempt(message, backend=get_backend(message.channel), pace=pace) for message in messages]
    )
    return BatchResult(
        claimed=len(messages),
        submitted=recorded.submitted,
        not_sent=recorded.not_sent,
        retrying=recorded.retrying,
        failed=recorded.failed,
        full=len(messages) == size,
    )


def _unclaim(messages: list[Message]) -> None:
    """Give claimed rows back untouched (the rate limiter could not be asked)."""
    Message.objects.filter(pk__in=[m.pk for m in messages], state=Message.State.SENDING).update(
        state=Message.State.PENDING, attempts=F("attempts") - 1, claimed_at=None
    )
