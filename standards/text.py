"""Text helpers for the catalogue: normalisation, word segmentation and pinyin for search.

Word segmentation is jieba's dictionary and algorithm through its Rust port (rjieba, jieba-rs): it splits
"住房公积金提取" into 住房 / 公积金 / 提取 so that the words of a query can match in any order. Its
dictionary is built on first use (about a second): `warm_up()` runs it when a server process starts
(govservice/asgi.py), never inside the first request (docs/pitfalls.md, "Search in Chinese").
"""

from __future__ import annotations

import re
import string
import unicodedata

import rjieba
from pypinyin import Style, lazy_pinyin

_KEEP = re.compile(r"[0-9a-z\u4e00-\u9fff]+")
_LETTERS = string.ascii_lowercase

# Words of a question that say nothing about the item ("我想办理结婚登记需要什么材料").
STOPWORDS = frozenset(
    [
        "我",
        "我要",
        "我想",
        "想",
        "要",
        "想要",
        "请问",
        "请",
        "你好",
        "您好",
        "如何",
        "怎么",
        "怎么样",
        "怎么办",
        "怎样",
        "咋",
        "咋办",
        "哪里",
        "哪儿",
        "在哪",
        "在哪里",
        "哪",
        "去",
        "到",
        "可以",
        "能",
        "能否",
        "能不能",
        "是否",
        "需要",
        "需",
        "什么",
        "啥",
        "哪些",
        "材料",
        "手续",
        "流程",
        "办理",
        "办",
        "了",
        "的",
        "吗",
        "呢",
        "吧",
        "啊",
        "和",
        "与",
        "及",
        "在",
        "给",
        "一下",
        "一个",
        "帮",
        "帮我",
        "有",
        "没有",
        "多久",
        "多长时间",
        "时间",
        "费用",
        "多少",
        "钱",
    ]
)


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


def pinyin_full(text: str) -> str:
    """The full pinyin without tones or spaces: 住房公积金 -> zhufanggongjijin."""
    text = unicodedata.normalize("NFKC", text or "")
    return normalise("".join(lazy_pinyin(text, errors=lambda chars: chars)))


def segment(text: str) -> list[str]:
    """The words of a normalised text, without the question's filler words: 我要提取公积金 -> [提取, 公积金]."""
    return [word for word in rjieba.cut(text) if word.strip() and word not in STOPWORDS]


def one_letter_off(term: str) -> set[str]:
    """Every string one letter away: one missing, one extra or two neighbours swapped ('gongjijn' -> 'gongjijin')."""
    variants = {term[:i] + term[i + 1 :] for i in range(len(term))}
    variants |= {term[:i] + term[i + 1] + term[i] + term[i + 2 :] for i in range(len(term) - 1)}
    variants |= {term[:i] + letter + term[i:] for i in range(len(term) + 1) for letter in _LETTERS}
    variants.discard(term)
    return {v for v in variants if len(v) >= 2}


def warm_up() -> None:
    """Build the segmenter's dictionary and pypinyin's phrase tables now rather than in the first request."""
    rjieba.cut("住房公积金提取")
    lazy_pinyin("住房公积金")
