"""Admin for the content: languages, topics with every translation inline, keywords."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from advice.models import Keyword, Language, Topic, TopicTranslation
from messaging.encoding import GSM7_BASIC, GSM7_EXTENDED, render_sms_text, sms_size


def size_template(segments: int) -> str:
    # Literal strings, so that makemessages finds them.
    return ngettext(
        "%(encoding)s, %(characters)d characters, %(segments)d segment",
        "%(encoding)s, %(characters)d characters, %(segments)d segments",
        segments,
    )


def describe_sms(text: str) -> str:
    """ "GSM-7, 232 characters, 2 segments", and the characters that force UCS-2 if any."""
    body = render_sms_text(text or "")
    size = sms_size(body)
    summary = size_template(size.segments) % {
        "encoding": size.encoding,
        "characters": size.characters,
        "segments": size.segments,
    }
    costly = sorted({char for char in body if char not in GSM7_BASIC and char not in GSM7_EXTENDED})
    if costly:
        summary += " " + str(_("(UCS-2 because of: %(chars)s)")) % {"chars": " ".join(costly)}
    return summary


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin[Language]):
    list_display = ["code", "name", "priority", "voice_language", "voice_name"]
    list_editable = ["priority"]
    ordering = ["priority", "code"]
    fieldsets = [
        (None, {"fields": ["code", "name", "priority"]}),
        (_("Voice"), {"fields": ["voice_language", "voice_name"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Language | None = None) -> list[str]:
        return ["code"] if obj else []


class TopicTranslationInline(admin.StackedInline[TopicTranslation, Topic]):
    model = TopicTranslation
    extra = 0
    fields = ["language", "sms_text", "sms_size", "voice_text"]
    readonly_fields = ["sms_size"]
    verbose_name_plural = _("translations (one per language; a missing one falls back to the default language)")

    class Media:
        js = ["advice/sms_size.js"]  # the size, live, as an editor types

    @admin.display(description=_("SMS size"))
    def sms_size(self, obj: TopicTranslation) -> str:
        # sms_size.js updates this as the editor types, with the same translated wording.
        return format_html(
            '<span class="sms-size" data-one="{}" data-many="{}" data-costly="{}">{}</span>',
            size_template(1),
            size_template(2),
            _("(UCS-2 because of: %(chars)s)"),
            describe_sms(obj.sms_text) if obj.pk else "-",
        )

    def get_extra(self, request: HttpRequest, obj: Topic | None = None, **kwargs: Any) -> int:
        return len(_missing_languages(obj))


class KeywordInline(admin.TabularInline[Keyword, Topic]):
    model = Keyword
    fk_name = "topic"
    extra = 0
    fields = ["word", "language", "action", "whole_message_only"]
    verbose_name_plural = _("keywords that reply with this topic")


def _missing_languages(topic: Topic | None) -> list[str]:
    present = set(topic.translations.values_list("language_id", flat=True)) if topic and topic.pk else set()
    return [code for code in Language.objects.values_list("code", flat=True) if code not in present]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin[Topic]):
    list_display = ["name", "slug", "kind", "translation_sizes", "missing_translations"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "translations__sms_text"]
    inlines = [TopicTranslationInline, KeywordInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "position", "general"]}),
        (_("Source"), {"fields": ["source"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return super().get_queryset(request).prefetch_related("translations").distinct()

    def get_readonly_fields(self, request: HttpRequest, obj: Topic | None = None) -> list[str]:
        # The code sends service messages by slug.
        return ["slug", "kind"] if obj and obj.slug in Topic.SYSTEM_SLUGS else []

    def has_delete_permission(self, request: HttpRequest, obj: Topic | None = None) -> bool:
        if obj is not None and obj.slug in Topic.SYSTEM_SLUGS:
            return False
        return super().has_delete_permission(request, obj)

    def get_formset_kwargs(self, request: HttpRequest, obj: Topic, inline: Any, prefix: str) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, TopicTranslationInline) and request.method == "GET":
            kwargs["initial"] = [{"language": code} for code in _missing_languages(obj)]
        return kwargs

    @admin.display(description=_("SMS size per language"))
    def translation_sizes(self, obj: Topic) -> str:
        rows = [(t.language_id, describe_sms(t.sms_text)) for t in obj.translations.all()]
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description=_("missing translations"))
    def missing_translations(self, obj: Topic) -> str:
        present = {t.language_id for t in obj.translations.all() if t.sms_text.strip()}
        missing = [code for code in Language.objects.values_list("code", flat=True) if code not in present]
        if not missing:
            return "-"
        return format_html('<strong style="color:#ba2121">{}</strong>', ", ".join(missing))


@admin.register(Keyword)
class KeywordAdmin(admin.ModelAdmin[Keyword]):
    list_display = ["word", "language", "action", "topic", "target_language", "whole_message_only", "normalized"]
    list_filter = ["language", "action", "whole_message_only", "topic"]
    search_fields = ["word", "normalized"]
    list_select_related = ["language", "topic", "target_language"]
    fieldsets = [(None, {"fields": ["word", "language", "action", "whole_message_only", "topic", "target_language"]})]
