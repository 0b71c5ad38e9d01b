"""The storage line (issue 12): a new system topic `privacy-notice`, and the texts shortened so
that every reply that can carry it stays within its SMS budget with it.

"We store your number. Text FORGET to erase it." goes, on a line of its own, under the first
reply to a new contact and under every reminder confirmation (messaging.privacy_notice).
Each language names its own FORGET keyword (0011: FORGET, VERGEET MIJ, OUBLIEZ-MOI, VERGISS
MICH); GSM-7 only; no health word. tests/test_content_budget.py measures every text that
can carry it with it: advice at most 3 segments, the menu 2, other service messages 2.

Where a text had no room left it is shortened, never in meaning (each change re-read
against the leaflet, ../shared/seed/leg-cramps-leaflet.txt; the hedges "zouden",
"souffriraient", "sollen", "kan", "best", "notamment" and the condition "intense effort
AND very high temperatures" are all kept):
- menu (four languages): SOURCE and EXAM without their explanation (the words say it); the
  Dutch and German headings shortened as the French one already was; FR DÉFINITION's.
- cramp DE: the two steps as instructions in the infinitive ("Gewicht auf das betroffene
  Bein verlagern und das Knie beugen, ...", "Im Bett die Zehen zu sich heranziehen").
- about NL/FR/DE: the same facts in fewer words (FR "Crampes aux jambes : contractions...",
  "muscle dur, douloureux, inutilisable"; DE "jedes Alter, vor allem Ältere", "besonders
  Schwangere"; NL "Meestal gaat de kramp vanzelf over", "vooral bij zwangerschap").
- causes FR/DE: the heading without "of leg cramps" (the person asked about them); FR
  "diurétiques (qui font uriner)", "médicaments contre le cholestérol".
- prevention NL: "cafeïne" is correct Dutch and costs UCS-2 (67 characters a segment), so
  the text is 150 characters: "Genoeg drinken kan krampen voorkomen. Beperk best alcohol
  en cafeïne. Zware inspanning en zeer hoge temperaturen? Doe best zout en suiker in het water."
  heat NL says the salt sentence in the same words (heat is worded as prevention, issue 7).
- doctor-exam FR: "thyroïde" costs UCS-2 in any spelling: the same list as labels ("Examen
  des jambes : ...", "Prise de sang : notamment sels minéraux, glycémie, thyroïde").
- reminders-on FR: "Autres heures ? Envoyez RAPPEL..." as NL and DE say it.
TEXTS below is the full record, OLD and NEW side by side.

As 0006: each change names OLD (the text exactly as earlier migrations left it) and NEW; a
translation is changed only where it still equals OLD, so an editor's approved edit is kept
(and logged). Reversing puts OLD back only where the text still equals NEW, and removes the
new topic. Governance as 0010: every text this migration writes is recorded as approved by
the system (an approved TextDraft without author or reviewer, a history entry, a review
date), so the topic page and its history show where it came from.
"""

from __future__ import annotations

import datetime
import logging

from django.db import migrations
from django.utils import timezone

logger = logging.getLogger(__name__)

