"""Reminder calls (issue 11): the words that choose how reminders go out, and the confirmation
of reminder calls.

- Keywords (actions `by-call` and `by-sms`), read only after a reminder word: `REMIND CALL
  9:30`, `HERINNER BEL 9u30`, `RAPPEL APPEL 9h30`, `ERINNERUNG ANRUF 9:30` (and natural
  variants: `REMIND ME BY PHONE`, `HERINNER MIJ TELEFONISCH`, `RAPPEL PAR TÉLÉPHONE`,
  `ERINNERE MICH PER TELEFON`) set calls; `REMIND SMS`, `HERINNER SMS`, `RAPPEL SMS`,
  `ERINNERUNG SMS` (or TEXT, TEXTO, NACHRICHT...) go back to texts. Exact words only, as
  every control word (the plurals people text are words of their own); alone, or anywhere
  but after a reminder word, they mean nothing.
- `reminders-on-call` ({times} {zone}): the confirmation of reminder calls, as `reminders-on`
  is for texts, saying the channel, the times and the zone, and how to go back to texts. It
  carries the storage line; with it, at its worst (six times, the longest zone), within two
  GSM-7 segments in each language (tests/test_content_budget.py). Its voice text is empty:
  it is a text message.

- Voice prompts (system topics, spoken only; the SMS text repeats the voice text as 0014's):
  `voice-reminder-options` and `voice-reminder-stopped` on a reminder call (1 hear it again,
  2 stop reminder calls, confirmed), and the phone menu's 8: the setting
  (`voice-reminder-setting-calls`, `-texts`, `-none`), the choices (`voice-reminder-menu`: 1
  calls at your times, four digits for one time, 3 texts, 0 the menu) and each confirmation
  (`voice-reminder-calls-on`, `voice-reminder-texts-on`, `voice-reminder-time-refused`). Numbers
  as words, no symbols, French says "SMS" as 0014 does.

A word some language already has (as another keyword) is left as it is. Governance as 0010:
every text written here is recorded as approved by the system, with a history version.
Reversing removes the keywords and the topic.
"""

import re
import unicodedata

from django.db import migrations, models
from django.utils import timezone

