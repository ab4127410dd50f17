"""Report languages: a text in English and Chinese, rendered at write time.

Results build their tables and figures once; titles, notes and captions are :class:`Text`
(``Text(en, zh)``) or plain strings (the same in both languages), and a figure may be drawn per
language (``Figure(figure=lambda lang: ...)``). The writer and the report render them in the
language asked for (``lang="zh"``: 中文; ``"en"``: English). Variable names stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["Lang", "LANGS", "Text", "render"]

Lang = Literal["en", "zh"]
LANGS: tuple[str, ...] = get_args(Lang)


@dataclass(frozen=True)
class Text:
    """One text in both languages; ``str(text)`` is the English."""

    en: str
    zh: str = ""

    def __call__(self, lang: Lang = "en") -> str:
        """The text in ``lang`` (English where no Chinese is given)."""
        return self.zh if lang == "zh" and self.zh else self.en

    def __str__(self) -> str:
        return self.en

    def __add__(self, other: str | Text) -> Text:
        o = other if isinstance(other, Text) else Text(other, other)
        return Text(self.en + o.en, (self.zh or self.en) + (o.zh or o.en))

    def __radd__(self, other: str) -> Text:
        return Text(other + self.en, other + (self.zh or self.en))


def render(value: str | Text, lang: Lang = "en") -> str:
    """A title, note or label in ``lang``: a :class:`Text` picks its language, a str is kept."""
    return value(lang) if isinstance(value, Text) else str(value)
