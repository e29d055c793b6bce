"""Core providers of a footprint: the default (trusts based inside), overrides, and checking trust codes.

A footprint's core providers are by default the acute trusts with catchment
data whose headquarters point lies in one of its units; ``Footprint.core_providers``
overrides that with trust codes, which are checked here (unknown codes raise
:class:`~spatial.errors.UnknownTrustError` with the closest known trusts).
The functions taking ``model`` are :class:`~spatial.careflows.model.CareFlows`'s
``default_core``, ``check_codes``, ``core_positions`` and ``validate`` methods.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ..errors import UnknownTrustError
from ..footprints import Footprint, Scenario
from ..index import UnitIndex

if TYPE_CHECKING:  # pragma: no cover
    from .model import CareFlows

__all__ = ["suggest_trusts", "in_units", "located", "default_core", "check_codes", "core_positions",
           "validate_scenario", "with_core_providers"]


def suggest_trusts(code: str, codes: np.ndarray, names: np.ndarray, n: int = 3) -> list[str]:
    """Closest known trusts to an unknown code (or a trust name), as ``"CODE (Name)"``."""
    key = str(code).strip().upper()
    by_code = {str(c): str(nm) for c, nm in zip(codes, names)}
    near = difflib.get_close_matches(key, list(by_code), n=n, cutoff=0.5)
    if len(key) > 4:
        folded = {nm.casefold(): c for c, nm in by_code.items()}
        hits = [folded[k] for k in folded if key.casefold() in k]
        hits += [folded[k] for k in difflib.get_close_matches(key.casefold(), list(folded), n=n, cutoff=0.5)]
        near = list(dict.fromkeys(hits + near))[:n]
    return [f"{c} ({by_code[c]})" for c in near]


def _suggest(model: "CareFlows", code: str) -> list[str]:
    return suggest_trusts(code, model.trust_codes, model.trusts["name"].to_numpy())


def in_units(unit_of: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Which trusts (by their unit id, -1 for none) lie in ``units``."""
    units = np.asarray(units, dtype=np.int64)
    if len(units) == 0:
        return np.zeros(len(unit_of), dtype=bool)
    member = np.zeros(max(int(units.max()), int(unit_of.max(initial=0))) + 1, dtype=bool)
    member[units] = True
    return (unit_of >= 0) & member[np.maximum(unit_of, 0)]


def located(model: "CareFlows") -> tuple[np.ndarray, np.ndarray]:
    """Positions of the trusts with flows located in a unit, and their unit ids (cached on the model)."""
    if "located" not in model._cache:
        cols = model._trust_columns()
        unit_of = cols["unit"]
        positions = np.flatnonzero((unit_of >= 0) & cols["has_flows"])
        model._cache["located"] = (positions, unit_of[positions])
    return model._cache["located"]


def default_core(model: "CareFlows", units: np.ndarray) -> np.ndarray:
    """Positions of the trusts with flows whose headquarters lies in ``units``."""
    positions, unit_of = located(model)
    return positions[in_units(unit_of, units)]


def check_codes(model: "CareFlows", codes: Iterable[str], *, where: str | None = None) -> np.ndarray:
    """Positions of trust codes (sorted, unique).

    Raises
    ------
    UnknownTrustError
        Listing every unknown code with the closest known trusts.
    """
    out, unknown = [], {}
    for code in codes:
        p = model.trust_position(code)
        if p is None:
            unknown[str(code)] = _suggest(model, code)
        else:
            out.append(p)
    if unknown:
        raise UnknownTrustError(list(unknown), unknown, where=where)
    return np.array(sorted(set(out)), dtype=np.int64)


def core_positions(model: "CareFlows", footprint: Footprint, units: np.ndarray) -> tuple[np.ndarray, str]:
    """Core provider positions of a footprint and whether they are ``"default"`` or ``"override"``."""
    if footprint.core_providers is None:
        return default_core(model, units), "default"
    return check_codes(model, footprint.core_providers,
                       where=f"footprint {footprint.name!r} core_providers"), "override"


def validate_scenario(model: "CareFlows", scenario: Scenario) -> None:
    """Check every core-provider override of a scenario.

    Raises
    ------
    UnknownTrustError
        Listing the unknown codes of every footprint.
    """
    unknown: dict[str, list[str]] = {}
    where = []
    for fp in scenario.footprints:
        for code in fp.core_providers or ():
            if model.trust_position(code) is None:
                unknown[code] = _suggest(model, code)
                where.append(fp.name)
    if unknown:
        raise UnknownTrustError(list(unknown), unknown,
                                where=f"scenario {scenario.name!r}, footprint(s) "
                                      f"{', '.join(map(repr, dict.fromkeys(where)))}")


def with_core_providers(
    footprint: Footprint,
    flows: "CareFlows",
    index: UnitIndex,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    units: np.ndarray | None = None,
) -> Footprint:
    """Footprint with trusts added to or removed from its core providers.

    Starts from the current choice (the override, or the default: trusts
    located inside).  When the result equals the default the override is
    dropped (``core_providers=None``), so scenario files only store real choices.

    Raises
    ------
    UnknownTrustError
        For unknown codes in ``add`` or ``remove``.
    """
    where = f"footprint {footprint.name!r} core_providers"
    add_pos = flows.check_codes(list(add), where=where)
    rm_pos = flows.check_codes(list(remove), where=where)
    if units is None:
        units = index.expand(footprint.members, where=f"footprint {footprint.name!r}")
    current, _ = flows.core_positions(footprint, units)
    new = sorted((set(current.tolist()) | set(add_pos.tolist())) - set(rm_pos.tolist()))
    default = sorted(flows.default_core(units).tolist())
    codes = tuple(flows.trust_codes[new]) if new != default else None
    return dataclasses.replace(footprint, core_providers=codes)
