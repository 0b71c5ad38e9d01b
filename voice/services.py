"""The phone menu: a call's state machine, as named steps, and its record.

A call moves through three places, each a URL under /twilio/voice/ that Twilio posts the
caller's key (or words) to:

- the language menu (a new caller): one line per language, each in its own language and
  voice, in the languages' priority order, digits 1..n; the choice is stored on the contact
  as `TAAL FR` would store it;
- the topic menu: a digit per topic (Topic.voice_digit), 9 another language, 0 the menu
  again; where the language has a speech-recognition code, words too, read by the same
  keyword rules as a text message;
- after a topic: 1 again, 2 as a text message, 0 the menu.

Nothing pressed: the prompt once more, then goodbye and hang up. An unknown key: "that is
not an option" and the same prompt. Every step first checks the call's age against
VOICE_MAX_CALL_SECONDS.

What is needed between steps rides in the URL (language, topic, step number, silences so
far) and the call's row, so any web process answers any step. Each answer is a step row,
unique on (call, step number): a request Twilio repeats finds its step and changes nothing,
and is answered the same. The text copy is a pending SMS row queued to a worker once the
step commits, one per call and topic, never sent inside the request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from advice import selectors as advice_selectors
from advice.encoding import render_sms_text
from advice.models import Topic
from contacts import services as contact_services
from contacts.models import Contact
from contacts.phone import masked, to_e164
from conversation.rules import Effect, decide
from messaging import outbound, queries, twilio_ids
from messaging import tasks as messaging_tasks
from messaging.models import CALL_STATUS_RANK, Message
from voice.content import Line, Spoken, Voice, advice_topic, menu_topics, spoken, voice_for, voices
from voice.models import CallStep
from voice.twiml import Answer, Ask

logger = logging.getLogger(__name__)

# Caller IDs that are no number: Twilio's `anonymous`, the keypad spellings of ANONYMOUS,
# UNAVAILABLE, UNKNOWN, BLOCKED and RESTRICTED that some carriers put in From, and those words
# themselves (some legs now carry them). Compared without case, spaces or dashes.
WITHHELD_CALLER_IDS = frozenset(
    {
        "anonymous",
        "+266696687",
        "unavailable",
        "+86282452253",
        "unknown",
        "+8656696",
        "blocked",
        "+2562533",
        "restricted",
        "+7378742833",
        "private",
        "withheld",
    }
)


MAX_STEPS = 100_000  # far beyond any call VOICE_MAX_CALL_SECONDS allows
MAX_SILENCES = 2  # nothing pressed twice: goodbye
MAX_STORED_VALUE = 2000
_NUMBER = re.compile(r"[0-9]{1,9}", re.ASCII)
_SLUG = re.compile(r"[-a-z0-9_]{1,50}", re.ASCII)
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]+)?", re.ASCII)


def is_withheld(raw: str) -> bool:
    return raw.strip().lower().replace(" ", "").replace("-", "") in {w.replace("-", "") for w in WITHHELD_CALLER_IDS}


def caller_number(raw: str) -> str | None:
    """The caller's E.164 number, or None when it is withheld or not a phone number (a SIP or client leg)."""
    if not raw or is_withheld(raw):
        return None
    return to_e164(raw) if raw.strip().startswith("+") else None