REVIEW_YEARS = 3
WHY = "Reminder calls (issue 11): seeded confirmation"
SLUG = "reminders-on-call"
NAME = "Reminder calls on: the times and the zone ({times} {zone})"
SOURCE = "Service message, not from the leaflet: the confirmation that reminders come as phone calls."
CONFIRMATION = {
    "en": (
        "Reminder calls on: we will call you at {times} ({zone}) with a short reminder. Other times? Text "
        "REMIND CALL and the times. REMIND SMS for texts instead. STOP to stop."
    ),
    "nl": (
        "Herinneringen per telefoon: we bellen u om {times} ({zone}) met een korte herinnering. Andere uren? "
        "Stuur HERINNER BEL en de uren. HERINNER SMS voor sms. STOP om te stoppen."
    ),
    "fr": (
        "Rappels par appel : nous vous appellerons à {times} ({zone}) pour un court rappel. Autres heures ? "
        "Envoyez RAPPEL APPEL et les heures. RAPPEL SMS pour des SMS. STOP pour tout stopper."
    ),
    "de": (
        "Erinnerungsanrufe an: Wir rufen Sie um {times} ({zone}) kurz an. Andere Zeiten? Senden Sie "
        "ERINNERUNG ANRUF und die Zeiten. ERINNERUNG SMS für SMS. STOP beendet alles."
    ),
}
# Spoken on reminder calls, never texted (the SMS text repeats the voice text, as 0014's prompts).
PROMPT_SOURCE = "Voice prompt, not from the leaflet: spoken on calls, never texted."
PROMPTS = {
    "voice-reminder-options": (
        "Voice: after a reminder call's reminder (1 again, 2 stop reminder calls)",
        {
            "en": "To hear this reminder again, press one. To stop reminder calls, press two.",
            "nl": "Om deze herinnering opnieuw te horen, druk op één. Om de herinneringsoproepen te stoppen, "
            "druk op twee.",
            "fr": "Pour réécouter ce rappel, tapez un. Pour arrêter les appels de rappel, tapez deux.",
            "de": "Um diese Erinnerung noch einmal zu hören, drücken Sie die Eins. Um die Erinnerungsanrufe zu "
            "beenden, drücken Sie die Zwei.",
        },
    ),
    "voice-reminder-stopped": (
        "Voice: reminder calls stopped (2 on a reminder call)",
        {
            "en": "Your reminder calls are stopped. Nothing else changes. Goodbye.",
            "nl": "Uw herinneringsoproepen zijn gestopt. Verder verandert er niets. Tot ziens.",
            "fr": "Vos appels de rappel sont arrêtés. Rien d'autre ne change. Au revoir.",
            "de": "Ihre Erinnerungsanrufe sind beendet. Sonst ändert sich nichts. Auf Wiederhören.",
        },
    ),
    # The phone menu's 8.
    "voice-reminder-setting-calls": (
        "Voice: menu 8, the setting: reminder calls ({times})",
        {
            "en": "You get a reminder call at {times}.",
            "nl": "U krijgt een herinneringsoproep om {times}.",
            "fr": "Vous recevez un appel de rappel à {times}.",
            "de": "Sie erhalten einen Erinnerungsanruf um {times}.",
        },
    ),
    "voice-reminder-setting-texts": (
        "Voice: menu 8, the setting: text reminders ({times})",
        {
            "en": "You get a reminder by text message at {times}.",
            "nl": "U krijgt een herinnering per tekstbericht om {times}.",
            "fr": "Vous recevez un rappel par SMS à {times}.",
            "de": "Sie erhalten eine Erinnerung als Textnachricht um {times}.",
        },
    ),
    "voice-reminder-setting-none": (
        "Voice: menu 8, the setting: no reminders",
        {
            "en": "You have no reminders.",
            "nl": "U hebt geen herinneringen.",
            "fr": "Vous n'avez pas de rappels.",
            "de": "Sie haben keine Erinnerungen.",
        },
    ),
    "voice-reminder-menu": (
        "Voice: menu 8, the choices (1 calls, four digits one time, 3 texts, 0 the menu)",
        {
            "en": "For reminder calls at your times, press one. To choose one time, type it as four digits, "
            "for example zero nine three zero for half past nine. To get your reminders as text messages, "
            "press three. To go back to the menu, press zero.",
            "nl": "Voor herinneringsoproepen op uw uren, druk op één. Om één uur te kiezen, toets het als vier "
            "cijfers, bijvoorbeeld nul negen drie nul voor half tien. Om uw herinneringen als tekstbericht te "
            "krijgen, druk op drie. Om terug te gaan naar het menu, druk op nul.",
            "fr": "Pour des appels de rappel à vos heures, tapez un. Pour choisir une heure, tapez-la en quatre "
            "chiffres, par exemple zéro neuf trois zéro pour neuf heures trente. Pour recevoir vos rappels par "
            "SMS, tapez trois. Pour revenir au menu, tapez zéro.",
            "de": "Für Erinnerungsanrufe zu Ihren Zeiten drücken Sie die Eins. Um eine Uhrzeit zu wählen, geben "
            "Sie sie mit vier Ziffern ein, zum Beispiel null neun drei null für halb zehn. Für Erinnerungen als "
            "Textnachricht drücken Sie die Drei. Um zum Menü zurückzukehren, drücken Sie die Null.",
        },
    ),
    "voice-reminder-calls-on": (
        "Voice: menu 8, reminder calls set ({times})",
        {
            "en": "Done. We will call you with a short reminder at {times}.",
            "nl": "Gedaan. We bellen u met een korte herinnering om {times}.",
            "fr": "C'est fait. Nous vous appellerons pour un court rappel à {times}.",
            "de": "Erledigt. Wir rufen Sie um {times} für eine kurze Erinnerung an.",
        },
    ),
    "voice-reminder-texts-on": (
        "Voice: menu 8, text reminders again ({times})",
        {
            "en": "Done. Your reminders come as text messages again, at {times}.",
            "nl": "Gedaan. Uw herinneringen komen weer als tekstbericht, om {times}.",
            "fr": "C'est fait. Vos rappels arrivent de nouveau par SMS, à {times}.",
            "de": "Erledigt. Ihre Erinnerungen kommen wieder als Textnachricht, um {times}.",
        },
    ),
    "voice-reminder-time-refused": (
        "Voice: menu 8, a time that cannot be used ({end} {start}: outside the quiet hours)",
        {
            "en": "That time cannot be used. Choose a time between {end} and {start}.",
            "nl": "Dat uur kan niet. Kies een uur tussen {end} en {start}.",
            "fr": "Cette heure n'est pas possible. Choisissez une heure entre {end} et {start}.",
            "de": "Diese Uhrzeit geht nicht. Wählen Sie eine Zeit zwischen {end} und {start}.",
        },
    ),
}
KEYWORDS = {
    "by-call": {
        "en": ["CALL", "CALLS", "PHONE", "PHONE CALL", "PHONE CALLS", "VOICE", "RING"],
        "nl": ["BEL", "BELLEN", "BELLETJE", "TELEFOON", "TELEFONISCH", "OPROEP", "OPROEPEN"],
        "fr": ["APPEL", "APPELS", "APPELER", "APPELEZ", "TÉLÉPHONE", "COUP DE FIL"],
        "de": ["ANRUF", "ANRUFE", "ANRUFEN", "TELEFON", "TELEFONISCH"],
    },
    "by-sms": {
        "en": ["SMS", "TEXT", "TEXTS", "MESSAGE", "MESSAGES"],
        "nl": ["SMS", "SMSJE", "SMSEN", "BERICHT", "BERICHTEN", "TEKST"],
        "fr": ["SMS", "TEXTO", "TEXTOS", "MESSAGE", "MESSAGES"],
        "de": ["SMS", "NACHRICHT", "NACHRICHTEN", "TEXT"],
    },
}


