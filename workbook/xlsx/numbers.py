"""Numbers as a person saw them: a cell's value shown through its own number format.

A reader gives a date cell back as a date and a percentage as 0.5; what the person saw (and
typed) was "Sep-24" or "50%". This module turns a value and its format code back into that text,
and says whether a date format shows a year at all (`d-mmm` does not: a date read through it
would be a guess).
"""

from __future__ import annotations

import datetime as dt
import re

from workbook.xlsx.cells import EXCEL_EPOCH, cell_text, serial_datetime

#: Excel's built-in number formats by id (ECMA-376 Part 1, 18.8.30). Id 14 is the short date of
#: the machine that shows it (d/m/yyyy in the UK, m/d/yyyy in the US); it is read here as a
#: date with its day, month and year, written unambiguously.
BUILTIN_FORMATS: dict[int, str] = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "d mmm yyyy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "d mmm yyyy h:mm",
    37: "#,##0 ;(#,##0)",
    38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)",
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
}

#: The id a writer gives a format code that is one of Excel's built-in formats, as ECMA-376 lists
#: them (18.8.30, the en-US codes, which is how a file names them; BUILTIN_FORMATS above is how
#: they show in the UK). A code not here is written as a format of the workbook's own.
BUILTIN_FORMAT_IDS: dict[str, int] = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    '"$"#,##0_);("$"#,##0)': 5,
    '"$"#,##0_);[Red]("$"#,##0)': 6,
    '"$"#,##0.00_);("$"#,##0.00)': 7,
    '"$"#,##0.00_);[Red]("$"#,##0.00)': 8,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "# ?/?": 12,
    "# ??/??": 13,
    "mm-dd-yy": 14,
    "d-mmm-yy": 15,
    "d-mmm": 16,
    "mmm-yy": 17,
    "h:mm AM/PM": 18,
    "h:mm:ss AM/PM": 19,
    "h:mm": 20,
    "h:mm:ss": 21,
    "m/d/yy h:mm": 22,
    "#,##0_);(#,##0)": 37,
    "#,##0_);[Red](#,##0)": 38,
    "#,##0.00_);(#,##0.00)": 39,
    "#,##0.00_);[Red](#,##0.00)": 40,
    '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)': 41,
    '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)': 42,
    '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)': 43,
    '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)': 44,
    "mm:ss": 45,
    "[h]:mm:ss": 46,
    "mmss.0": 47,
    "##0.0E+0": 48,
    "@": 49,
}

# A format code's parts that show nothing of the value: [Red], [$-809], "literal", \x, _x, *x.
_QUOTED = re.compile(r'"[^"]*"')
_NOISE = re.compile(r"\[[^\]]*\]|\\.|_.|\*.")
_DATE_TOKEN = re.compile(r"(?i)yyyy|yy|y|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p")


def format_code(style_formats: dict[int, str], num_fmt_id: int) -> str:
    """The code of number format `num_fmt_id`: a workbook's own, else Excel's built-in one."""
    return style_formats.get(num_fmt_id) or BUILTIN_FORMATS.get(num_fmt_id, "General")


def _first_section(code: str) -> str:
    return _QUOTED.sub("", code).split(";", 1)[0]


def is_date_format(code: str) -> bool:
    """Whether a number shown through `code` is a date or time."""
    bare = _NOISE.sub("", _first_section(code)).lower()
    return bool(re.search(r"[dmyhs]", bare)) and "general" not in bare


def shows_year(code: str) -> bool:
    """Whether a date format shows the year (`d-mmm` does not)."""
    return "y" in _NOISE.sub("", _first_section(code)).lower()


def shown(value: object, code: str) -> str:
    """`value` as a cell with number format `code` shows it: a date in the format's own order
    and words ("Sep-24", "01/07/24"), a percentage with its sign; anything else as the plan
    keeps text (`cell_text`)."""
    if isinstance(value, bool) or code in ("", "General", "@"):
        return cell_text(value)
    if is_date_format(code):
        when = _as_datetime(value)
        return _date_shown(when, code) if when is not None else cell_text(value)
    if isinstance(value, int | float) and "%" in _first_section(code):
        places = _decimal_places(_first_section(code))
        return f"{value * 100:.{places}f}%"
    return cell_text(value)


def _as_datetime(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return serial_datetime(float(value)) if value > 0 else EXCEL_EPOCH
    return None


def _decimal_places(section: str) -> int:
    m = re.search(r"\.([0#?]+)", section)
    return len(m[1]) if m else 0


def _date_shown(when: dt.datetime, code: str) -> str:
    """`when` through the first section of a date format code."""
    section = code.split(";", 1)[0]
    out: list[str] = []
    tokens: list[tuple[str, str]] = []  # (kind, text): kind "lit" or a token
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            tokens.append(("lit", section[i + 1 : end]))
            i = end + 1
        elif ch == "\\" and i + 1 < len(section):
            tokens.append(("lit", section[i + 1]))
            i += 2
        elif ch in "_*" and i + 1 < len(section):
            i += 2  # a space the width of a character, or a fill: nothing to show
        elif ch == "[":
            end = section.find("]", i)
            i = len(section) if end < 0 else end + 1
        elif m := _DATE_TOKEN.match(section, i):
            tokens.append(("tok", m[0].lower()))
            i = m.end()
        else:
            tokens.append(("lit", ch))
            i += 1
    twelve_hour = any(t in ("am/pm", "a/p") for kind, t in tokens if kind == "tok")
    for n, (kind, text) in enumerate(tokens):
        if kind == "lit":
            out.append(text)
            continue
        if text in ("m", "mm") and _is_minute(tokens, n):
            out.append(f"{when.minute:02d}" if text == "mm" else str(when.minute))
        else:
            out.append(_token(when, text, twelve_hour))
    return "".join(out)


def _is_minute(tokens: list[tuple[str, str]], n: int) -> bool:
    """An "m" right after an hour or right before a second is minutes, as Excel reads it."""
    before = [t for kind, t in tokens[:n] if kind == "tok"]
    after = [t for kind, t in tokens[n + 1 :] if kind == "tok"]
    return bool(before and before[-1] in ("h", "hh")) or bool(after and after[0] in ("s", "ss"))


def _token(when: dt.datetime, token: str, twelve_hour: bool) -> str:
    hour = when.hour % 12 or 12 if twelve_hour else when.hour
    return {
        "yyyy": f"{when.year:04d}",
        "yy": f"{when.year % 100:02d}",
        "y": f"{when.year % 100:02d}",
        "mmmmm": f"{when:%B}"[0],
        "mmmm": f"{when:%B}",
        "mmm": f"{when:%b}",
        "mm": f"{when.month:02d}",
        "m": str(when.month),
        "dddd": f"{when:%A}",
        "ddd": f"{when:%a}",
        "dd": f"{when.day:02d}",
        "d": str(when.day),
        "hh": f"{hour:02d}",
        "h": str(hour),
        "ss": f"{when.second:02d}",
        "s": str(when.second),
        "am/pm": "AM" if when.hour < 12 else "PM",
        "a/p": "A" if when.hour < 12 else "P",
    }[token]
