"""Reminder content in Dutch, French, German and English: keywords, replies, rotating texts.

The reminder texts and the heat advisory say only what the leaflet's prevention passage
says: "You can prevent muscle cramps in your legs by drinking enough to be properly
hydrated. It is advisable to reduce the consumption of alcohol and caffeine. In case of
intense efforts and very high temperatures, it is also advisable to add salt and sugar to
the water." and its stretching advice. Their wording follows the `prevention` and `cramp`
topics of 0002. Words in braces are filled in when sent.

The menu gains a line for reminders, only where it still has the text 0002 gave it (an
admin's edit is kept).

This migration is frozen: later content changes are made in the admin or in new migrations.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import migrations

REMINDER_TOPICS = [
    {
        "slug": "reminder-drink",
        "name": "Reminder: drink enough",
        "source": "You can prevent muscle cramps in your legs by drinking enough to be properly hydrated.",
        "sms": {
            "en": "Reminder: you can prevent leg cramps by drinking enough to stay well hydrated.",
            "nl": "Herinnering: u kunt beenkrampen voorkomen door voldoende te drinken, zodat u goed "
            "gehydrateerd bent.",
            "fr": "Rappel : vous pouvez prévenir les crampes aux jambes en buvant suffisamment pour bien vous "
            "hydrater.",
            "de": "Erinnerung: Sie können Beinkrämpfen vorbeugen, indem Sie genug trinken, um ausreichend mit "
            "Flüssigkeit versorgt zu sein.",
        },
    },
    {
        "slug": "reminder-alcohol-caffeine",
        "name": "Reminder: less alcohol and caffeine",
        "source": "It is advisable to reduce the consumption of alcohol and caffeine.",
        "sms": {
            "en": "Reminder: to prevent leg cramps, it is advisable to drink less alcohol and caffeine.",
            "nl": "Herinnering: om beenkrampen te voorkomen is het aangeraden minder alcohol en cafeïne te gebruiken.",
            "fr": "Rappel : pour prévenir les crampes aux jambes, il est conseillé de réduire la consommation "
            "d'alcool et de caféine.",
            "de": "Erinnerung: Um Beinkrämpfen vorzubeugen, ist es ratsam, weniger Alkohol und Koffein zu sich "
            "zu nehmen.",
        },
    },
    {
        "slug": "reminder-salt-sugar",
        "name": "Reminder: salt and sugar in heat or intense effort",
        "source": "In case of intense efforts and very high temperatures, it is also advisable to add salt and "
        "sugar to the water.",
        "sms": {
            "en": "Reminder: during intense effort and at very high temperatures, it is advisable to add salt and "
            "sugar to the water.",
            "nl": "Herinnering: bij zware inspanningen en zeer hoge temperaturen is het aangeraden zout en suiker "
            "aan het water toe te voegen.",
            "fr": "Rappel : en cas d'efforts intenses et de températures très élevées, il est conseillé d'ajouter "
            "du sel et du sucre à l'eau.",
            "de": "Erinnerung: Bei starker Anstrengung und sehr hohen Temperaturen ist es ratsam, dem Wasser Salz "
            "und Zucker zuzusetzen.",
        },
    },
    {
        "slug": "reminder-stretch",
        "name": "Reminder: stretch if a cramp comes",
        "source": "You can relax the contracted muscle by stretching it.",
        "sms": {
            "en": "Reminder: if a cramp comes, you can relax the muscle by stretching it. Text CRAMP to see how.",
            "nl": "Herinnering: krijgt u kramp, dan kunt u de spier ontspannen door ze te rekken. Stuur KRAMP om "
            "te zien hoe.",
            "fr": "Rappel : en cas de crampe, vous pouvez détendre le muscle en l'étirant. Envoyez CRAMPE pour "
            "savoir comment.",
            "de": "Erinnerung: Bei einem Krampf können Sie den Muskel lösen, indem Sie ihn dehnen. Senden Sie "
            "KRAMPF, um zu erfahren, wie.",
        },
    },
]

HEAT = {
    "slug": "heat",
    "name": "Heat and intense effort (advisory)",
    "source": "You can prevent muscle cramps in your legs by drinking enough to be properly hydrated. In case of "
    "intense efforts and very high temperatures, it is also advisable to add salt and sugar to the water.",
    "sms": {
        "en": "Very high temperatures or intense effort: you can prevent leg cramps by drinking enough to stay "
        "well hydrated. In these conditions it is also advisable to add salt and sugar to the water. Text CRAMP "
        "for what to do during a cramp.",
        "nl": "Zeer hoge temperaturen of zware inspanning: u kunt beenkrampen voorkomen door voldoende te "
        "drinken, zodat u goed gehydrateerd bent. In die omstandigheden is het ook aangeraden zout en suiker aan "
        "het water toe te voegen. Stuur KRAMP voor wat te doen bij kramp.",
        "fr": "Températures très élevées ou efforts intenses : vous pouvez prévenir les crampes aux jambes en "
        "buvant suffisamment pour bien vous hydrater. Dans ces conditions, il est aussi conseillé d'ajouter du "
        "sel et du sucre à l'eau. Envoyez CRAMPE pour savoir que faire en cas de crampe.",
        "de": "Sehr hohe Temperaturen oder starke Anstrengung: Sie können Beinkrämpfen vorbeugen, indem Sie "
        "genug trinken, um ausreichend mit Flüssigkeit versorgt zu sein. Unter diesen Bedingungen ist es "
        "außerdem ratsam, dem Wasser Salz und Zucker zuzusetzen. Senden Sie KRAMPF für Hilfe bei einem Krampf.",
    },
    "keywords": {"en": ["HEAT"], "nl": ["HITTE"], "fr": ["CHALEUR"], "de": ["HITZE"]},
}

SYSTEM_TOPICS = [
    {
        "slug": "reminders-on",
        "name": "Reminders set (REMIND, RESUME): {times} {zone}",
        "sms": {
            "en": "Reminders on: you will get a short reminder at {times} ({zone}). To change the times, text "
            "REMIND and new times, such as REMIND 9 12:30 17. PAUSE to pause, STOP to stop.",
            "nl": "Herinneringen aan: u krijgt een korte herinnering om {times} ({zone}). Andere uren? Stuur "
            "HERINNER en de nieuwe uren, bv. HERINNER 9 12u30 17. PAUZE om te pauzeren, STOP om te stoppen.",
            "fr": "Rappels actifs : vous recevrez un court rappel à {times} ({zone}). Pour changer les heures, "
            "envoyez RAPPEL et les nouvelles heures, p. ex. RAPPEL 9h 12h30 17h. PAUSE pour suspendre, ARRET pour ne plus "
            "rien recevoir.",
            "de": "Erinnerungen aktiv: Sie erhalten um {times} ({zone}) eine kurze Erinnerung. Andere Zeiten? "
            "Senden Sie ERINNERUNG und die neuen Zeiten, z. B. ERINNERUNG 9 12:30 17. PAUSE zum Pausieren, STOPP zum "
            "Beenden.",
        },
    },
    {
        "slug": "reminders-none",
        "name": "No reminders to pause or resume: {times}",
        "sms": {
            "en": "You have no reminders. Text REMIND to get one at {times}, or REMIND and your own times.",
            "nl": "U hebt geen herinneringen. Stuur HERINNER voor een herinnering om {times}, of HERINNER en uw "
            "eigen uren.",
            "fr": "Vous n'avez pas de rappels. Envoyez RAPPEL pour un rappel à {times}, ou RAPPEL et vos propres "
            "heures.",
            "de": "Sie haben keine Erinnerungen. Senden Sie ERINNERUNG für eine Erinnerung um {times}, oder "
            "ERINNERUNG und Ihre eigenen Zeiten.",
        },
    },
    {
        "slug": "reminders-unreadable",
        "name": "Reminder times not understood: {input}",
        "sms": {
            "en": "Sorry, {input} is not a time of day I understand. Text REMIND and the times, such as REMIND 9 12:30 17.",
            "nl": "Sorry, {input} is geen uur dat ik begrijp. Stuur HERINNER en de uren, bv. HERINNER 9 12u30 17.",
            "fr": "Désolé, {input} n'est pas une heure que je comprends. Envoyez RAPPEL et les heures, p. ex. "
            "RAPPEL 9h 12h30 17h.",
            "de": "Entschuldigung, {input} ist keine Uhrzeit, die ich verstehe. Senden Sie ERINNERUNG und die "
            "Zeiten, z. B. ERINNERUNG 9 12:30 17.",
        },
    },
    {
        "slug": "reminders-quiet",
        "name": "Reminder times in the quiet hours: {input} {start} {end}",
        "sms": {
            "en": "No reminders are sent between {start} and {end}, so {input} cannot be used. Text REMIND and other times, "
            "such as REMIND 9 12:30 17.",
            "nl": "Tussen {start} en {end} worden geen herinneringen verstuurd, dus {input} kan niet. Stuur HERINNER en "
            "andere uren, bv. HERINNER 9 12u30 17.",
            "fr": "Aucun rappel n'est envoyé entre {start} et {end}, donc {input} n'est pas possible. Envoyez RAPPEL et "
            "d'autres heures, p. ex. RAPPEL 9h 12h30 17h.",
            "de": "Zwischen {start} und {end} werden keine Erinnerungen gesendet, daher ist {input} nicht möglich. Senden "
            "Sie ERINNERUNG und andere Zeiten, z. B. ERINNERUNG 9 12:30 17.",
        },
    },
    {
        "slug": "reminders-too-many",
        "name": "Too many reminder times: {max}",
        "sms": {
            "en": "At most {max} reminders a day. Text REMIND and up to {max} times, such as REMIND 9 12:30 17.",
            "nl": "Hoogstens {max} herinneringen per dag. Stuur HERINNER en tot {max} uren, bv. HERINNER 9 12u30 17.",
            "fr": "Au plus {max} rappels par jour. Envoyez RAPPEL et jusqu'à {max} heures, p. ex. RAPPEL 9h 12h30 17h.",
            "de": "Höchstens {max} Erinnerungen pro Tag. Senden Sie ERINNERUNG und bis zu {max} Zeiten, z. B. "
            "ERINNERUNG 9 12:30 17.",
        },
    },
    {
        "slug": "reminders-paused",
        "name": "Reminders paused (PAUSE)",
        "sms": {
            "en": "Reminders paused. Text RESUME to get them again.",
            "nl": "Herinneringen gepauzeerd. Stuur HERVAT om ze opnieuw te krijgen.",
            "fr": "Rappels suspendus. Envoyez REPRISE pour les recevoir à nouveau.",
            "de": "Erinnerungen pausiert. Senden Sie WEITER, um sie wieder zu erhalten.",
        },
    },
    {
        "slug": "reminders-paused-until",
        "name": "Reminders paused for some days (PAUSE 7): {date}",
        "sms": {
            "en": "Reminders paused until {date}. Text RESUME to get them sooner.",
            "nl": "Herinneringen gepauzeerd tot {date}. Stuur HERVAT om ze eerder te krijgen.",
            "fr": "Rappels suspendus jusqu'au {date}. Envoyez REPRISE pour les reprendre dès maintenant.",
            "de": "Erinnerungen pausiert bis {date}. Senden Sie WEITER, um sie früher zu erhalten.",
        },
    },
]

KEYWORDS = {
    "remind": {
        "en": ["REMIND", "REMINDER", "REMIND ME"],
        "nl": ["HERINNER", "HERINNERING", "HERINNER MIJ"],
        "fr": ["RAPPEL", "RAPPELLE MOI"],
        "de": ["ERINNERUNG", "ERINNERE MICH"],
    },
    "pause": {"en": ["PAUSE"], "nl": ["PAUZE", "PAUZEER"], "fr": ["PAUSE"], "de": ["PAUSE"]},
    "resume": {
        "en": ["RESUME"],
        "nl": ["HERVAT", "HERVATTEN"],
        "fr": ["REPRISE"],
        "de": ["WEITER", "FORTSETZEN"],
    },
}

MENU_LINES = {
    "en": ("SOURCE - where this advice comes from\n", "REMIND - reminders to drink\n"),
    "nl": ("BRON - waar dit advies vandaan komt\n", "HERINNER - herinneringen om te drinken\n"),
    "fr": ("SOURCE - d'où viennent ces conseils\n", "RAPPEL - rappels pour boire\n"),
    "de": ("QUELLE - woher diese Ratschläge stammen\n", "ERINNERUNG - Trink-Erinnerungen\n"),
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

    def topic(spec, kind, position):
        made, _ = Topic.objects.update_or_create(
            slug=spec["slug"],
            defaults={"kind": kind, "name": spec["name"], "position": position, "source": spec.get("source", "")},
        )
        for language, text in spec["sms"].items():
            if language in languages:
                TopicTranslation.objects.update_or_create(topic=made, language_id=language, defaults={"sms_text": text})
        return made

    def keyword(word, language, action, topic=None):
        if language in languages:
            Keyword.objects.get_or_create(
                normalized=_normalize(word),
                language_id=language,
                defaults={"word": word, "action": action, "topic": topic},
            )

    for position, spec in enumerate(REMINDER_TOPICS, start=1):
        topic(spec, "reminder", position)
    heat = topic(HEAT, "advice", 8)
    for language, words in HEAT["keywords"].items():
        for word in words:
            keyword(word, language, "topic", heat)
    for position, spec in enumerate(SYSTEM_TOPICS, start=5):
        topic(spec, "system", position)
    for action, by_language in KEYWORDS.items():
        for language, words in by_language.items():
            for word in words:
                keyword(word, language, action)
    for language, (after, line) in MENU_LINES.items():
        menu = TopicTranslation.objects.filter(topic__slug="menu", language_id=language).first()
        if menu and after in menu.sms_text and line not in menu.sms_text:
            menu.sms_text = menu.sms_text.replace(after, after + line)
            menu.save(update_fields=["sms_text"])


def unload(apps, schema_editor):
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    apps.get_model("advice", "Keyword").objects.filter(action__in=list(KEYWORDS)).delete()
    slugs = [spec["slug"] for spec in [*REMINDER_TOPICS, HEAT, *SYSTEM_TOPICS]]
    Topic.objects.filter(slug__in=slugs).delete()
    for language, (_after, line) in MENU_LINES.items():
        menu = TopicTranslation.objects.filter(topic__slug="menu", language_id=language).first()
        if menu and line in menu.sms_text:
            menu.sms_text = menu.sms_text.replace(line, "")
            menu.save(update_fields=["sms_text"])


class Migration(migrations.Migration):
    dependencies = [("advice", "0003_reminder_kinds")]

    operations = [migrations.RunPython(load, unload)]
