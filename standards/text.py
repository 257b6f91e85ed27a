"""Text helpers for the catalogue: pinyin initials and normalisation for search."""

from __future__ import annotations

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

_KEEP = re.compile(r"[0-9a-z\u4e00-\u9fff]+")


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, punctuation and spaces dropped: 'ＹＹＺＺ 营业 执照' -> 'yyzz营业执照'."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(_KEEP.findall(text))


def pinyin_initials(text: str) -> str:
    """First letters of the pinyin of the Chinese characters (other letters and digits kept): 营业执照 -> yyzz."""
    text = unicodedata.normalize("NFKC", text or "")
    # Runs of other characters are kept as they are.
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors=lambda chars: chars)
    return normalise("".join(letters))[:200]
