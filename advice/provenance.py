"""Splitting a source document into passages and telling which passages a topic cites.

Pure functions on strings, so that migrations can use them as well as the services.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_HEADING = re.compile(r"^[^.•]{3,80}\?\s*$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class PassageText:
    position: int
    heading: str
    text: str


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def squash(text: str) -> str:
    """Text compared loosely: one space, straight quotes, no space before punctuation, lower case."""
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\u2013", "-").replace("•", " ")
    text = _SPACES.sub(" ", text).strip()
    return re.sub(r" ([?;:,.!])", r"\1", text).lower()


def split_passages(full_text: str) -> list[PassageText]:
    """Paragraphs (blank-line separated; a bullet list is one), each under the heading before it.

    The first line (the title) and the headings themselves are not passages.
    """
    blocks = [block.strip() for block in re.split(r"\n\s*\n", full_text.strip()) if block.strip()]
    passages: list[PassageText] = []
    heading = ""
    for index, block in enumerate(blocks):
        if index == 0 and "\n" not in block and not block.endswith("?"):
            continue  # the title
        if "\n" not in block and _HEADING.match(block):
            heading = _SPACES.sub(" ", block).replace(" ?", "?")
            continue
        passages.append(PassageText(position=len(passages) + 1, heading=heading, text=block))
    return passages


def cites(topic_source: str, passage: PassageText) -> bool:
    """Whether a topic's 'leaflet passage' note quotes this passage, or names its whole section."""
    note = squash(topic_source)
    if not note:
        return False
    if squash(passage.text)[:40] in note:
        return True
    # "What is it about? / Where do we meet them? (whole sections)" names two whole sections.
    heading = squash(passage.heading)
    sections = note.replace(" / ", " (whole section) ")
    return bool(heading) and f"{heading} (whole section" in sections


def cited_positions(topic_source: str, passages: list[PassageText]) -> list[int]:
    """The passages a topic's note cites; a bullet list goes with the sentence that introduces it."""
    cited: list[int] = []
    for passage in passages:
        follows = bool(cited) and cited[-1] == passage.position - 1 and passage.text.lstrip().startswith("•")
        if follows or cites(topic_source, passage):
            cited.append(passage.position)
    return cited
