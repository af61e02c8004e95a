"""Emergency numbers written in a dialog's texts (the checker's RD104), and template tags
blanked out of a text in one pass.

112, 911, 999, 3114 and 116 xxx are emergency or crisis lines wherever they stand alone; the
short French numbers (15, 17, 18, 114, 115, 119) and 110 only a few words after a call word
("call", "appelez", "police"...) or after another such number ("le 15 ou le 17"). A number in a
time, a date, a phone number or before a unit ("15 minutes", "17 mars") is not one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["emergency_numbers", "without_templates"]

_TAGS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_UNITS = (
    r"min(?:ute)?s?|h|hrs?|hours?|heures?|jours?|days?|weeks?|semaines?|mois|months?|ans|"
    r"years?|années?|times|fois|people|personnes|%|€|euros?|km|kg|ml|mg|cm|ème|e|th|st|nd|rd|"
    r"janv\w*|févr\w*|mars|avril|mai|juin|juil\w*|août|sept\w*|oct\w*|nov\w*|déc\w*|"
    r"jan\w*|feb\w*|march|april|may|june|july|aug\w*|dec\w*"
)
#: a number standing alone (not in a time, a date, a phone number or before a unit) that is an
#: emergency or crisis line somewhere in Europe or North America
_CANDIDATE = re.compile(
    r"(?<![\w.,:/+-])(?<!\d )(?<!\d\u00a0)"
    r"(112|911|999|3114|116[ \u00a0]?\d{3}|15|17|18|110|114|115|119)"
    rf"(?![\w/-]|[.,:]\d|[ \u00a0]?\d|\s*(?:{_UNITS})\b)",
    re.IGNORECASE,
)
#: these are emergency lines wherever they stand alone; the short ones only after a call word
_ALWAYS = re.compile(r"112|911|999|3114|116.*")
_CALL_WORD = re.compile(
    r"call(?:s|ing|ed)?|dial(?:s|ling|led)?|phone|ring|number|emergency|police|ambulance|"
    r"fire|appel\w*|compose[zr]?|t[ée]l[ée]phone[zr]?|joindre|num[ée]ro|urgences?|secours|"
    r"samu|pompiers|gendarmerie",
    re.IGNORECASE,
)
#: how many words before a short number may hold the call word ("appelez le 15")
_CALL_WINDOW = 3


def without_templates(text: str, value: str = "") -> str:
    """`text` with each {{ }}, {% %} and {# #} tag blanked out, in one pass (a regex would be
    quadratic on a hostile text full of unclosed tags). `value` stands for each {{ }} (other
    tags become a space); without it, each tag becomes as many spaces (same offsets, line
    breaks kept)."""
    out: list[str] = []
    here = 0
    while True:
        start = text.find("{", here)
        if start < 0 or start + 1 >= len(text):
            break
        close = _TAGS.get(text[start : start + 2])
        end = text.find(close, start + 2) if close else -1
        if end < 0:
            if close:  # unclosed: the rest is text
                break
            out.append(text[here : start + 1])
            here = start + 1
            continue
        end += 2
        out.append(text[here:start])
        tag = text[start:end]
        if value:  # a value is a word; a control tag or a comment is nothing to read
            out.append(f" {value} " if close == "}}" else " ")
        else:
            out.append("".join("\n" if c == "\n" else " " for c in tag))
        here = end
    out.append(text[here:])
    return "".join(out)


def emergency_numbers(text: str) -> Iterator[re.Match[str]]:
    """Emergency numbers written in `text`: 112, 911, 999, 3114, 116 xxx standing alone; 15,
    17, 18, 110, 114, 115, 119 only a few words after a call word ("call", "appelez",
    "police", ...) or after another such number ("le 15 ou le 17")."""
    text = without_templates(text)  # same offsets, no numbers inside {{ }}
    flagged_end = -1
    for found in _CANDIDATE.finditer(text):
        before = re.findall(r"\w+", text[max(0, found.start() - 60) : found.start()])
        window = before[-_CALL_WINDOW:]
        near_call = any(_CALL_WORD.fullmatch(w) for w in window)
        after_number = (
            flagged_end >= 0
            and any(w.lower() in ("ou", "or") for w in window)
            and (found.start() - flagged_end < 12)
        )
        if _ALWAYS.fullmatch(found.group(1)) or near_call or after_number:
            flagged_end = found.end()
            yield found
