"""Tables and the words in them: the check table, verdict words, the source line, markdown escaping.

Nothing here computes a rule: the values come from :meth:`spatial.Engine.check`
as they are, so the table, the map and every export show the same numbers.
The rule words have one home, :data:`spatial.thresholds.RULE_WORDS`.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import pandas as pd
import streamlit as st

from boundaries.errors import FootprintsError
from spatial import Engine, Scenario, ScenarioReport
from spatial.thresholds import LEVEL_LABELS, RULE_LABELS

__all__ = ["RULE_LABELS", "VERDICT_TEXT", "TABLE_KEY", "CARE_FLOW_CREDIT", "source_line", "verdict_text",
           "report_or_error", "report_table", "stp_options", "md"]

#: How a rule's ``passed`` value is written.
VERDICT_TEXT = {True: "pass", False: "fail", None: "n/a"}
#: Key of each table column to explain in exports.
TABLE_KEY = ("Verdicts: pass = meets the rule; fail = does not; n/a = no verdict at this level "
             "(shown for information) or not measured.")


#: Credit for the care-flow data: part of the source line whenever verdicts use care flows.
CARE_FLOW_CREDIT = ("care flows Public Health England / OHID, NHS Acute (Hospital) Trust Catchment Populations "
                    "(2018, from NHS Digital Hospital Episode Statistics); trust locations NHS Digital ODS; "
                    "contains public sector information licensed under the Open Government Licence v3.0")


def source_line(scenario: Scenario, *, care_flows: bool = False) -> str:
    """Provenance line for maps and tables of ``scenario`` (the date is added by the exporters).

    ``care_flows``: the verdicts use care flows, so PHE/OHID and NHS Digital are credited too.
    """
    return (f"Scenario \u2018{scenario.name}\u2019; population ONS mid-{scenario.year} estimates (LSOA 2011); "
            "boundaries ONS Open Geography Portal, CCGs and STPs April 2018; thresholds Healthy London "
            "Partnership 2018. Open Government Licence v3.0; contains OS data \u00a9 Crown copyright and "
            "database right" + (f"; {CARE_FLOW_CREDIT}" if care_flows else ""))


def verdict_text(passed: bool | None) -> str:
    """``pass`` / ``fail`` / ``n/a``."""
    return VERDICT_TEXT[passed]


def report_or_error(engine: Engine, scenario: Scenario) -> ScenarioReport | None:
    """The engine's checks of ``scenario``, or ``None`` after showing why they failed."""
    try:
        return engine.check(scenario)
    except FootprintsError as exc:
        st.error(f"The scenario cannot be checked: {exc}")
        return None


def _names(index, layer: str, codes: Iterable[str]) -> list[str]:
    lookup = dict(zip(index.layer_codes[layer], index.layer_names[layer]))
    return [str(lookup.get(c, c)) for c in codes]


def report_table(report: ScenarioReport, engine: Engine) -> pd.DataFrame:
    """One row per footprint: figures, the verdict and each rule's result and reason.

    The values are read from the report as they are (no rule is computed
    here), so the table, the map and every export show the same numbers.
    """
    index = engine.for_year(report.scenario.year).index
    rows = []
    for r in report.footprints:
        row: dict[str, Any] = {
            "Footprint": r.name,
            "Level": ("pathway partnership" if getattr(r, "kind", "place") == "pathway"
                      else LEVEL_LABELS.get(r.level, r.level)),
            "Parent": r.parent or "",
            "Verdict": r.verdict,
            "Population": int(r.population),
            "Units": int(r.n_units),
            "Boroughs": "; ".join(_names(index, "borough", r.boroughs)),
            "STPs": "; ".join(_names(index, "stp", r.stps)),
            "Failed rules": ", ".join(RULE_LABELS.get(c.rule, c.rule) for c in r.failures()),
        }
        for c in r.checks:
            label = RULE_LABELS.get(c.rule, c.rule)
            row[label] = verdict_text(c.passed)
            row[f"{label}: why"] = c.reason
        rows.append(row)
    cols = ["Footprint", "Level", "Parent", "Verdict", "Population", "Units", "Boroughs", "STPs", "Failed rules"]
    for rule, label in RULE_LABELS.items():
        cols += [label, f"{label}: why"]
    table = pd.DataFrame(rows)
    for c in cols:
        if c not in table:
            table[c] = pd.Series(dtype=object)
    extra = [c for c in table.columns if c not in cols]
    table = table[cols + extra]
    table["Population"] = table["Population"].astype("int64")
    table["Units"] = table["Units"].astype("int64")
    return table


def stp_options(engine: Engine) -> dict[str, str]:
    """STP code -> name."""
    idx = engine.index
    return {str(c): str(n) for c, n in zip(idx.layer_codes["stp"], idx.layer_names["stp"])}


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """Text from data or a user, escaped for Streamlit markdown (shown literally)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))
