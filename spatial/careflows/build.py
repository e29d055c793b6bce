"""Building a :class:`~spatial.careflows.model.CareFlows` model: registry data or supplied tables.

:func:`load_model` reads the flows, the trust points and England's MSOA
populations (:mod:`boundaries.flows`) and :func:`build_model` turns them into
the sparse units x trusts proportions, the trusts' locations and the supply
side.  They are :class:`~spatial.careflows.model.CareFlows`'s ``load`` and
``from_tables`` class methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from boundaries import Geographies
from boundaries.config import Settings
from boundaries.errors import MissingDataError
from boundaries.flows import FlowTable, _note, read_england_msoa_population, read_flows, read_trusts, validate_flows

from ..index import UnitIndex

if TYPE_CHECKING:  # pragma: no cover
    from .model import CareFlows

__all__ = ["load_model", "build_model"]


def load_model(
    cls: type["CareFlows"],
    source: Geographies | UnitIndex | Any,
    year: int = 2018,
    *,
    config: Settings | None = None,
    path: str | None = None,
    trusts_path: str | None = None,
    england: bool = True,
) -> "CareFlows":
    """Build the model from the registry's flow table of ``year`` (this is :meth:`CareFlows.load`).

    Parameters
    ----------
    source : Geographies, UnitIndex or Engine
        The units the model is for (an Engine's ``geo`` is used).
    year : int
        PHE catchment year: 2018 or 2019 (``flow_years()``).
    config : Settings, optional
    path : path-like, optional
        A supplied flow CSV (``msoa_code, trust_code, proportion``) instead
        of the registry's.
    trusts_path : path-like, optional
        A supplied trust CSV (``nhs_trust_code, nhs_trust_name, lon, lat``).
    england : bool
        Read England-wide MSOA populations for the supply side (default).

    Raises
    ------
    FlowYearError
        A catchment year the data does not have.
    MissingDataError, FlowDataError, CodeError, RecordCountError
    """
    geo = _geographies(source)
    table = read_flows(year, region=geo.region, config=config, path=path)
    trusts, _ = read_trusts(config=config, path=trusts_path)
    if getattr(geo, "geography", "2018") == "2024" and trusts_path is None:
        # today's geography: a trust sits at its hospital site where the site list names it (boundaries/trust_sites.py)
        from boundaries.trust_sites import place_trusts

        try:
            trusts = place_trusts(trusts, config=config)
        except MissingDataError as exc:
            table.notes.append(f"trusts placed at headquarters: the hospital-site list is missing ({exc})")
    outside, outside_year, notes = None, None, list(table.notes)
    if england:
        try:
            outside, outside_year = read_england_msoa_population(config=config)
        except MissingDataError as exc:
            notes.append(f"supply side not measured: England-wide MSOA populations are missing ({exc})")
    model = cls.from_tables(geo.units, table, trusts, outside_population=outside, outside_year=outside_year,
                            notes=notes)
    if getattr(geo, "geography", "2018") == "2024" or (getattr(geo, "area", "") or "london") != "london":
        model.area_label = "the region"
        model.trusts["borough_name"] = model.trusts["borough_name"].replace("outside London", "outside the region")
    return model


def build_model(
    cls: type["CareFlows"],
    units: pd.DataFrame,
    flows: FlowTable | pd.DataFrame,
    trusts: pd.DataFrame,
    *,
    year: int | None = None,
    outside_population: pd.Series | None = None,
    outside_year: int | None = None,
    notes: list[str] | None = None,
) -> "CareFlows":
    r"""Build the model from tables (this is :meth:`CareFlows.from_tables`).

    Parameters
    ----------
    units : GeoDataFrame
        The unit table (``code, msoa, borough, borough_name, geometry`` in
        EPSG:27700), in index order.
    flows : FlowTable or DataFrame
        Validated flows (``msoa_code, trust_code, proportion``); a bare
        DataFrame is validated here and needs ``year``.
    trusts : DataFrame
        ``code, name, status, lon, lat`` (see :func:`boundaries.flows.validate_trusts`).
    outside_population : Series, optional
        MSOA code -> population for the MSOAs outside the units (the supply
        side); MSOAs of the units in it are ignored (the units' own
        population year is used for them).
    outside_year : int, optional
    notes : list of str, optional

    Warns
    -----
    FlowDataWarning
        Unit MSOAs with no flows (their activity counts as unrecorded);
        flow MSOAs that have no population (listed in ``unmatched_msoas``);
        flow trusts without a location.

    Notes
    -----
    With :math:`q_{m,t}` the share of MSOA :math:`m`'s admitted patients treated
    by trust :math:`t`, unit :math:`u` (in MSOA :math:`m(u)`) gets the row
    :math:`p_{u,t} = q_{m(u),t}`; outside the units, trust :math:`t`'s activity is
    :math:`\sum_m P_m q_{m,t}` over the MSOAs :math:`m` outside them, with
    :math:`P_m` the ``outside_population``.
    """
    notes = list(notes or [])
    if isinstance(flows, FlowTable):
        frame, year, label = flows.frame, flows.year, flows.source
    else:
        if year is None:
            raise ValueError("give the catchment year of a bare flow table (year=...)")
        frame, label = validate_flows(flows, source="flows", notes=notes), "flows"
    unit_codes = units["code"].to_numpy().astype(str)
    # 2018 units are LSOA 2011 inside their MSOA; 2024 units (LSOA 2021) carry ``msoa11``, the MSOA 2011
    # of their LSOA 2011 parent by the ONS 2011->2021 lookup (docs/CARE_FLOWS.md, "2024 geography").
    unit_msoa = units["msoa" if "msoa" in units else "msoa11"].to_numpy().astype(str)

    # trusts axis: every known trust (points) and every trust with flows
    trusts = trusts.copy()
    extra = sorted(set(frame["trust_code"].astype(str)) - set(trusts["code"].astype(str)))
    if extra:
        _note(notes, f"{label}: {len(extra)} trust(s) with flows have no location in the trust table: "
                     f"{', '.join(extra[:10])}; they are never core by default")
        trusts = pd.concat([trusts, pd.DataFrame({"code": extra, "name": extra, "status": "unknown",
                                                  "lon": np.nan, "lat": np.nan})], ignore_index=True)
    trusts = trusts.sort_values("code", ignore_index=True)
    codes = trusts["code"].to_numpy().astype(str)
    t_col = pd.Index(codes).get_indexer(frame["trust_code"].astype(str).to_numpy())
    has = np.zeros(len(codes), dtype=bool)
    has[np.unique(t_col)] = True
    trusts["has_flows"] = has

    # MSOA x trust proportions for the MSOAs of the units
    msoa_keys, unit_msoa_id = np.unique(unit_msoa, return_inverse=True)
    f_msoa = frame["msoa_code"].astype(str).to_numpy()
    f_row = pd.Index(msoa_keys).get_indexer(f_msoa)
    in_units = f_row >= 0
    prop = frame["proportion"].to_numpy(float)
    q = sp.csr_array((prop[in_units], (f_row[in_units], t_col[in_units])),
                     shape=(len(msoa_keys), len(codes)))
    no_flows = msoa_keys[np.diff(q.indptr) == 0]
    if len(no_flows):
        _note(notes, f"{label}: {len(no_flows)} MSOA(s) of the units have no flows "
                     f"({', '.join(no_flows[:10])}); their residents' activity counts as unrecorded")
    proportions = sp.csr_array(q[unit_msoa_id])

    # supply side: MSOAs outside the units
    outside_activity, unmatched = None, []
    if outside_population is not None:
        out_msoa = f_msoa[~in_units]
        pops = pd.Series(outside_population).reindex(out_msoa).to_numpy(float)
        missing = np.isnan(pops)
        if missing.any():
            unmatched = sorted(set(out_msoa[missing]))
            _note(notes, f"{label}: {len(unmatched)} MSOA(s) in the flows are neither units nor in the "
                         f"England population table ({', '.join(unmatched[:10])}); their flows cannot be "
                         "weighted and are left out of the catchments")
        outside_activity = np.bincount(t_col[~in_units][~missing],
                                       weights=pops[~missing] * prop[~in_units][~missing], minlength=len(codes))
    elif (~in_units).any():
        notes.append(f"{label}: {len(set(f_msoa[~in_units])):,} MSOA(s) outside the units have flows but no "
                     "population was given; catchments and self-sufficiency cannot be measured")

    # where each trust is: point in unit (EPSG:27700)
    xy = np.full((len(trusts), 2), np.nan)
    ok = trusts["lon"].notna().to_numpy() & trusts["lat"].notna().to_numpy()
    if ok.any():
        pts = gpd.GeoSeries(gpd.points_from_xy(trusts.loc[ok, "lon"], trusts.loc[ok, "lat"]), crs=4326).to_crs(27700)
        xy[ok] = shapely.get_coordinates(pts.values)
    trusts["x"], trusts["y"] = xy[:, 0], xy[:, 1]
    unit_of = np.full(len(trusts), -1, dtype=np.int64)
    if ok.any():
        tree = shapely.STRtree(np.asarray(units.geometry.values))
        p_idx, u_idx = tree.query(shapely.points(xy[ok]), predicate="intersects")
        first = np.unique(p_idx, return_index=True)[1]
        unit_of[np.flatnonzero(ok)[p_idx[first]]] = u_idx[first]
    trusts["unit"] = unit_of
    located = unit_of >= 0
    b_codes = units["borough"].to_numpy().astype(str)
    b_names = units["borough_name"].to_numpy().astype(str) if "borough_name" in units else b_codes
    trusts["borough"] = np.where(located, b_codes[np.maximum(unit_of, 0)], "")
    trusts["borough_name"] = np.where(located, b_names[np.maximum(unit_of, 0)], "outside London")
    return cls(int(year), label, unit_codes, proportions, trusts, outside_activity,
               outside_year if outside_activity is not None else None, notes, unmatched)


def _geographies(source: Any) -> Geographies:
    """The Geographies of ``source`` (itself, or an Engine's / index's ``geo``)."""
    if isinstance(source, Geographies):
        return source
    geo = getattr(source, "geo", None)
    if isinstance(geo, Geographies):
        return geo
    raise TypeError(f"expected Geographies, UnitIndex or Engine, not {type(source).__name__}")