REVIEW_YEARS = 3  # settings.CONTENT_REVIEW_YEARS's default: a migration does not read settings
WHY = "migration 0013 (the storage line): written by the system"
SLUG = "privacy-notice"
NAME = "Your number is stored: how to erase it (first reply, reminder confirmation)"
SOURCE = (
    "Service message, not from the leaflet: one line under the first reply to a new number and under "
    "every reminder confirmation, saying that the number is stored and which word erases it (GDPR Art. 13)."
)
TEXTS = {
    "cramp": {
        "de": (
            (
                "Krampf im Bein? Sie können den verkrampften Muskel lösen, indem Sie ihn dehnen:\n"
                "- Verlagern Sie Ihr Gewicht auf das betroffene Bein und beugen Sie das Knie, um die Wade zu "
                "dehnen.\n"
                "- Im Bett können Sie Ihre Zehen zu sich heranziehen.\n"
                "Sie können den Muskel auch massieren oder massieren lassen.\n"
                "Gehen Sie zu Ihrem Arzt, wenn Sie sehr oft schmerzhafte Krämpfe haben oder diese Ihren Schlaf "
                "stören. Mehr dazu: Senden Sie ARZT."
            ),
            (
                "Krampf im Bein? Sie können den verkrampften Muskel lösen, indem Sie ihn dehnen:\n"
                "- Gewicht auf das betroffene Bein verlagern und das Knie beugen, um die Wade zu dehnen.\n"
                "- Im Bett die Zehen zu sich heranziehen.\n"
                "Sie können den Muskel auch massieren oder massieren lassen.\n"
                "Gehen Sie zu Ihrem Arzt, wenn Sie sehr oft schmerzhafte Krämpfe haben oder diese Ihren Schlaf "
                "stören. Mehr dazu: Senden Sie ARZT."
            ),
        ),
    },
    "about": {
        "nl": (
            (
                "Beenkrampen zijn aanhoudende, pijnlijke samentrekkingen van de beenspieren, meestal van de "
                "kuit, soms van de voet of de dij. Ze treden vaak 's nachts en bij het ontwaken op. Een kramp "
                "begint plots: de spier is hard en pijnlijk en u kunt ze niet gebruiken. Meestal gaat de kramp "
                "vanzelf over. Krampen komen op alle leeftijden voor, maar vooral bij ouderen. Vrouwen zouden er "
                "vaker last van hebben, vooral tijdens de zwangerschap."
            ),
            (
                "Beenkrampen zijn aanhoudende, pijnlijke samentrekkingen van beenspieren, meestal van de kuit, "
                "soms van de voet of de dij. Ze treden vaak 's nachts en bij het ontwaken op. Een kramp begint "
                "plots: de spier is hard en pijnlijk en u kunt ze niet gebruiken. Meestal gaat de kramp vanzelf "
                "over. Ze komen op elke leeftijd voor, vooral bij ouderen. Vrouwen zouden er vaker last van "
                "hebben, vooral bij zwangerschap."
            ),
        ),
        "fr": (
            (
                "Les crampes aux jambes sont des contractions prolongées et douloureuses des muscles, le plus "
                "souvent du mollet, parfois du pied ou de la cuisse. Elles surviennent souvent la nuit et au "
                "réveil. Une crampe commence brusquement : le muscle est dur et douloureux et vous ne pouvez pas "
                "l'utiliser. En général, elle passe spontanément. Elles touchent jeunes et moins jeunes, mais "
                "surtout les seniors. Les femmes, surtout enceintes, en souffriraient plus souvent."
            ),
            (
                "Crampes aux jambes : contractions prolongées et douloureuses des muscles, le plus souvent du "
                "mollet, parfois du pied ou de la cuisse. Elles surviennent brusquement, souvent la nuit et au "
                "réveil. Le muscle est dur, douloureux et inutilisable. En général, elles passent spontanément. "
                "Elles touchent jeunes et moins jeunes, surtout les seniors. Les femmes, surtout enceintes, en "
                "souffriraient plus souvent."
            ),
        ),
        "de": (
            (
                "Beinkrämpfe sind anhaltende, schmerzhafte Verkrampfungen der Beinmuskeln, meist der Wade, "
                "manchmal des Fußes oder Oberschenkels. Sie treten oft nachts und beim Aufwachen auf. Ein Krampf "
                "kommt plötzlich: Der Muskel ist hart und schmerzt, und Sie können ihn nicht benutzen. Meist "
                "vergeht er von selbst. Krämpfe betreffen Menschen jeden Alters, vor allem aber ältere Menschen. "
                "Frauen sollen häufiger betroffen sein, besonders in der Schwangerschaft."
            ),
            (
                "Beinkrämpfe sind anhaltende, schmerzhafte Verkrampfungen der Beinmuskeln, meist der Wade, "
                "manchmal des Fußes oder Oberschenkels. Sie treten oft nachts und beim Aufwachen auf. Ein Krampf "
                "kommt plötzlich: Der Muskel ist hart, schmerzt und lässt sich nicht benutzen. Meist vergeht er "
                "von selbst. Betroffen ist jedes Alter, vor allem Ältere. Frauen sollen öfter betroffen sein, "
                "besonders Schwangere."
            ),
        ),
    },
    "causes": {
        "fr": (
            (
                "Causes possibles des crampes aux jambes :\n"
                "- manque de sodium (composant du sel)\n"
                "- manque d'oxygène dans les muscles (p. ex. effort intense)\n"
                "- mouvement brusque après un long repos\n"
                "- déshydratation\n"
                "- diurétiques (médicaments qui font uriner)\n"
                "- médicaments qui diminuent le cholestérol (statines)\n"
                "- rétention d'eau dans les jambes (oedème)\n"
                "- grossesse\n"
                "- troubles des nerfs de la jambe\n"
                "Mais le plus souvent, aucun facteur déclenchant n'est identifié."
            ),
            (
                "Causes possibles :\n"
                "- manque de sodium (composant du sel)\n"
                "- manque d'oxygène dans les muscles (p. ex. effort intense)\n"
                "- mouvement brusque après un long repos\n"
                "- déshydratation\n"
                "- diurétiques (qui font uriner)\n"
                "- médicaments contre le cholestérol (statines)\n"
                "- rétention d'eau dans les jambes (oedème)\n"
                "- grossesse\n"
                "- troubles des nerfs de la jambe\n"
                "Mais le plus souvent, aucun facteur déclenchant n'est identifié."
            ),
        ),
        "de": (
            (
                "Mögliche Ursachen von Beinkrämpfen:\n"
                "- Natriummangel (Bestandteil von Salz)\n"
                "- Sauerstoffmangel in den Muskeln (z. B. starke Anstrengung)\n"
                "- plötzliche Bewegung nach langer Ruhe\n"
                "- Flüssigkeitsmangel\n"
                "- entwässernde Medikamente (Diuretika)\n"
                "- cholesterinsenkende Medikamente (Statine)\n"
                "- Wassereinlagerungen in den Beinen (Ödeme)\n"
                "- Schwangerschaft\n"
                "- Erkrankungen der Beinnerven\n"
                "Meist wird aber kein Auslöser gefunden."
            ),
            (
                "Mögliche Ursachen:\n"
                "- Natriummangel (Bestandteil von Salz)\n"
                "- Sauerstoffmangel in den Muskeln (z. B. starke Anstrengung)\n"
                "- plötzliche Bewegung nach langer Ruhe\n"
                "- Flüssigkeitsmangel\n"
                "- entwässernde Medikamente (Diuretika)\n"
                "- cholesterinsenkende Medikamente (Statine)\n"
                "- Wassereinlagerungen in den Beinen (Ödeme)\n"
                "- Schwangerschaft\n"
                "- Erkrankungen der Beinnerven\n"
                "Meist wird aber kein Auslöser gefunden."
            ),
        ),
    },
    "prevention": {
        "nl": (
            (
                "U kunt beenkrampen voorkomen door voldoende te drinken. Beperk best alcohol en cafeïne. Bij "
                "zware inspanning en zeer hoge temperaturen is het ook aangeraden zout en suiker aan het water "
                "toe te voegen."
            ),
            (
                "Genoeg drinken kan krampen voorkomen. Beperk best alcohol en cafeïne. Zware inspanning en "
                "zeer hoge temperaturen? Doe best zout en suiker in het water."
            ),
        ),
    },
    "heat": {
        "nl": (
            (
                "U kunt beenkrampen voorkomen door voldoende te drinken. Bij zware inspanning en zeer hoge "
                "temperaturen is het ook aangeraden zout en suiker aan het water toe te voegen. Stuur KRAMP voor "
                "wat te doen bij kramp."
            ),
            (
                "U kunt beenkrampen voorkomen door voldoende te drinken. Zware inspanning en zeer hoge "
                "temperaturen? Doe best zout en suiker in het water. Stuur KRAMP voor wat te doen bij kramp."
            ),
        ),
    },
    "doctor-exam": {
        "fr": (
            (
                "Le médecin examine vos jambes : peau, circulation, douleur à la pression, œdème, varices, état "
                "musculaire. Une prise de sang mesure notamment les sels minéraux, la glycémie et la fonction "
                "thyroïdienne."
            ),
            (
                "Examen des jambes : peau, circulation, douleur à la pression, œdème, varices, muscles. Prise de "
                "sang : notamment sels minéraux, glycémie, thyroïde."
            ),
        ),
    },
    "menu": {
        "nl": (
            (
                "Advies bij beenkrampen. Stuur een woord:\n"
                "KRAMP - wat te doen\n"
                "UITLEG - wat krampen zijn\n"
                "OORZAAK\n"
                "VOORKOMEN\n"
                "HITTE - hitte en inspanning\n"
                "DOKTER - wanneer naar de arts\n"
                "ONDERZOEK - wat de arts onderzoekt\n"
                "MAGNESIUM\n"
                "BRON - bron van dit advies\n"
                "HERINNER - herinneringen\n"
                "STOP - geen berichten meer\n"
                "NL FR DE EN - taal"
            ),
            (
                "Beenkrampen. Stuur een woord:\n"
                "KRAMP - wat te doen\n"
                "UITLEG - wat krampen zijn\n"
                "OORZAAK\n"
                "VOORKOMEN\n"
                "HITTE - hitte en inspanning\n"
                "DOKTER - wanneer naar de arts\n"
                "ONDERZOEK\n"
                "MAGNESIUM\n"
                "BRON\n"
                "HERINNER - herinneringen\n"
                "STOP - geen berichten meer\n"
                "NL FR DE EN - taal"
            ),
        ),
        "fr": (
            (
                "Crampes aux jambes. Envoyez un mot :\n"
                "CRAMPE - que faire\n"
                "DÉFINITION - qu'est-ce qu'une crampe\n"
                "CAUSES\n"
                "PRÉVENTION\n"
                "CHALEUR - chaleur et efforts\n"
                "MÉDECIN - quand consulter\n"
                "EXAMEN - l'examen du médecin\n"
                "MAGNÉSIUM\n"
                "SOURCE - source des conseils\n"
                "RAPPEL - rappels\n"
                "STOP - ne plus rien recevoir\n"
                "NL FR DE EN - langue"
            ),
            (
                "Crampes aux jambes. Envoyez un mot :\n"
                "CRAMPE - que faire\n"
                "DÉFINITION - les crampes\n"
                "CAUSES\n"
                "PRÉVENTION\n"
                "CHALEUR - chaleur et efforts\n"
                "MÉDECIN - quand consulter\n"
                "EXAMEN\n"
                "MAGNÉSIUM\n"
                "SOURCE\n"
                "RAPPEL - rappels\n"
                "STOP - ne plus rien recevoir\n"
                "NL FR DE EN - langue"
            ),
        ),
        "de": (
            (
                "Rat bei Beinkrämpfen. Senden Sie ein Wort:\n"
                "KRAMPF - was tun\n"
                "ERKLÄRUNG - was Krämpfe sind\n"
                "URSACHEN\n"
                "VORBEUGEN\n"
                "HITZE - Hitze und Anstrengung\n"
                "ARZT - wann zum Arzt\n"
                "UNTERSUCHUNG - was der Arzt prüft\n"
                "MAGNESIUM\n"
                "QUELLE - Herkunft der Ratschläge\n"
                "ERINNERUNG\n"
                "STOPP - keine Nachrichten mehr\n"
                "NL FR DE EN - Sprache"
            ),
            (
                "Beinkrämpfe. Senden Sie ein Wort:\n"
                "KRAMPF - was tun\n"
                "ERKLÄRUNG - was Krämpfe sind\n"
                "URSACHEN\n"
                "VORBEUGEN\n"
                "HITZE - Hitze und Anstrengung\n"
                "ARZT - wann zum Arzt\n"
                "UNTERSUCHUNG\n"
                "MAGNESIUM\n"
                "QUELLE\n"
                "ERINNERUNG\n"
                "STOPP - keine Nachrichten mehr\n"
                "NL FR DE EN - Sprache"
            ),
        ),
        "en": (
            (
                "Leg cramp advice. Text a word:\n"
                "CRAMP - what to do now\n"
                "ABOUT - what cramps are\n"
                "CAUSES\n"
                "PREVENT\n"
                "HEAT - heat and effort\n"
                "DOCTOR - when to see a doctor\n"
                "EXAM - what the doctor examines\n"
                "MAGNESIUM\n"
                "SOURCE - where this advice comes from\n"
                "REMIND - reminders\n"
                "STOP - no more messages\n"
                "NL FR DE EN - language"
            ),
            (
                "Leg cramp advice. Text a word:\n"
                "CRAMP - what to do now\n"
                "ABOUT - what cramps are\n"
                "CAUSES\n"
                "PREVENT\n"
                "HEAT - heat and effort\n"
                "DOCTOR - when to see a doctor\n"
                "EXAM - by the doctor\n"
                "MAGNESIUM\n"
                "SOURCE\n"
                "REMIND - reminders\n"
                "STOP - no more messages\n"
                "NL FR DE EN - language"
            ),
        ),
    },
    "reminders-on": {
        "fr": (
            (
                "Rappels activés : vous recevrez un court rappel à {times} ({zone}). Pour changer les heures, "
                "envoyez RAPPEL et les nouvelles heures, p. ex. RAPPEL 9h 12h30 17h. PAUSE pour suspendre, STOP "
                "pour ne plus rien recevoir."
            ),
            (
                "Rappels activés : vous recevrez un court rappel à {times} ({zone}). Autres heures ? Envoyez "
                "RAPPEL et les nouvelles heures, p. ex. RAPPEL 9h 12h30 17h. PAUSE pour suspendre, STOP pour ne "
                "plus rien recevoir."
            ),
        ),
    },
}
NOTICE = {
    "en": "We store your number. Text FORGET to erase it.",
    "nl": "We bewaren uw nummer. Wissen: stuur VERGEET MIJ.",
    "fr": "Numéro conservé. Pour l'effacer, envoyez OUBLIEZ-MOI.",
    "de": "Wir speichern Ihre Nummer. Zum Löschen VERGISS MICH senden.",
}


