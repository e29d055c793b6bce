"""Deprecated: moved to :mod:`boundaries.flows` (reading the care-flow files is data-layer work).

Kept so that ``from spatial.flows_data import read_flow_file, FlowDataError, ...`` keeps working.
The errors now live in :mod:`boundaries.errors` (data) and :mod:`spatial.errors`
(:class:`~spatial.errors.UnknownTrustError`); :func:`suggest_trusts` in
:mod:`spatial.careflows.providers`.
"""

from boundaries.flows import __all__ as _moved
from boundaries.flows import (  # noqa: F401 - re-exported: __all__
    FLOW_COLUMNS,
    SUM_TOLERANCE,
    FlowTable,
    flow_years,
    read_england_msoa_population,
    read_flow_file,
    read_flows,
    read_trusts,
    trust_display_name,
    validate_flows,
    validate_trusts,
)

from .careflows.providers import suggest_trusts
from .errors import FlowDataError, FlowDataWarning, FlowYearError, UnknownTrustError  # noqa: F401

__all__ = [*_moved, "UnknownTrustError", "suggest_trusts"]
