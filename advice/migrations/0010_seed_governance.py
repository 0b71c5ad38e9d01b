"""Governance seed: the leaflet as source version 1 with its passages, each seeded topic linked
to the passages its note cites, and every existing text published and approved by the system.

On an existing database the texts stay as they are; their history starts from here.
"""

import datetime

from django.db import migrations
from django.utils import timezone

from advice.provenance import checksum, cited_positions, split_passages

LEAFLET_TITLE = "Leg cramps"
LEAFLET_PUBLISHER = "ebpracticenet"
# The leaflet as given in ../shared/seed/leg-cramps-leaflet.txt, kept here so that the
# migration never depends on a file outside the repository.
LEAFLET_TEXT = "Leg cramps\n\n\nWhat is it about ?\n\nLeg cramps are prolonged, painful contractions of the muscles in the leg. They most often affect the calf muscles, and sometimes also those of the foot or thigh. Cramps often occur at night and upon waking up.\n\nThe following factors can cause cramps:\n\n  • Lack of sodium (component of salt);\n  • Lack of oxygen in the muscles (for example, with intense exertion);\n  • Sudden movement after a long period of rest;\n  • Dehydration;\n  • Diuretics;\n  • Medicines that lower cholesterol (statins);\n  • Fluid retention in the legs (edema) ;\n  • Pregnancy ;\n  • Disorders of the nerves of the leg.\n\nBut most of the time, no triggering factor is identified.\n\nWhere do we meet them?\n\nMuscle cramps in the legs affect people of all ages, but especially the elderly. Women would suffer from it more often, especially during pregnancy.\n\nHow to recognize them?\n\nLeg cramps appear suddenly. The muscle contracts, it is hard and painful. During the cramp, you cannot use the muscle. Leg cramps usually go away on their own.\n\nHow is the diagnosis made?\n\nThe doctor will examine your legs: skin, blood circulation, tenderness, presence of fluid or varicose veins, and muscle condition. He will take a blood sample to measure, among other things, salts, blood sugar (blood sugar) and thyroid function.\n\nWhat can you do ?\n\nYou can relax the contracted muscle by stretching it.\n\n  • Put your weight on the affected leg and bend the knee to stretch your calf;\n  • If you are in bed, you can pull your toes towards you.\n\nYou can also (do) massage your muscle.\n\nYou can prevent muscle cramps in your legs by drinking enough to be properly hydrated.\n\nIt is advisable to reduce the consumption of alcohol and caffeine.\n\nIn case of intense efforts and very high temperatures, it is also advisable to add salt and sugar to the water.\n\nIf you have painful cramps very often or if they interfere with your sleep, you should see your doctor.\n\nWhat can your doctor do?\n\nIf he finds a cause for your cramps, the doctor will treat that cause.\n\nMedicines for muscle cramps often have side effects and are not very effective.\n\nThe effect of magnesium supplements has often been studied, but the results are contradictory. To date, nothing proves their effectiveness. Preferably discuss this with your doctor.\n\nWant to know more?\n\n\nForeign clinical practice guide ‘Leg cramps’ (2013), updated on 02/28/2017 and adapted to the Belgian context on 05/15/2019 – ebpracticenet\n\n"
REVIEW_YEARS = 3  # settings.CONTENT_REVIEW_YEARS's default: a migration does not read settings


def seed(apps, schema_editor):
    Source = apps.get_model("advice", "Source")
    Passage = apps.get_model("advice", "Passage")
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    TextDraft = apps.get_model("advice", "TextDraft")
    HistoricalTopicTranslation = apps.get_model("advice", "HistoricalTopicTranslation")

    source = Source.objects.create(
        title=LEAFLET_TITLE,
        publisher=LEAFLET_PUBLISHER,
        version=1,
        guide_year=2013,
        updated_on=datetime.date(2017, 2, 28),
        adapted_on=datetime.date(2019, 5, 15),
        full_text=LEAFLET_TEXT,
        sha256=checksum(LEAFLET_TEXT),
    )
    pieces = split_passages(LEAFLET_TEXT)
    passages = {
        p.position: Passage.objects.create(source=source, position=p.position, heading=p.heading, text=p.text)
        for p in pieces
    }
    for topic in Topic.objects.exclude(source=""):
        topic.passages.add(*[passages[position] for position in cited_positions(topic.source, pieces)])

    now = timezone.now()
    today = now.date()
    due = (
        today.replace(year=today.year + REVIEW_YEARS)
        if (today.month, today.day) != (2, 29)
        else today.replace(year=today.year + REVIEW_YEARS, day=28)
    )
    for translation in TopicTranslation.objects.exclude(sms_text=""):
        TextDraft.objects.create(
            translation=translation,
            sms_text=translation.sms_text,
            voice_text=translation.voice_text,
            status="approved",
            author=None,
            reviewer=None,
            reviewed_at=now,
            note="published before review existed: approved by the system",
        )
        translation.review_due = due
        translation.save(update_fields=["review_due"])
        # The history starts with the text as it stood: an earlier version to restore later.
        HistoricalTopicTranslation.objects.create(
            id=translation.pk,
            topic_id=translation.topic_id,
            language_id=translation.language_id,
            sms_text=translation.sms_text,
            voice_text=translation.voice_text,
            updated_at=translation.updated_at,
            needs_review=False,
            review_due=due,
            history_date=now,
            history_type="+",
            history_change_reason="published before review existed: approved by the system",
        )


def unseed(apps, schema_editor):
    apps.get_model("advice", "TextDraft").objects.all().delete()
    apps.get_model("advice", "Source").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("advice", "0009_governance")]

    operations = [migrations.RunPython(seed, unseed)]
