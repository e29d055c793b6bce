"""Which geography (2018 or 2024) a scenario, a code or a level belongs to, and words for each.

The 2024 units re-use the engine's layer slots (``borough`` = place,
``ccg`` = sub-ICB location, ``stp`` = ICB), so every rule, overlap and
proposal works on both; this module says what each slot is called, and
recognises codes of the *other* vintage so that a 2018 code in a 2024
scenario (or the reverse) is reported as such, with the conversion command,
rather than as a typo.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from boundaries import Settings, get_dataset, settings as default_settings
from boundaries.readers import load_dataset

from .errors import GeographyMismatchError  # re-exported: the error moved to spatial.errors

__all__ = ["LAYER_WORDS", "layer_word", "GeographyMismatchError", "code_vintages", "convert_command",
           "check_scenario_geography", "vintage_error"]

#: What each layer slot is called in each geography.
LAYER_WORDS = {
    "2018": {"unit": "LSOA 2011", "msoa": "MSOA", "ward": "ward", "borough": "borough", "ccg": "CCG", "stp": "STP",
             "utla": "upper-tier council", "nhs_region": "NHS region"},
    "2024": {"unit": "LSOA 2021", "msoa": "MSOA", "ward": "ward", "borough": "place", "ccg": "sub-ICB location",
             "stp": "ICB", "utla": "upper-tier council", "nhs_region": "NHS region"},
}


def layer_word(layer: str, geography: str = "2018") -> str:
    """``layer_word("stp", "2024")`` -> ``"ICB"``."""
    return LAYER_WORDS.get(str(geography), LAYER_WORDS["2018"]).get(layer, layer)


def convert_command(to: str, path: str = "SCENARIO.json") -> str:
    """The command that converts a scenario file to geography ``to``."""
    return f"python -m spatial convert {path} --to {to}"


#: (geography, dataset id, column, what the code is)
_CODE_SOURCES = (
    ("2018", "lsoa_ccg_stp_lookup", "LSOA11CD", "an LSOA 2011"),
    ("2018", "lsoa_ccg_stp_lookup", "CCG18CD", "a CCG (April 2018)"),
    ("2018", "lsoa_ccg_stp_lookup", "CCG18CDH", "a CCG (April 2018, NHS code)"),
    ("2018", "lsoa_ccg_stp_lookup", "STP18CD", "an STP (April 2018)"),
    ("2018", "lsoa_ccg_stp_lookup", "LAD18CD", "a LAD 2018"),
    ("2018", "lsoa_msoa_lookup", "MSOA11CD", "an MSOA 2011"),
    ("2024", "lsoa21_sicbl24_icb24_lookup", "lsoa21_code", "an LSOA 2021"),
    ("2024", "lsoa21_sicbl24_icb24_lookup", "sicbl24_code", "a sub-ICB location (April 2024)"),
    ("2024", "lsoa21_sicbl24_icb24_lookup", "sicbl24_code_nhs", "a sub-ICB location (April 2024, NHS code)"),
    ("2024", "lsoa21_sicbl24_icb24_lookup", "icb24_code", "an ICB (April 2024)"),
    ("2024", "lsoa21_sicbl24_icb24_lookup", "icb24_code_nhs", "an ICB (April 2024, NHS code)"),
    ("2024", "lsoa21_sicbl24_icb24_lookup", "ltla22_code", "a LAD 2022"),
    ("2024", "lsoa21_ward24_lookup", "ward24_code", "a ward 2024"),
    ("2024", "ltla23_utla23_lookup", "utla23_code", "an upper-tier council (2023)"),
)


@lru_cache(maxsize=4)
def _code_table(config: Settings) -> dict[str, list[tuple[str, str]]]:
    table: dict[str, list[tuple[str, str]]] = {}
    frames: dict[str, object] = {}
    for geography, ds_id, column, what in _CODE_SOURCES:
        if ds_id not in frames:
            try:
                frames[ds_id] = load_dataset(get_dataset(ds_id), config).frame
            except Exception:  # a missing lookup only means we cannot name the vintage
                frames[ds_id] = None
        frame = frames[ds_id]
        if frame is None or column not in frame:
            continue
        for code in set(frame[column].astype(str)):
            table.setdefault(code.upper(), []).append((geography, what))
    return table


def code_vintages(code: str, config: Settings | None = None) -> list[tuple[str, str]]:
    """``[(geography, what)]`` for a code, from both vintages' lookups (empty when neither has it)."""
    config = config or default_settings()
    return _code_table(config).get(str(code).strip().upper(), [])


def vintage_error(codes: list[str], geography: str, *, where: str | None = None,
                  config: Settings | None = None) -> GeographyMismatchError | None:
    """An error naming the vintage of ``codes`` that belong only to the other geography, else ``None``."""
    from boundaries.registry_2024 import ICB_CODE_CHANGES_2022_2024

    recoded = [c for c in codes if str(c).strip().upper() in ICB_CODE_CHANGES_2022_2024]
    if recoded and str(geography) == "2024":
        nhs = {"E54000052": "QXU, Surrey Heartlands", "E54000053": "QNX, Sussex", "E38000246": "92A",
               "E38000248": "70F"}
        listed = ", ".join(f"{c} -> {ICB_CODE_CHANGES_2022_2024[c.strip().upper()]} "
                           f"({nhs[c.strip().upper()]})" for c in recoded)
        return GeographyMismatchError(
            f"{len(recoded)} code(s) are July 2022 codes that ONS changed in April 2024 when four Chichester "
            f"LSOAs moved from Surrey Heartlands to Sussex: {listed}",
            codes=recoded, where=where,
            fix="use the April 2024 code, or the NHS code (QXU, QNX, 92A, 70F), which did not change: "
                "Footprints joins across vintages on the NHS codes")
    other = "2024" if str(geography) == "2018" else "2018"
    found = []
    for code in codes:
        kinds = code_vintages(code, config)
        if kinds and all(g == other for g, _ in kinds):
            found.append(f"{code} ({kinds[0][1]} code)")
    if not found:
        return None
    return GeographyMismatchError(
        f"{len(found)} code(s) are of the {other} geography, but this scenario is checked in the {geography} "
        f"geography: {', '.join(found[:8])}{' ...' if len(found) > 8 else ''}",
        codes=[f.split(" ")[0] for f in found], where=where,
        fix=f"convert the scenario first: {convert_command(geography)} (or load the {other} geography: "
            f"--geography {other})",
    )


def check_scenario_geography(scenario, geography: str, *, where: str | None = None,
                             path: str = "SCENARIO.json") -> None:
    """Raise :class:`GeographyMismatchError` when ``scenario`` was made in another geography."""
    if str(scenario.geography) != str(geography):
        raise GeographyMismatchError(
            f"scenario {scenario.name!r} is in the {scenario.geography} geography, but the {geography} "
            "geography is loaded", where=where,
            fix=f"convert it: {convert_command(geography, path)}, or open it with --geography {scenario.geography}",
        )
