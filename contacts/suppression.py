"""Erased numbers are remembered only as a keyed HMAC, so that nothing is sent to them again.

A plain hash of a phone number is no protection (there are few enough numbers to hash them
all); an HMAC under SUPPRESSION_HMAC_KEY, a secret kept outside the database, is.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from contacts.models import Suppression


def number_hmac(number: str) -> str:
    return hmac.new(settings.SUPPRESSION_HMAC_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()


def suppression_add(*, number: str) -> None:
    Suppression.objects.get_or_create(number_hmac=number_hmac(number))


def suppression_clear(*, number: str) -> bool:
    """The person texted again: they start afresh. Returns True if they were suppressed."""
    deleted, _ = Suppression.objects.filter(number_hmac=number_hmac(number)).delete()
    return bool(deleted)


def is_suppressed(number: str) -> bool:
    return Suppression.objects.filter(number_hmac=number_hmac(number)).exists()
