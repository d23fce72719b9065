"""Chinese sentences use full-width punctuation: "事实，不承诺收益；" not "事实,不承诺收益;".

Every Chinese string the pages, the error messages and the labels show is checked: an ASCII
comma, semicolon, colon, exclamation or question mark, or parenthesis, next to a Chinese
character is a half-width mark in a Chinese sentence. (Within ASCII it stays: "http(s)",
"1,000", "13:43".)
"""

from __future__ import annotations

import re

from profitpool.web.errors_i18n import MESSAGES
from profitpool.web.i18n import CATALOGUE
from profitpool.web.labels import EFFECTS, OPS

HAN = r"[\u3400-\u9fff]"
HALF_WIDTH = re.compile(rf"{HAN}[,;:!?()]|[,;!?(]{HAN}|\){HAN}")


def chinese_strings() -> list[tuple[str, str]]:
    found = [(f"catalogue {key}", texts["zh"]) for key, texts in CATALOGUE.items()]
    found += [(f"error {code}", texts["zh"]) for code, texts in MESSAGES.items()]
    for table_name, table in (("op", OPS), ("effect", EFFECTS)):
        found += [(f"{table_name} {key}", texts["zh"]) for key, texts in table.items()
                  if isinstance(texts, dict) and "zh" in texts]
    return found


def test_chinese_sentences_use_full_width_punctuation() -> None:
    strings = chinese_strings()
    assert len(strings) > 200  # the catalogue, the errors and the labels were all read
    assert [(name, text) for name, text in strings if HALF_WIDTH.search(text)] == []
    assert HALF_WIDTH.search("本平台只陈述事实,不承诺任何收益;")  # what it catches