def _review_due(today: datetime.date) -> datetime.date:
    try:
        return today.replace(year=today.year + REVIEW_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + REVIEW_YEARS, day=28)


def _published_by_the_system(apps, translation, history_type: str) -> None:
    """What 0010 records for every seeded text: approved by the system, with a history entry."""
    TextDraft = apps.get_model("advice", "TextDraft")
    HistoricalTopicTranslation = apps.get_model("advice", "HistoricalTopicTranslation")
    now = timezone.now()
    translation.review_due = _review_due(now.date())
    translation.needs_review = False
    translation.save()
    TextDraft.objects.create(
        translation=translation,
        sms_text=translation.sms_text,
        voice_text=translation.voice_text,
        status="approved",
        author=None,
        reviewer=None,
        reviewed_at=now,
        note=WHY,
    )
    HistoricalTopicTranslation.objects.create(
        id=translation.pk,
        topic_id=translation.topic_id,
        language_id=translation.language_id,
        sms_text=translation.sms_text,
        voice_text=translation.voice_text,
        updated_at=translation.updated_at,
        needs_review=False,
        review_due=translation.review_due,
        history_date=now,
        history_type=history_type,
        history_change_reason=WHY[:100],
    )


def _replace(apps, *, forward: bool) -> None:
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    for slug, by_language in TEXTS.items():
        for language, (old, new) in by_language.items():
            before, after = (old, new) if forward else (new, old)
            for translation in TopicTranslation.objects.filter(topic__slug=slug, language_id=language):
                if translation.sms_text == after:
                    continue
                if translation.sms_text != before:
                    logger.warning(
                        "%s (%s) is not the text this migration expects (edited in the admin?): left as it is",
                        slug,
                        language,
                    )
                    continue
                translation.sms_text = after
                _published_by_the_system(apps, translation, "~")


def apply(apps, schema_editor) -> None:
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    Language = apps.get_model("advice", "Language")
    languages = set(Language.objects.values_list("code", flat=True))
    topic, _created = Topic.objects.get_or_create(
        slug=SLUG, defaults={"kind": "system", "name": NAME, "source": SOURCE, "position": 91}
    )
    for language, text in NOTICE.items():
        if language not in languages:
            continue
        translation, created = TopicTranslation.objects.get_or_create(
            topic=topic, language_id=language, defaults={"sms_text": text}
        )
        if created:
            _published_by_the_system(apps, translation, "+")
    _replace(apps, forward=True)


def revert(apps, schema_editor) -> None:
    _replace(apps, forward=False)
    apps.get_model("advice", "Topic").objects.filter(slug=SLUG).delete()


class Migration(migrations.Migration):
    # The lead renumbers this at merge (another branch adds an 0013).
    dependencies = [("advice", "0012_historical_keyword_forget")]

    operations = [migrations.RunPython(apply, revert)]
