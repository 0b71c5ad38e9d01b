"""FORGET: the keywords that erase everything about a number, and their one confirmation.

Whole message only in every language (a control action: never from a typo or a plural, never
from a word inside a sentence). The confirmation says only that the number and messages are
erased, and that nothing more comes unless the person texts again; within 2 SMS segments in
GSM-7 in each language (no character forces UCS-2).
"""

import re
import unicodedata

from django.db import migrations, models

SOURCE = (
    "Service message, not from the leaflet: the confirmation of an erasure on request (GDPR Art. 17), "
    "sent once before the number is erased."
)
FORGOTTEN = {
    "en": "Your number and your messages are erased from our service. You will get nothing more from us "
    "unless you text us again.",
    "nl": "Uw nummer en uw berichten zijn gewist uit onze dienst. U krijgt niets meer van ons, tenzij u ons "
    "opnieuw een bericht stuurt.",
    "fr": "Votre numéro et vos messages sont effacés de notre service. Vous ne recevrez plus rien de notre "
    "part, sauf si vous nous écrivez à nouveau.",
    "de": "Ihre Nummer und Ihre Nachrichten sind aus unserem Dienst gelöscht. Sie erhalten nichts mehr von "
    "uns, außer Sie schreiben uns erneut.",
}
KEYWORDS = {
    "en": ["FORGET"],
    "nl": ["VERGEET MIJ", "WIS MIJN GEGEVENS"],
    "fr": ["OUBLIEZ-MOI", "EFFACER"],
    "de": ["VERGISS MICH", "LÖSCHEN"],
}


def _normalize(word: str) -> str:
    # Frozen copy of advice.text.normalize_text as it was when this migration was written.
    folded = unicodedata.normalize("NFKD", word.casefold())
    without_accents = "".join(char for char in folded if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]+", " ", without_accents).strip()


def load(apps, schema_editor):
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    Keyword = apps.get_model("advice", "Keyword")
    Language = apps.get_model("advice", "Language")
    languages = set(Language.objects.values_list("code", flat=True))
    topic, _created = Topic.objects.get_or_create(
        slug="forgotten",
        defaults={"kind": "system", "name": "Erased on request (FORGET)", "source": SOURCE, "position": 90},
    )
    for language, text in FORGOTTEN.items():
        if language in languages:
            TopicTranslation.objects.get_or_create(topic=topic, language_id=language, defaults={"sms_text": text})
    for language, words in KEYWORDS.items():
        if language not in languages:
            continue
        for word in words:
            Keyword.objects.get_or_create(
                normalized=_normalize(word),
                language_id=language,
                defaults={"word": word, "action": "forget", "whole_message_only": True},
            )


def unload(apps, schema_editor):
    apps.get_model("advice", "Keyword").objects.filter(action="forget").delete()
    apps.get_model("advice", "Topic").objects.filter(slug="forgotten").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("advice", "0010_seed_governance"),
    ]

    operations = [
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
                ],
                default="topic",
                max_length=10,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(load, unload),
    ]