def _clean(value: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL; keep everything else as received.
    return value.replace("\x00", "\ufffd")[:MAX_STORED_VALUE]


def request_problem(params: Mapping[str, str]) -> str | None:
    """Why a voice request's identifiers are not Twilio's, or None."""
    if not params.get("CallSid"):
        return "no CallSid: not from Twilio's voice webhook"
    if not twilio_ids.is_call_sid(params["CallSid"]):
        return "malformed CallSid: not CA and 32 hex digits"
    if not twilio_ids.is_our_account(params.get("AccountSid", "")):
        return "AccountSid is not ours"
    return None


# --- The call's row -------------------------------------------------------------------------


@dataclass
class Caller:
    """Who is on the line: their call's row, their number (None: withheld) and contact."""

    call: Message
    number: str | None
    contact: Contact | None
    voices: list[Voice]

    offer: TextOffer | None = None  # the text copy's offer, once read
    _spoken: Spoken | None = None
    _loaded: frozenset[str] = frozenset()

    @property
    def withheld(self) -> bool:
        return self.number is None

    def texts(self, slugs: list[str]) -> Spoken:
        """Voice texts for this answer: every prompt, the menu's topics and `slugs`, read once per request."""
        wanted = {slug for slug in slugs if slug and not slug.startswith("voice-")}
        if self._spoken is None or not wanted <= self._loaded:
            self._loaded = frozenset(wanted | self._loaded | {entry.slug for entry in menu_topics()})
            self._spoken = spoken(sorted(self._loaded), available=self.voices)
        return self._spoken


# What a step reads of the call's row; the rest loads if something reads it.
_CALL_FIELDS = ("id", "provider_sid", "phone_number", "language", "contact", "body", "created_at")


def call_record(*, params: Mapping[str, str]) -> Message:
    """The call's row, created at its first request (the incoming webhook, or any later step
    whose call is unknown), once per CallSid."""
    sid = params["CallSid"]
    fields = (*_CALL_FIELDS, *(f"contact__{name}" for name in _CONTACT_FIELDS))
    call = Message.objects.filter(provider_sid=sid).select_related("contact").only(*fields).first()
    if call is not None:
        return call
    raw_from = params.get("From", "")
    number = caller_number(raw_from)
    contact = _contact_find(number)
    status = params.get("CallStatus", "").strip().lower()
    try:
        with transaction.atomic():
            call = Message.objects.create(
                direction=Message.Direction.INBOUND,
                channel=Message.Channel.VOICE,
                provider_sid=sid,
                provider_status=status if status in CALL_STATUS_RANK else "",
                phone_number=number or "",
                service_number=_clean(params.get("To", ""))[:64],
                contact=contact,
                language=(contact.language_id if contact else None) or "",
                state=Message.State.HANDLED,
                note="call from a withheld number" if number is None else "call",
                params={_clean(str(k)): _clean(str(v)) for k, v in params.items()},
            )
    except IntegrityError:
        return Message.objects.get(provider_sid=sid)
    logger.info("call %s (message %s) from %s", sid, call.pk, masked(number) if number else "a withheld number")
    return call


def _caller(params: Mapping[str, str]) -> Caller:
    call = call_record(params=params)
    number = call.phone_number or None
    # The call's contact, read with it; looked up by number only until the call has one.
    contact = call.contact if call.contact_id else _contact_find(number)
    return Caller(call, number, contact, voices())


# The contact's side, in one place: what a call reads and changes on the caller's contact.


_CONTACT_FIELDS = ("id", "phone_number", "language", "sms_opted_out", "sms_undeliverable_at")


def _contact_find(number: str | None) -> Contact | None:
    if number is None:
        return None
    return Contact.objects.filter(phone_number=number).only(*_CONTACT_FIELDS).first()


def _contact_set_language(number: str, language: str) -> Contact:
    """The caller's choice, stored as `TAAL FR` stores it (the contact is created if new)."""
    contact = contact_services.contact_get_for_update(phone_number=number)
    contact_services.contact_set_language(contact=contact, language=language)
    return contact


class TextOffer(Enum):
    YES = "yes"
    OPTED_OUT = "opted-out"  # offered: pressing 2 tells how to start texts again
    NO = "no"  # a withheld number, or one that cannot receive texts: not offered


def _text_offer(caller: Caller) -> TextOffer:
    """Whether 2 after a topic sends it as a text message, read once per request."""
    if caller.offer is None:
        caller.offer = _text_offer_now(caller)
    return caller.offer


def _text_offer_now(caller: Caller) -> TextOffer:
    if caller.number is None:
        return TextOffer.NO
    contact = caller.contact
    if contact is not None and contact.is_undeliverable("sms"):
        return TextOffer.NO
    if contact is not None and contact.is_opted_out("sms"):
        return TextOffer.OPTED_OUT
    if contact is not None and contact.pk is not None:
        # The same hourly cap as replies to texts (text copies are replies): a caller ID can
        # be spoofed, and calls must not become a way to text someone without end.
        since = timezone.now() - timedelta(hours=1)
        if queries.replies_count_since(contact.pk, since) >= settings.SMS_REPLY_LIMIT_PER_HOUR:
            return TextOffer.NO
    return TextOffer.YES


# --- Steps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One request of a call: where the caller is, and what they pressed or said."""

    where: str  # CallStep.Where
    sequence: int
    language: str = ""
    topic: str = ""
    silences: int = 0
    digits: str = ""
    speech: str = ""

    @property
    def heard(self) -> str:
        return self.digits or self.speech

    @property
    def input(self) -> str:
        if self.digits:
            return CallStep.Input.DIGITS
        if self.speech:
            return CallStep.Input.SPEECH
        return CallStep.Input.NONE


def step_parse(*, where: str, query: Mapping[str, str], params: Mapping[str, str]) -> Step | str:
    """The step a request is for, from its URL (ours) and Twilio's parameters; or why it is malformed."""
    raw_n, raw_q = query.get("n", ""), query.get("q", "0") or "0"
    if not _NUMBER.fullmatch(raw_n) or not 1 <= int(raw_n) <= MAX_STEPS:
        return "missing or malformed step number (?n=)"
    if not _NUMBER.fullmatch(raw_q) or int(raw_q) > MAX_SILENCES:
        return "malformed silence count (?q=)"
    language, topic = query.get("l", ""), query.get("t", "")
    if language and not _LANGUAGE.fullmatch(language):
        return "malformed language (?l=)"
    if topic and not _SLUG.fullmatch(topic):
        return "malformed topic (?t=)"
    digits = "".join(_clean(params.get("Digits", "")).split())[:10]
    speech = " ".join(_clean(params.get("SpeechResult", "")).split())[:200]
    return Step(where, int(raw_n), language, topic, int(raw_q), digits, speech)


@dataclass(frozen=True)
class Effects:
    """What a step changes, made only the first time the step is recorded."""

    language: str | None = None  # store as the caller's language
    topic: Topic | None = None  # the topic the caller heard (or asked for as a text)
    text_copy: bool = False  # send `topic` as a text message


def call_incoming(*, params: Mapping[str, str]) -> Answer:
    """Twilio's "A call comes in": a known caller hears the menu in their language, anyone else the language menu."""
    with transaction.atomic():  # the call's row and its first step: one commit
        caller = _caller(params)
        known = voice_for(caller.contact.language_id or "", caller.voices) if caller.contact else None
        start = Step(CallStep.Where.START, 0, language=known.code if known else "")
        if known is not None:
            answer = _topic_menu(caller, known.code, next_step=1, greet=True)
        else:
            answer = _language_menu(caller, next_step=1)
        _record(caller, start, answer, Effects())
    return answer


def call_step(*, where: str, query: Mapping[str, str], params: Mapping[str, str]) -> Answer | str:
    """Answer one later step of a call (a key, words, or nothing); or why the request is malformed."""
    step = step_parse(where=where, query=query, params=params)
    if isinstance(step, str):
        return step
    caller = _caller(params)
    answer, effects = _answer(caller, step)
    _record(caller, step, answer, effects)
    return answer


def _answer(caller: Caller, step: Step) -> tuple[Answer, Effects]:
    next_step = step.sequence + 1
    voice = voice_for(step.language, caller.voices)
    language = voice.code if voice else ""
    age = timezone.now() - caller.call.created_at
    if age >= timedelta(seconds=settings.VOICE_MAX_CALL_SECONDS):
        return _time_limit(caller, language), Effects()
    if step.where == CallStep.Where.LANGUAGE or voice is None:
        return _at_language_menu(caller, step, next_step)
    if step.where == CallStep.Where.TOPIC:
        topic = advice_topic(step.topic)
        if topic is None:  # not a topic (any more): the menu, whatever was pressed
            return _topic_menu(caller, language, next_step=next_step), Effects()
        return _after_topic(caller, step, language, topic, next_step)
    return _at_topic_menu(caller, step, language, next_step)


def _silence(caller: Caller, step: Step, language: str, again: Answer) -> Answer:
    """Nothing pressed: the prompt once more, then goodbye."""
    texts = caller.texts([Topic.VOICE_NO_INPUT, Topic.VOICE_GOODBYE])
    lead = _lines(texts, language, Topic.VOICE_NO_INPUT) if language else ()
    if step.silences >= MAX_SILENCES:
        farewell = _lines(texts, language, Topic.VOICE_GOODBYE) if language else _in_every_voice(caller, texts)
        return Answer(lead + farewell, hangup=True)
    return Answer(lead + again.lines, again.ask, again.redirect)


def _at_language_menu(caller: Caller, step: Step, next_step: int) -> tuple[Answer, Effects]:
    menu = _language_menu(caller, next_step=next_step, silences=max(step.silences, 1 if not step.heard else 0))
    if not step.heard:
        return _silence(caller, step, "", menu), Effects()
    if step.digits.isdigit() and 1 <= int(step.digits) <= len(caller.voices):
        chosen = caller.voices[int(step.digits) - 1]
        return _topic_menu(caller, chosen.code, next_step=next_step, greet=True), Effects(language=chosen.code)
    return menu, Effects()  # no language to say "not an option" in: the menu is the answer


def _at_topic_menu(caller: Caller, step: Step, language: str, next_step: int) -> tuple[Answer, Effects]:
    if not step.heard:
        again = _topic_menu(caller, language, next_step=next_step, silences=max(step.silences, 1))
        return _silence(caller, step, language, again), Effects()
    if step.digits == "0":
        return _topic_menu(caller, language, next_step=next_step), Effects()
    if step.digits == "9":
        return _language_menu(caller, next_step=next_step), Effects()
    slug, switch = _understood(step, language)
    if switch is not None and voice_for(switch, caller.voices) is not None:
        return _topic_menu(caller, switch, next_step=next_step), Effects(language=switch)
    topic = advice_topic(slug) if slug else None
    if topic is not None:
        answer = _topic(caller, language, topic, next_step=next_step)
        if answer is not None:
            return answer, Effects(topic=topic)
    return _topic_menu(caller, language, next_step=next_step, lead=Topic.VOICE_NOT_AN_OPTION), Effects()


def _understood(step: Step, language: str) -> tuple[str | None, str | None]:
    """The advice topic a key or words ask for, and a language words ask to switch to.

    A key is a digit of the menu; words are read by the same keyword rules as a text message.
    Only topics and language switches count: spoken words never stop, start, pause or erase
    anything (a misheard "stop" must not cut anyone off).
    """
    if step.digits:
        if not step.digits.isdigit():
            return None, None
        return next((entry.slug for entry in menu_topics() if entry.digit == int(step.digits)), None), None
    index = advice_selectors.keyword_index()
    decision = decide(text=step.speech, index=index, stored_language=language, is_opted_out=False)
    if decision.effect == Effect.SET_LANGUAGE:
        return None, decision.remember_language
    if decision.effect == Effect.NONE and decision.reply_topic and decision.reply_topic != Topic.MENU:
        return decision.reply_topic, None
    return None, None


def _after_topic(caller: Caller, step: Step, language: str, topic: Topic, next_step: int) -> tuple[Answer, Effects]:
    offer = _text_offer(caller)
    if not step.heard:
        again = _options_after_topic(
            caller, language, topic, offer, next_step=next_step, silences=max(step.silences, 1)
        )
        return _silence(caller, step, language, again), Effects()
    if step.digits == "1":
        answer = _topic(caller, language, topic, next_step=next_step)
        if answer is not None:
            return answer, Effects(topic=topic)
    if step.digits == "0":
        return _topic_menu(caller, language, next_step=next_step), Effects()
    if step.digits == "9":
        return _language_menu(caller, next_step=next_step), Effects()
    if step.digits == "2" and offer == TextOffer.YES:
        answer = _options_after_topic(caller, language, topic, offer, next_step=next_step, lead=Topic.VOICE_TEXT_SENT)
        return answer, Effects(topic=topic, text_copy=True)
    if step.digits == "2" and offer == TextOffer.OPTED_OUT:
        answer = _options_after_topic(
            caller, language, topic, TextOffer.NO, next_step=next_step, lead=Topic.VOICE_TEXT_OPTED_OUT
        )
        return answer, Effects(topic=topic)
    lead = Topic.VOICE_NOT_AN_OPTION
    return _options_after_topic(caller, language, topic, offer, next_step=next_step, lead=lead), Effects()


# --- What each place says -------------------------------------------------------------------


def step_url(name: str, **query: object) -> str:
    """The absolute URL of a voice step (Twilio signs, and we check, exactly this)."""
    return f"{settings.PUBLIC_BASE_URL}{reverse(f'voice:{name}')}?{urlencode(query)}"


def _lines(texts: Spoken, language: str, *slugs: str) -> tuple[Line, ...]:
    found = (texts.line(slug, language) for slug in slugs)
    return tuple(line for line in found if line is not None)


def _in_every_voice(caller: Caller, texts: Spoken) -> tuple[Line, ...]:
    """The goodbye after a silent language menu: each language in its own voice."""
    lines = ((voice, texts.line(Topic.VOICE_GOODBYE, voice.code)) for voice in caller.voices)
    return tuple(line for voice, line in lines if line is not None and line.voice == voice)


def _language_menu(caller: Caller, *, next_step: int, silences: int = 0) -> Answer:
    texts = caller.texts([Topic.VOICE_LANGUAGE_OPTION])
    lines = []
    for digit, voice in enumerate(caller.voices, start=1):
        line = texts.line(Topic.VOICE_LANGUAGE_OPTION, voice.code, digit=str(digit))
        if line is not None and line.voice == voice:  # a language's line only in that language
            lines.append(line)
        else:
            logger.error("the language menu has no line in %s: its digit %s is not announced", voice.code, digit)
    return Answer(
        tuple(lines),
        Ask(step_url("language", n=next_step)),
        redirect=step_url("language", n=next_step, q=silences + 1),
    )


def _topic_menu(
    caller: Caller, language: str, *, next_step: int, greet: bool = False, lead: str = "", silences: int = 0
) -> Answer:
    entries = menu_topics()
    voice = voice_for(language, caller.voices)
    speech = voice.speech_language if voice else ""
    prompts = [Topic.VOICE_GREETING, Topic.VOICE_MENU_ITEM, Topic.VOICE_MENU_END, Topic.VOICE_MENU_SPEECH]
    texts = caller.texts([*prompts, lead, *(entry.slug for entry in entries)])
    lines = list(_lines(texts, language, *(slug for slug in (lead, Topic.VOICE_GREETING if greet else "") if slug)))
    item_language = texts.language_of(Topic.VOICE_MENU_ITEM, language)
    for entry in entries:
        label = texts.label(entry.slug, item_language) if item_language else ""
        if label:
            line = texts.line(Topic.VOICE_MENU_ITEM, language, label=label, digit=str(entry.digit))
            if line is not None:
                lines.append(Line(line.text, line.voice, f"{Topic.VOICE_MENU_ITEM}:{entry.slug}"))
        else:
            logger.warning("topic %r has no menu label in %s: its digit is not announced", entry.slug, language)
    lines.extend(_lines(texts, language, Topic.VOICE_MENU_END))
    if speech:
        lines.extend(_lines(texts, language, Topic.VOICE_MENU_SPEECH))
    query = {"l": language, "n": next_step}
    return Answer(
        tuple(lines),
        Ask(step_url("menu", **query), speech_language=speech),
        redirect=step_url("menu", **query, q=silences + 1),
    )


def _topic(caller: Caller, language: str, topic: Topic, *, next_step: int) -> Answer | None:
    """The topic's voice text, then what can be done next; None if it has no voice text in any language."""
    texts = caller.texts([topic.slug])
    said = texts.line(topic.slug, language)
    if said is None:
        logger.error("topic %r has no voice text in any language: the caller hears the menu", topic.slug)
        return None
    options = _options_after_topic(caller, language, topic, _text_offer(caller), next_step=next_step)
    return Answer((said, *options.lines), options.ask, options.redirect)


def _options_after_topic(
    caller: Caller, language: str, topic: Topic, offer: TextOffer, *, next_step: int, lead: str = "", silences: int = 0
) -> Answer:
    options = Topic.VOICE_AFTER_TOPIC if offer != TextOffer.NO else Topic.VOICE_AFTER_TOPIC_NO_TEXT
    texts = caller.texts([lead, options])
    query = {"l": language, "t": topic.slug, "n": next_step}
    return Answer(
        _lines(texts, language, *(slug for slug in (lead, options) if slug)),
        Ask(step_url("topic", **query)),
        redirect=step_url("topic", **query, q=silences + 1),
    )


def _time_limit(caller: Caller, language: str) -> Answer:
    texts = caller.texts([Topic.VOICE_TIME_LIMIT])
    language = language or (caller.voices[0].code if caller.voices else "")
    logger.info("call message %s reached VOICE_MAX_CALL_SECONDS: ended", caller.call.pk)
    return Answer(_lines(texts, language, Topic.VOICE_TIME_LIMIT), hangup=True)


# --- Recording a step -------------------------------------------------------------------------


@dataclass
class _Writes:
    contact: Contact | None = field(default=None)


def _record(caller: Caller, step: Step, answer: Answer, effects: Effects) -> None:
    """Record the step and make its changes, once: a repeated request finds its step and changes nothing."""
    call = caller.call
    language = effects.language or step.language or call.language
    try:
        with transaction.atomic():
            # First, so that a repeated request stops here (the unique step) before changing anything.
            recorded = CallStep.objects.create(
                call=call,
                sequence=step.sequence,
                where=step.where,
                input=step.input,
                heard=step.digits,
                said=answer.said[:300],
                language=language,
                topic=effects.topic,
            )
            writes = _Writes(contact=caller.contact)
            if effects.language and caller.number:
                writes.contact = _contact_set_language(caller.number, effects.language)
            if effects.text_copy and effects.topic is not None and caller.number:
                text_message = _text_copy(caller, writes, effects.topic, language)
                if text_message is not None:
                    CallStep.objects.filter(pk=recorded.pk).update(text_message=text_message)
                    message_id = text_message.pk
                    transaction.on_commit(lambda: messaging_tasks.queue(messaging_tasks.send_message, message_id))
            changed = []
            if step.speech:
                # The words go in the call's text, which erasure and retention blank with every
                # message's: the step keeps only that something was said, and what it was taken for.
                call.body = f"{call.body}{step.sequence}: {step.speech}\n"[-MAX_STORED_VALUE:]
                changed.append("body")
            if language and call.language != language:
                call.language = language
                changed.append("language")
            if writes.contact is not None and call.contact_id != writes.contact.pk:
                call.contact = writes.contact
                changed.append("contact")
            if changed:
                call.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        # This step is recorded already (Twilio repeated the request): it made the changes.
        logger.info("call message %s step %s repeated: nothing changed", call.pk, step.sequence)


def _text_copy(caller: Caller, writes: _Writes, topic: Topic, language: str) -> Message | None:
    """The topic's SMS text as a pending outbound message, unless this call already sent it."""
    assert caller.number is not None
    already = CallStep.objects.filter(call=caller.call, topic=topic, text_message__isnull=False).exists()
    if already:
        return None
    found = advice_selectors.topic_text(topic.slug, language)
    if found is None:
        logger.error("topic %r has no SMS text in any language: no text copy", topic.slug)
        return None
    if writes.contact is None:
        writes.contact = contact_services.contact_get_for_update(phone_number=caller.number)
    # The configured sender (TWILIO_FROM_NUMBER or the Messaging Service), not the number
    # called, which may take calls only.
    message = outbound.message_new(
        purpose=Message.Purpose.REPLY,
        phone_number=caller.number,
        contact=writes.contact,
        body=render_sms_text(found.sms_text),
        language=found.language,
        topic=found.topic,
        note=f"asked for on call message {caller.call.pk}",
    )
    message.save()
    logger.info("call message %s: %s sent as a text message (message %s)", caller.call.pk, topic.slug, message.pk)
    return message


# --- Status callbacks -------------------------------------------------------------------------


def call_status_update(*, params: Mapping[str, str]) -> str | None:
    """Apply one call status callback (status forward only, the duration recorded); or why it is malformed."""
    problem = request_problem(params)
    raw_duration = params.get("CallDuration", "").strip()
    if problem is None and raw_duration and not _NUMBER.fullmatch(raw_duration):
        problem = "malformed CallDuration"
    if problem is not None:
        logger.warning("call status callback refused: %s", problem)
        return problem
    status = params.get("CallStatus", "").strip().lower()
    call = Message.objects.filter(provider_sid=params["CallSid"], channel=Message.Channel.VOICE).first()
    if call is None or status not in CALL_STATUS_RANK:
        logger.warning("call status callback for an unknown call or status (%r): ignored", status[:20])
        return None
    lower = ["", *(name for name, rank in CALL_STATUS_RANK.items() if rank < CALL_STATUS_RANK[status])]
    with transaction.atomic():  # the status and its record: one commit
        advanced = Message.objects.filter(pk=call.pk, provider_status__in=lower).update(
            provider_status=status, updated_at=timezone.now()
        )
        try:
            with transaction.atomic():
                CallStep.objects.create(
                    call=call,
                    sequence=0,
                    where=CallStep.Where.STATUS,
                    heard=status,
                    duration_seconds=int(raw_duration) if raw_duration else None,
                )
        except IntegrityError:
            pass  # this status was reported before
    logger.info("call message %s status %s%s", call.pk, status, "" if advanced else " (older than known: kept)")
    return None