def _normalize(word):
    # Frozen copy of advice.text.normalize_text as it was when this migration was written.
    special = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"})
    folded = unicodedata.normalize("NFKD", word.casefold().translate(special))
    without_accents = "".join(char for char in folded if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]+", " ", without_accents).strip()


def _review_due(today):
    try:
        return today.replace(year=today.year + REVIEW_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + REVIEW_YEARS, day=28)


def seed(apps, schema_editor):
    Language = apps.get_model("advice", "Language")
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    TextDraft = apps.get_model("advice", "TextDraft")
    Keyword = apps.get_model("advice", "Keyword")
    HistoricalTopicTranslation = apps.get_model("advice", "HistoricalTopicTranslation")
    languages = set(Language.objects.values_list("code", flat=True))
    now = timezone.now()
    due = _review_due(now.date())

    for action, by_language in KEYWORDS.items():
        for language, words in by_language.items():
            if language not in languages:
                continue
            for word in words:
                Keyword.objects.get_or_create(
                    normalized=_normalize(word), language_id=language, defaults={"word": word, "action": action}
                )

    texts = {SLUG: (NAME, SOURCE, 31, CONFIRMATION, False)}
    for slug, (name, by_language) in PROMPTS.items():
        texts[slug] = (name, PROMPT_SOURCE, 100, by_language, True)
    for slug, (name, source, position, by_language, spoken) in texts.items():
        topic, _created = Topic.objects.get_or_create(
            slug=slug, defaults={"kind": "system", "name": name, "source": source, "position": position}
        )
        for language, text in by_language.items():
            if language in languages:
                _seed_text(
                    topic,
                    language,
                    text,
                    spoken,
                    now=now,
                    due=due,
                    models=(TopicTranslation, TextDraft, HistoricalTopicTranslation),
                )
    if schema_editor.connection.vendor == "postgresql":
        # Foreign keys are checked at commit otherwise: the schema change below would find
        # "pending trigger events" (as 0014).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _seed_text(topic, language, text, spoken, *, now, due, models):
    """One translation, recorded as approved by the system with a history version (as 0010)."""
    TopicTranslation, TextDraft, HistoricalTopicTranslation = models
    voice_text = text if spoken else ""
    translation, created = TopicTranslation.objects.get_or_create(
        topic=topic,
        language_id=language,
        defaults={"sms_text": text, "voice_text": voice_text, "review_due": due, "needs_review": False},
    )
    if created:
        TextDraft.objects.create(
            translation=translation,
            sms_text=text,
            voice_text=voice_text,
            status="approved",
            author=None,
            reviewer=None,
            reviewed_at=now,
            note=WHY,
        )
        HistoricalTopicTranslation.objects.create(
            id=translation.pk,
            topic_id=topic.pk,
            language_id=language,
            sms_text=text,
            voice_text=voice_text,
            voice_label="",
            updated_at=translation.updated_at,
            needs_review=False,
            review_due=due,
            history_date=now,
            history_type="+",
            history_change_reason=WHY,
        )


def unseed(apps, schema_editor):
    apps.get_model("advice", "Keyword").objects.filter(action__in=list(KEYWORDS)).delete()
    apps.get_model("advice", "TextDraft").objects.filter(note=WHY).delete()
    apps.get_model("advice", "HistoricalTopicTranslation").objects.filter(history_change_reason=WHY).delete()
    apps.get_model("advice", "Topic").objects.filter(slug__in=[SLUG, *PROMPTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("advice", "0014_voice_content"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalkeyword",
            name="action",
            field=models.CharField(
                choices=[
                    ("topic", "reply with a topic"),
                    ("menu", "reply with the menu"),
                    ("stop", "stop all messages"),
                    ("start", "start messages again"),
                    ("language", "switch language"),
                    ("remind", "set reminder times"),
                    ("pause", "pause reminders"),
                    ("resume", "resume reminders"),
                    ("forget", "erase everything about the number"),
                    ("by-call", "reminders by phone call (after a reminder word)"),
                    ("by-sms", "reminders by text message (after a reminder word)"),
                ],
                default="topic",
                max_length=10,
                verbose_name="action",
            ),
        ),
        migrations.AlterField(
            model_name="keyword",
            name="action",
            field=models.CharField(
                choices=[
                    ("topic", "reply with a topic"),
                    ("menu", "reply with the menu"),
                    ("stop", "stop all messages"),
                    ("start", "start messages again"),
                    ("language", "switch language"),
                    ("remind", "set reminder times"),
                    ("pause", "pause reminders"),
                    ("resume", "resume reminders"),
                    ("forget", "erase everything about the number"),
                    ("by-call", "reminders by phone call (after a reminder word)"),
                    ("by-sms", "reminders by text message (after a reminder word)"),
                ],
                default="topic",
                max_length=10,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
