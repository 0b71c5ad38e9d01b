"""Reading settings from the environment, failing loudly and all at once.

Every setting is read through a `Settings` reader that records problems instead of raising
on the first one, so that an operator with three mistakes in a deployment sees all three in
one start-up message. In development (`DJANGO_DEBUG=1`) a missing setting takes its
development default; a malformed one is an error in every mode.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Settings:
    def __init__(self, environ: os._Environ[str] | dict[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.problems: list[str] = []
        self.debug = self.get_bool("DJANGO_DEBUG", default=False)

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def get_bool(self, name: str, *, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.problems.append(f"{name} must be one of 1/0, true/false, yes/no, on/off (got {value!r}).")
        return default

    def get_str(
        self,
        name: str,
        *,
        dev_default: str | None = None,
        default: str | None = None,
        required: bool = True,
        check: Callable[[str], str | None] | None = None,
    ) -> str:
        """A string setting. `dev_default` is used only in debug mode; `default` always.

        With neither, a missing value is a problem when `required` (else "").
        `check` returns an error message for a malformed value, or None.
        """
        value = self.raw(name)
        if value is None:
            if default is not None:
                return default
            if self.debug and dev_default is not None:
                return dev_default
            if required:
                hint = " (or set DJANGO_DEBUG=1 for development defaults)" if dev_default else ""
                self.problems.append(f"{name} is required{hint}.")
            return ""
        if check is not None:
            error = check(value)
            if error:
                self.problems.append(f"{name} {error} (got {value!r}).")
        return value

    def get_int(self, name: str, *, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        return self.number(name, int, default=default, minimum=minimum, maximum=maximum)

    def get_float(self, name: str, *, default: float, minimum: float = 0.0, maximum: float | None = None) -> float:
        return self.number(name, float, default=default, minimum=minimum, maximum=maximum)

    def number(self, name: str, kind: Callable[[str], T], *, default: T, minimum: T, maximum: T | None) -> T:
        value = self.raw(name)
        if value is None:
            return default
        try:
            parsed = kind(value)
        except ValueError:
            self.problems.append(f"{name} must be a number (got {value!r}).")
            return default
        if parsed < minimum or (maximum is not None and parsed > maximum):  # type: ignore[operator]
            upper = f" and at most {maximum}" if maximum is not None else ""
            self.problems.append(f"{name} must be at least {minimum}{upper} (got {value!r}).")
            return default
        return parsed

    def get_list(self, name: str, *, dev_default: str, required: bool = True) -> list[str]:
        value = self.get_str(name, dev_default=dev_default, required=required)
        return [item.strip() for item in value.split(",") if item.strip()]

    def fail_if_problems(self) -> None:
        if self.problems:
            lines = "\n  - ".join(self.problems)
            raise ImproperlyConfigured(
                f"The service cannot start: {len(self.problems)} setting(s) missing or malformed."
                f"\n  - {lines}\nEvery variable is described in the README, under Configuration."
            )


def check_http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an absolute http:// or https:// URL"
    if parts.query or parts.fragment:
        return "must not have a query string or fragment"
    return None


def check_database_url(value: str) -> str | None:
    scheme = urlsplit(value).scheme
    if scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
        return "must be a postgres:// or sqlite:/// URL"
    return None


def check_redis_url(value: str) -> str | None:
    if urlsplit(value).scheme not in ("redis", "rediss", "redis+socket"):
        return "must be a redis://, rediss:// or redis+socket:// URL"
    return None


def check_pattern(pattern: str, description: str) -> Callable[[str], str | None]:
    compiled = re.compile(pattern)

    def check(value: str) -> str | None:
        return None if compiled.fullmatch(value) else f"must be {description}"

    return check


def check_e164(value: str) -> str | None:
    import phonenumbers

    message = "must be a phone number in E.164 form, such as +3225550100"
    if not re.fullmatch(r"\+[1-9]\d{1,14}", value):
        return message
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return message
    return None if phonenumbers.is_possible_number(number) else message


def check_choice(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def check_time_zone(value: str) -> str | None:
    from reminders.schedule import is_time_zone

    return None if is_time_zone(value) else "must be an IANA time zone such as Europe/Brussels"


def check_times(value: str) -> str | None:
    from reminders.schedule import parse_times

    parsed = parse_times(value)
    if parsed.invalid or not parsed.times:
        return "must be times of day such as 09:00 13:00 17:00"
    return None
