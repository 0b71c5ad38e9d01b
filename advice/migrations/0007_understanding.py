"""Understanding people as they type: a general topic, whole-message-only words, natural words.

- The cramp topic is the general one: its keywords name the service's subject, so a message
  that also names another topic ("how to prevent leg cramps") gets that topic.
- Words that are everyday words in another language count only as the whole message:
  QUELLE (German for source, French for which), SOURCE and BRON (the source of the advice,
  not of a cramp), and INFO.
- Words people text that the first seed lacked (a review of real-world messages), and the
  plurals of the reminder words, which are control words and so never matched as variants.

Only adds and flags; an admin's own keywords are left as they are.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import migrations, models

NEW_TOPIC_KEYWORDS = {
    "cramp": {
        "nl": ["SPIERKRAMP", "NACHTKRAMP", "KUIT"],
        "fr": ["MOLLET"],
        "de": ["MUSKELKRAMPF", "WADE"],
        "en": ["CALF"],
    },
    "doctor": {"nl": ["HUISDOKTER"], "fr": ["GÉNÉRALISTE"], "de": ["HAUSARZT"]},
    "prevention": {"nl": ["VERMIJDEN"], "fr": ["ÉVITER"], "de": ["VERMEIDEN"], "en": ["AVOID"]},
    "heat": {"fr": ["CANICULE"], "en": ["HOT"]},
}
NEW_REMIND_KEYWORDS = {
    "en": ["REMINDERS"],
    "nl": ["HERINNERINGEN"],
    "fr": ["RAPPELS", "RAPPELEZ-MOI"],
    "de": ["ERINNERUNGEN", "ERINNERN"],
}
WHOLE_MESSAGE_ONLY = {
    "de": ["QUELLE", "INFO"],
    "fr": ["SOURCE", "INFO"],
    "en": ["SOURCE", "INFO"],
    "nl": ["BRON", "INFO"],
}
GENERAL_TOPIC = "cramp"


def _normalize(word: str) -> str:
    # Frozen copy of advice.text.normalize_text as it was when this migration was written.
    special = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"})
    folded = unicodedata.normalize("NFKD", word.casefold().translate(special))
    without_accents = "".join(char for char in folded if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]+", " ", without_accents).strip()


def _added(apps):
    Topic = apps.get_model("advice", "Topic")
    languages = set(apps.get_model("advice", "Language").objects.values_list("code", flat=True))
    for slug, by_language in NEW_TOPIC_KEYWORDS.items():
        topic = Topic.objects.filter(slug=slug).first()
        if topic is None:
            continue
        for language, words in by_language.items():
            for word in words:
                if language in languages:
                    yield word, language, "topic", topic
    for language, words in NEW_REMIND_KEYWORDS.items():
        for word in words:
            if language in languages:
                yield word, language, "remind", None


def load(apps, schema_editor):
    Topic = apps.get_model("advice", "Topic")
    Keyword = apps.get_model("advice", "Keyword")
    Topic.objects.filter(slug=GENERAL_TOPIC).update(general=True)
    for word, language, action, topic in _added(apps):
        Keyword.objects.get_or_create(
            normalized=_normalize(word),
            language_id=language,
            defaults={"word": word, "action": action, "topic": topic},
        )
    for language, words in WHOLE_MESSAGE_ONLY.items():
        Keyword.objects.filter(language_id=language, normalized__in=[_normalize(w) for w in words]).update(
            whole_message_only=True
        )


def unload(apps, schema_editor):
    Keyword = apps.get_model("advice", "Keyword")
    for word, language, action, _topic in _added(apps):
        Keyword.objects.filter(normalized=_normalize(word), language_id=language, action=action).delete()


class Migration(migrations.Migration):
    dependencies = [("advice", "0006_clinical_corrections")]

    operations = [
        migrations.AddField(
            model_name="topic",
            name="general",
            field=models.BooleanField(
                default=False,
                help_text="Its keywords name the service's subject (KRAMP, CRAMP): a message that also names another "
                "topic, such as 'how to prevent cramps', gets that topic instead.",
                verbose_name="general topic",
            ),
        ),
        migrations.RunPython(load, unload),
    ]
