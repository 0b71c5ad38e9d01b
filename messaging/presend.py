"""Pre-send checks, registered by the owner of each message purpose.

The outbound pipeline (messaging.outbound) knows whether a contact may receive on a channel
(consent, reachability: messaging.recipients) and nothing of reminders. Whatever else may
stop a message of some purpose is the purpose's owner's rule, registered here when its
app is ready: `reminders` registers pause, "reminders stopped", quiet hours and the grace
period for reminders, and pause and quiet hours for advisories (reminders.presend).

A check takes the claimed message and the moment of sending and returns None (send it),
a Refusal (record it as not sent, or as missed, with the reason) or a NotBefore (hand it
back until then: an advisory in someone's quiet hours waits for the morning). The first
check that objects decides. Checks read only what the message row brings along: each names
the relations it reads, and the senders' claims load them with the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from messaging.models import Message


@dataclass(frozen=True)
class Refusal:
    note: str  # why, as recorded on the row: "not sent: reminders are paused"
    missed: bool = False  # too late or inside quiet hours: recorded `missed` rather than `not sent`


@dataclass(frozen=True)
class NotBefore:
    at: datetime
    note: str  # recorded while it waits: "held until the quiet hours end"


Verdict = Refusal | NotBefore | None
Check = Callable[[Message, datetime], Verdict]

_checks: dict[str, list[Check]] = {}
_related: set[str] = set()


def register_check(purpose: str, check: Check, *, related: Iterable[str] = ()) -> None:
    """Run `check` before every message of `purpose` is sent (once per check: ready() may run twice).

    `related`: the relations of Message the check reads (for select_related), so that a
    batch of a thousand messages costs no query per message.
    """
    checks = _checks.setdefault(purpose, [])
    if check not in checks:
        checks.append(check)
    _related.update(related)


def unregister_check(purpose: str, check: Check) -> None:
    """Stop running `check` for `purpose` (tests; a purpose that goes away)."""
    if check in _checks.get(purpose, []):
        _checks[purpose].remove(check)


def related_fields() -> list[str]:
    """What the registered checks read beyond the message row itself."""
    return sorted(_related)


def presend_verdict(message: Message, now: datetime) -> Verdict:
    """The first objection of the checks registered for the message's purpose, or None."""
    for check in _checks.get(message.purpose, ()):
        verdict = check(message, now)
        if verdict is not None:
            return verdict
    return None
