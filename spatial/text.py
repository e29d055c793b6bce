"""User text: names made clean at load, and cells made inert in every CSV we write.

Three concerns, one home each:

* :func:`percent` / :func:`percent_short` write a share in words (``53.6%``;
  ``n/a`` where it cannot be measured), for every reason, table and report.

* :func:`csv_cell` / :func:`csv_frame` neutralise formula injection in CSV
  output (board CSV, comparison CSV, assignment CSV, every CLI ``--csv``),
  following the OWASP "CSV Injection" guidance: a text cell whose first
  character is ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed
  with a single quote so a spreadsheet shows it as text.  Because
  spreadsheets skip leading blanks and fold compatibility forms, the test
  is made on the first character after any leading whitespace (spaces, tabs,
  line breaks) and after NFKC folding, so `` =1``, ``\\n=1`` and the
  full-width ``＝1``, ``＋``, ``－``, ``＠`` are caught too.
  :func:`uncsv_cell` undoes it when we read our own CSV back, so names
  round-trip exactly (a name that itself starts with quotes before a formula
  starter gets one more quote, and loses exactly one on reading).
* :func:`clean_name` normalises names at load (NFC; zero-width and control
  characters removed; lone surrogates refused), so look-alike names are the
  same name.

References
----------
OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

import pandas as pd

__all__ = ["percent", "percent_short", "FORMULA_STARTERS", "csv_cell", "uncsv_cell", "csv_frame", "needs_csv_guard", "clean_name", "fold_lookalikes",
           "find_surrogate"]

def percent(x: Any, digits: int = 1) -> str:
    """A share (0-1) as a percentage with ``digits`` decimals; ``"n/a"`` for None, NaN or non-numbers.

    >>> percent(0.5361), percent(None)
    ('53.6%', 'n/a')
    """
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "n/a"
    return f"{100 * v:.{digits}f}%" if math.isfinite(v) else "n/a"


def percent_short(x: float) -> str:
    """A share as a whole percentage from 10% up (``37%``), with one decimal below it (``4.2%``) and ``0%``.

    >>> percent_short(0.372), percent_short(0.042), percent_short(0)
    ('37%', '4.2%', '0%')
    """
    return f"{100 * x:.0f}%" if 100 * x >= 9.95 or x == 0 else f"{100 * x:.1f}%"


#: Characters that make a spreadsheet read a cell as a formula (OWASP); full-width forms fold to these.
FORMULA_STARTERS = ("=", "+", "-", "@", "\t", "\r")


def needs_csv_guard(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula."""
    if text.startswith(FORMULA_STARTERS):
        return True
    rest = text.lstrip()
    if not rest:
        return False
    return unicodedata.normalize("NFKC", rest[0])[:1] in FORMULA_STARTERS[:4]


def _guarded(text: str) -> bool:
    return text.startswith("'") and needs_csv_guard(text.lstrip("'"))


def csv_cell(value: Any) -> Any:
    """``value`` made inert for a CSV cell: text a spreadsheet would run gets a leading ``'``.

    Non-text values are returned unchanged.

    Examples
    --------
    >>> csv_cell("=HYPERLINK(1)"), csv_cell(" =1"), csv_cell("\\uff1d1"), csv_cell("Kingston"), csv_cell(-1)
    ("'=HYPERLINK(1)", "' =1", "'\\uff1d1", 'Kingston', -1)
    """
    if isinstance(value, str) and (needs_csv_guard(value) or _guarded(value)):
        return "'" + value
    return value


def uncsv_cell(text: str) -> str:
    """The text :func:`csv_cell` was given (reading our own CSV back)."""
    return text[1:] if _guarded(text) else text


def csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and column name passed through :func:`csv_cell`."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out


_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u180e]")
#: Zero-width (non-)joiners are kept only between two non-ASCII characters, where they join emoji
#: sequences (👩🏽‍⚕️) or shape Indic and Arabic-script letters; elsewhere they only hide a difference.
_STRAY_JOINER = re.compile("(?:(?<=[\x00-\x7f])|^)[\u200c\u200d]+|[\u200c\u200d]+(?=[\x00-\x7f]|$)")


def find_surrogate(text: str) -> int | None:
    """Position of the first lone surrogate in ``text`` (text that cannot be written as UTF-8), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def clean_name(text: str) -> str:
    """A name as Footprints stores it: NFC, without zero-width or control characters, trimmed.

    Control characters (tab, line breaks, NUL...) become a space; zero-width
    characters (U+200B, U+2060, U+FEFF, soft hyphen; U+200C/U+200D unless they join
    two non-ASCII characters, as in emoji sequences) are removed; runs
    of spaces fold to one.  Bidirectional marks are kept (they are part of
    right-to-left names).  Lone surrogates are not handled here: see
    :func:`find_surrogate`.
    """
    text = unicodedata.normalize("NFC", text)
    text = _STRAY_JOINER.sub("", _INVISIBLE.sub("", text))
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return re.sub(r" {2,}", " ", text).strip()


#: Letters of other scripts drawn like the Latin capitals and digits of GSS codes (Unicode
#: confusables, https://www.unicode.org/Public/security/latest/confusables.txt, the ones codes can hold).
_LOOKALIKE = {
    **dict(zip("АВЕКМНОРСТХІЅЈаеорсхіѕј", "ABEKMHOPCTXISJaeopcxisj")),      # Cyrillic
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοικν", "ABEZHIKMNOPTYXoikv")),                  # Greek
}
_SCRIPT = {**{c: "a Cyrillic letter" for c in "АВЕКМНОРСТХІЅЈаеорсхіѕј"},
           **{c: "a Greek letter" for c in "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοικν"}}


def fold_lookalikes(text: str) -> tuple[str, list[str]]:
    """``text`` with look-alike letters and digits replaced by the Latin/ASCII ones they mimic.

    Returns the folded text and what was found, e.g. ``["a Cyrillic letter 'Е' (U+0415)"]``: Cyrillic
    and Greek letters shaped like Latin capitals, full-width and other non-ASCII digits
    (``０``-``９``, Arabic-Indic...), full-width Latin letters.
    """
    out, found = [], []
    for ch in text:
        if ch in _LOOKALIKE:
            out.append(_LOOKALIKE[ch])
            found.append(f"{_SCRIPT[ch]} {ch!r} (U+{ord(ch):04X})")
        elif unicodedata.category(ch) == "Nd" and not ch.isascii():
            out.append(str(unicodedata.decimal(ch)))
            kind = "a full-width digit" if "FULLWIDTH" in unicodedata.name(ch, "") else "a non-ASCII digit"
            found.append(f"{kind} {ch!r} (U+{ord(ch):04X})")
        elif not ch.isascii() and unicodedata.normalize("NFKC", ch).isascii() and \
                unicodedata.normalize("NFKC", ch).isalnum():
            out.append(unicodedata.normalize("NFKC", ch))
            found.append(f"a full-width letter {ch!r} (U+{ord(ch):04X})")
        else:
            out.append(ch)
    return "".join(out), list(dict.fromkeys(found))
