"""The leaflet's content: languages, topics with one translation per language, and keywords.

Languages are rows, not code: adding a fifth language is adding a Language, its
translations and its keywords in the admin.

Governance: TopicTranslation holds only the published text, the one every sender reads. An
editor's change is a TextDraft beside it until a clinician who did not write it approves it
(advice.review); the leaflet itself is a versioned Source split into Passages that topics cite.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from advice.text import normalize_text

SMS_MAX_CHARACTERS = 1600  # Twilio's limit for one message body.


class Language(models.Model):
    code = models.CharField(
        _("code"),
        primary_key=True,
        max_length=8,
        validators=[RegexValidator(r"^[a-z]{2,3}(-[a-z0-9]+)?$", _("Use a language code such as nl or fr."))],
        help_text=_("ISO 639-1 code, such as nl. Texting it alone switches to this language."),
    )
    name = models.CharField(_("name"), max_length=50, help_text=_("In the language itself, such as Nederlands."))
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=100,
        help_text=_("Decides words shared by several languages (such as CAUSES): lower comes first."),
    )
    voice_language = models.CharField(
        _("voice language"), max_length=16, blank=True, help_text=_("Language tag for spoken text, such as nl-BE.")
    )
    voice_name = models.CharField(
        _("voice"), max_length=64, blank=True, help_text=_("Text-to-speech voice, such as Polly.Lisa-Neural.")
    )
    speech_language = models.CharField(
        _("speech recognition"),
        max_length=16,
        blank=True,
        help_text=_("Language code for understanding callers who speak, such as nl-NL; empty: keypad only."),
    )
    history = HistoricalRecords(verbose_name=_("historical language"))

    class Meta:
        ordering = ["priority", "code"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


# Digits the phone menu keeps for itself: 0 the menu again, 8 reminder calls, 9 another language.
RESERVED_VOICE_DIGITS = (0, 8, 9)


def validate_voice_digit(value: int) -> None:
    if value in RESERVED_VOICE_DIGITS:
        raise ValidationError(
            _("%(digit)d is kept for the phone menu itself (0 menu again, 8 reminder calls, 9 another language)."),
            code="reserved_digit",
            params={"digit": value},
        )


class Topic(models.Model):
    class Kind(models.TextChoices):
        ADVICE = "advice", _("advice from the leaflet")
        SYSTEM = "system", _("service message")
        REMINDER = "reminder", _("reminder text (sent in turn)")

    # Service messages the code sends by slug; they cannot be deleted in the admin.
    # Words in braces, such as {times}, are filled in when sent.
    MENU = "menu"
    OPTED_OUT = "opted-out"
    OPTED_IN = "opted-in"
    LANGUAGE_CHANGED = "language-changed"
    REMINDERS_ON = "reminders-on"  # {times} {zone}
    REMINDERS_ON_CALL = "reminders-on-call"  # {times} {zone}: the same, for reminder calls
    ZONE_LOCAL = "zone-local"  # {zone} for the home zone: "Belgian time", in the reply's language
    REMINDERS_NONE = "reminders-none"  # {times}
    REMINDERS_UNREADABLE = "reminders-unreadable"  # {input} {example}
    REMINDERS_QUIET = "reminders-quiet"  # {input} {quiet} {example}
    REMINDERS_TOO_MANY = "reminders-too-many"  # {max} {example}
    REMINDERS_PAUSED = "reminders-paused"
    REMINDERS_PAUSED_UNTIL = "reminders-paused-until"  # {date}
    FORGOTTEN = "forgotten"  # the one confirmation of FORGET
    # "We store your number; text FORGET to erase it": the line under a new number's first
    # reply and every reminder confirmation (messaging.privacy_notice).
    PRIVACY_NOTICE = "privacy-notice"
    # Voice prompts: what a call says around the topics (spoken only, never texted).
    VOICE_GREETING = "voice-greeting"
    VOICE_LANGUAGE_OPTION = "voice-language-option"  # {digit}, said in that language's own voice
    VOICE_MENU_ITEM = "voice-menu-item"  # {label} {digit}: label is the topic translation's voice_label
    VOICE_MENU_END = "voice-menu-end"  # 9 another language, 0 this menu again
    VOICE_MENU_SPEECH = "voice-menu-speech"  # only where the language has a speech recognition code
    VOICE_AFTER_TOPIC = "voice-after-topic"  # 1 again, 2 as a text message, 0 the menu
    VOICE_AFTER_TOPIC_NO_TEXT = "voice-after-topic-no-text"  # the same without the text (withheld numbers)
    VOICE_NOT_AN_OPTION = "voice-not-an-option"
    VOICE_NO_INPUT = "voice-no-input"
    VOICE_GOODBYE = "voice-goodbye"
    VOICE_TEXT_SENT = "voice-text-sent"
    VOICE_TEXT_OPTED_OUT = "voice-text-opted-out"  # names the START word of the language
    VOICE_TIME_LIMIT = "voice-time-limit"
    # Reminder calls (issue 11): after the reminder, and the confirmation of 2.
    VOICE_REMINDER_OPTIONS = "voice-reminder-options"  # 1 hear it again, 2 stop reminder calls
    VOICE_REMINDER_STOPPED = "voice-reminder-stopped"  # reminders stop, nothing else
    # The phone menu's 8 (reminder calls): the setting, the choices, each confirmation.
    VOICE_REMINDER_SETTING_CALLS = "voice-reminder-setting-calls"  # {times}
    VOICE_REMINDER_SETTING_TEXTS = "voice-reminder-setting-texts"  # {times}
    VOICE_REMINDER_SETTING_NONE = "voice-reminder-setting-none"
    VOICE_REMINDER_MENU = "voice-reminder-menu"  # 1 calls, four digits one time, 3 texts, 0 menu
    VOICE_REMINDER_CALLS_ON = "voice-reminder-calls-on"  # {times}
    VOICE_REMINDER_TEXTS_ON = "voice-reminder-texts-on"  # {times}
    VOICE_REMINDER_TIME_REFUSED = "voice-reminder-time-refused"  # {end} {start}: outside the quiet hours
    # Each prompt and the placeholders it must contain, exactly.
    VOICE_PROMPTS: dict[str, tuple[str, ...]] = {
        VOICE_GREETING: (),
        VOICE_LANGUAGE_OPTION: ("digit",),
        VOICE_MENU_ITEM: ("label", "digit"),
        VOICE_MENU_END: (),
        VOICE_MENU_SPEECH: (),
        VOICE_AFTER_TOPIC: (),
        VOICE_AFTER_TOPIC_NO_TEXT: (),
        VOICE_NOT_AN_OPTION: (),
        VOICE_NO_INPUT: (),
        VOICE_GOODBYE: (),
        VOICE_TEXT_SENT: (),
        VOICE_TEXT_OPTED_OUT: (),
        VOICE_TIME_LIMIT: (),
        VOICE_REMINDER_OPTIONS: (),
        VOICE_REMINDER_STOPPED: (),
        VOICE_REMINDER_SETTING_CALLS: ("times",),
        VOICE_REMINDER_SETTING_TEXTS: ("times",),
        VOICE_REMINDER_SETTING_NONE: (),
        VOICE_REMINDER_MENU: (),
        VOICE_REMINDER_CALLS_ON: ("times",),
        VOICE_REMINDER_TEXTS_ON: ("times",),
        VOICE_REMINDER_TIME_REFUSED: ("end", "start"),
    }
    SYSTEM_SLUGS = (
        MENU,
        OPTED_OUT,
        OPTED_IN,
        LANGUAGE_CHANGED,
        REMINDERS_ON,
        REMINDERS_ON_CALL,
        REMINDERS_NONE,
        REMINDERS_UNREADABLE,
        REMINDERS_QUIET,
        REMINDERS_TOO_MANY,
        REMINDERS_PAUSED,
        REMINDERS_PAUSED_UNTIL,
        ZONE_LOCAL,
        FORGOTTEN,
        PRIVACY_NOTICE,
        *VOICE_PROMPTS,
    )
    # The advice an advisory sends by default.
    HEAT = "heat"

    slug = models.SlugField(_("slug"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ADVICE)
    name = models.CharField(_("name"), max_length=100, help_text=_("For editors; people never see it."))
    source = models.TextField(
        _("leaflet passage"), blank=True, help_text=_("The part of the leaflet this topic says, for reviewers.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    general = models.BooleanField(
        _("general topic"),
        default=False,
        help_text=_(
            "Its keywords name the service's subject (KRAMP, CRAMP): a message that also names another "
            "topic, such as 'how to prevent cramps', gets that topic instead."
        ),
    )
    voice_digit = models.PositiveSmallIntegerField(
        _("phone menu digit"),
        null=True,
        blank=True,
        unique=True,
        validators=[MaxValueValidator(9), validate_voice_digit],
        help_text=_("The key a caller presses for this topic (1 to 7); 0, 8 and 9 are kept for the menu itself."),
    )
    passages: models.ManyToManyField[Passage, Any] = models.ManyToManyField(
        "Passage",
        blank=True,
        related_name="topics",
        verbose_name=_("source passages"),
        help_text=_("The passages of the source this topic renders; a new source version flags it when they change."),
    )
    history = HistoricalRecords(verbose_name=_("historical topic"))

    class Meta:
        ordering = ["kind", "position", "slug"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


class TopicTranslation(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="translations", verbose_name=_("topic"))
    language = models.ForeignKey(Language, on_delete=models.CASCADE, related_name="+", verbose_name=_("language"))
    sms_text = models.TextField(
        _("SMS text"),
        validators=[MaxLengthValidator(SMS_MAX_CHARACTERS)],
        help_text=_("What a text message says. Curly quotes and non-breaking spaces are replaced when sent."),
    )
    voice_text = models.TextField(
        _("voice text"),
        blank=True,
        help_text=_(
            "What a phone call says: short sentences, numbers as words, no abbreviations, symbols or keywords."
        ),
    )
    voice_label = models.CharField(
        _("phone menu label"),
        max_length=100,
        blank=True,
        help_text=_("Short, for the spoken menu ({label} in its line), such as 'what to do during a cramp'."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    needs_review = models.BooleanField(
        _("needs review"),
        default=False,
        help_text=_("Set when a passage it renders changed in a new source version; cleared by an approval."),
    )
    review_due = models.DateField(_("review due"), null=True, blank=True)
    history = HistoricalRecords(verbose_name=_("historical translation"))

    class Meta:
        ordering = ["topic", "language"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "language"], name="one_translation_per_language"),
        ]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")

    def __str__(self) -> str:
        return f"{self.topic} ({self.language_id})"


class Keyword(models.Model):
    class Action(models.TextChoices):
        TOPIC = "topic", _("reply with a topic")
        MENU = "menu", _("reply with the menu")
        STOP = "stop", _("stop all messages")
        START = "start", _("start messages again")
        LANGUAGE = "language", _("switch language")
        REMIND = "remind", _("set reminder times")
        PAUSE = "pause", _("pause reminders")
        RESUME = "resume", _("resume reminders")
        FORGET = "forget", _("erase everything about the number")
        # Read only after a reminder word: REMIND CALL 9:30, HERINNER SMS.
        BY_CALL = "by-call", _("reminders by phone call (after a reminder word)")
        BY_SMS = "by-sms", _("reminders by text message (after a reminder word)")

    word = models.CharField(
        _("word"),
        max_length=40,
        help_text=_("As people would type it, one to three words; case, accents, plurals and typos are handled."),
    )
    normalized = models.CharField(_("normalised"), max_length=40, editable=False, db_index=True)
    language = models.ForeignKey(
        Language, on_delete=models.CASCADE, related_name="keywords", verbose_name=_("language")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices, default=Action.TOPIC)
    whole_message_only = models.BooleanField(
        _("whole message only"),
        default=False,
        help_text=_(
            "Match only when the whole message is this word, never inside a sentence: for words that are "
            "everyday words in another language (INFO, WEITER, QUELLE). Stop, start, resume and language "
            "switches always work this way."
        ),
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="keywords",
        verbose_name=_("topic"),
        limit_choices_to={"kind": "advice"},
    )
    target_language = models.ForeignKey(
        Language,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("switches to"),
        help_text=_(
            "For a language switch: the language this word names. Leave empty for a word such as "
            "TAAL that is followed by the language."
        ),
    )
    # A keyword saved in the admin waits until a clinician who did not save it approves it (a
    # wrong keyword sends the wrong advice); meanwhile the index keeps its last approved form.
    pending_review = models.BooleanField(_("awaiting approval"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    history = HistoricalRecords(verbose_name=_("historical keyword"))

    class Meta:
        ordering = ["language", "action", "word"]
        constraints = [
            models.UniqueConstraint(fields=["normalized", "language"], name="one_keyword_per_word_and_language"),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | models.Q(changed_by__isnull=True)
                | ~models.Q(approved_by=models.F("changed_by")),
                name="keyword_approver_is_not_its_author",
            ),
        ]
        permissions = [("approve_keyword", _("Can approve keywords"))]
        verbose_name = _("keyword")
        verbose_name_plural = _("keywords")

    def __str__(self) -> str:
        return f"{self.word} ({self.language_id})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.normalized = normalize_text(self.word)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        self.normalized = normalize_text(self.word)
        if not self.normalized:
            raise ValidationError({"word": _("A keyword needs at least one letter or digit.")}, code="empty")
        if self.action == self.Action.TOPIC and self.topic_id is None:
            raise ValidationError({"topic": _("Choose the topic this keyword replies with.")}, code="topic_required")
        if self.topic is not None and self.topic.kind != Topic.Kind.ADVICE:
            # Service messages and reminders have words filled in by the code that sends them.
            raise ValidationError(
                {"topic": _("A keyword can only reply with advice, not a service message or a reminder.")},
                code="topic_not_advice",
            )
        if self.action != self.Action.TOPIC and self.topic_id is not None:
            raise ValidationError({"topic": _("Only a topic keyword has a topic.")}, code="topic_not_allowed")
        if self.action != self.Action.LANGUAGE and self.target_language_id is not None:
            raise ValidationError(
                {"target_language": _("Only a language switch has a target language.")}, code="target_not_allowed"
            )
        duplicate = Keyword.objects.filter(normalized=self.normalized, language_id=self.language_id)
        if self.language_id and duplicate.exclude(pk=self.pk).exists():
            raise ValidationError(
                {"word": _("This language already has this keyword (ignoring case and accents).")},
                code="duplicate",
            )


class TextDraft(models.Model):
    """A proposed text for one translation: pending until a clinician approves or returns it.

    Approving copies it into the TopicTranslation (the published text); nothing that sends
    reads this table.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting review")
        APPROVED = "approved", _("approved and published")
        RETURNED = "returned", _("sent back")
        SUPERSEDED = "superseded", _("replaced by a later draft")

    translation = models.ForeignKey(
        TopicTranslation, on_delete=models.CASCADE, related_name="drafts", verbose_name=_("translation")
    )
    sms_text = models.TextField(_("SMS text"), validators=[MaxLengthValidator(SMS_MAX_CHARACTERS)])
    voice_text = models.TextField(_("voice text"), blank=True)
    voice_label = models.CharField(_("phone menu label"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # No author: written by the system (the seeded leaflet texts, or a re-review a new source
    # version asked for).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    comment = models.TextField(_("review comment"), blank=True)
    note = models.CharField(_("why"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The four-eyes rule, held by the database whatever the code above it does.
            models.CheckConstraint(
                condition=models.Q(reviewer__isnull=True)
                | models.Q(author__isnull=True)
                | ~models.Q(reviewer=models.F("author")),
                name="draft_reviewer_is_not_its_author",
            ),
            models.UniqueConstraint(
                fields=["translation"], condition=models.Q(status="pending"), name="one_pending_draft_per_translation"
            ),
        ]
        permissions = [("approve_textdraft", _("Can approve texts"))]
        verbose_name = _("text awaiting review")
        verbose_name_plural = _("texts awaiting review")

    def __str__(self) -> str:
        return f"{self.translation} ({self.get_status_display()})"


class Source(models.Model):
    """One version of the document the advice renders (the leaflet), with its full text."""

    title = models.CharField(_("title"), max_length=200)
    publisher = models.CharField(_("publisher"), max_length=100)
    version = models.PositiveSmallIntegerField(_("version"))
    guide_year = models.PositiveSmallIntegerField(_("guide year"), null=True, blank=True)
    updated_on = models.DateField(_("updated on"), null=True, blank=True)
    adapted_on = models.DateField(_("adapted to Belgium on"), null=True, blank=True)
    full_text = models.TextField(_("full text"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    registered_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        ordering = ["title", "-version"]
        constraints = [models.UniqueConstraint(fields=["title", "version"], name="one_source_per_title_and_version")]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return f"{self.title} v{self.version} ({self.publisher})"


class Passage(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="passages", verbose_name=_("source"))
    position = models.PositiveSmallIntegerField(_("position"))
    heading = models.CharField(_("heading"), max_length=200, blank=True)
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["source", "position"]
        constraints = [models.UniqueConstraint(fields=["source", "position"], name="one_passage_per_position")]
        verbose_name = _("passage")
        verbose_name_plural = _("passages")

    def __str__(self) -> str:
        return f"{self.source.title} v{self.source.version} §{self.position}: {self.text[:60]}"
