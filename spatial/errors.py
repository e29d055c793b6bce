"""Typed errors of the engine: scenarios, footprints, thresholds, geographies, proposals and the store.

All derive from :class:`boundaries.errors.FootprintsError`, so one ``except``
catches every user error.  Messages say what is wrong, where (file, line or
field, code) and how to fix it.

The care-flow data errors (:class:`FlowDataError`, :class:`FlowYearError`,
:class:`FlowDataWarning`) are raised by the data layer (:mod:`boundaries.flows`),
defined in :mod:`boundaries.errors` and re-exported here.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from boundaries.errors import FlowDataError, FlowDataWarning, FlowYearError, LocatedError

__all__ = [
    "ScenarioError",
    "ScenarioFormatError",
    "UnknownCodeError",
    "FootprintError",
    "ThresholdError",
    "AssignmentError",
    "ScenarioExistsError",
    "OverlapError",
    "UnknownLayerError",
    "UnknownTrustError",
    "FlowDataError",
    "FlowYearError",
    "FlowDataWarning",
]


class ScenarioError(LocatedError):
    """Base of all scenario problems.

    Takes ``message``, ``where`` (file, line or field) and ``fix``, as
    :class:`boundaries.errors.LocatedError`.
    """


class ScenarioFormatError(ScenarioError):
    """Malformed JSON, wrong ``format``/``version``, wrong types."""


def did_you_mean(suggestions: Sequence[str]) -> str:
    """``" (did you mean A, B?)"``, or ``""`` without suggestions: the hint after an unknown name."""
    return f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""


def unknown_name(error: Exception, kind: str, name: str, suggestions: Sequence[str], *, quoted: bool = False) -> str:
    """``"unknown layer 'x' (did you mean A, B?)"``; sets ``error.name`` and ``error.suggestions``.

    ``quoted`` shows the suggestions as ``repr`` (``'A', 'B'``).
    """
    error.name = name  # type: ignore[attr-defined]
    error.suggestions = list(suggestions)  # type: ignore[attr-defined]
    shown = [repr(x) for x in error.suggestions] if quoted else error.suggestions  # type: ignore[attr-defined]
    return f"unknown {kind} {name!r}{did_you_mean(shown)}"


def list_unknown(codes: list[str], suggestions: dict[str, list[str]], limit: int = 10) -> str:
    """``'X' (did you mean A, B?); 'Y' and 3 more``: unknown codes with their closest known ones."""
    listed = "; ".join(f"{c!r}" + did_you_mean(s) for c, s in list(suggestions.items())[:limit])
    return listed + (f" and {len(codes) - limit} more" if len(codes) > limit else "")


class UnknownCodeError(ScenarioError):
    """Codes that name no unit, MSOA, ward, borough, CCG or STP (or a name several areas share).

    Attributes
    ----------
    codes : list of str
        The unknown codes.
    suggestions : dict
        Code -> closest known codes.
    """

    def __init__(self, codes, suggestions, *, where: str | None = None) -> None:
        self.codes = list(codes)
        self.suggestions = dict(suggestions)
        super().__init__(
            f"{len(self.codes)} unknown code(s): {list_unknown(self.codes, self.suggestions)}", where=where,
            fix="use GSS codes of LSOAs (E01), MSOAs (E02), wards (E05), boroughs (E09), CCGs (E38) or "
                "STPs (E54), or their names (a name several areas share needs the code)",
        )


class FootprintError(ScenarioError):
    """A footprint that cannot be built: no members, unknown level, bad parent, duplicate name."""


class ThresholdError(ScenarioError):
    """Thresholds that make no sense (negative, min above max, a share above 100%)."""


class AssignmentError(ScenarioError):
    """An assignment CSV with missing columns or blank codes."""


class ScenarioExistsError(ScenarioError):
    """A save would replace a file holding another scenario (or something that is not a scenario)."""


class OverlapError(ScenarioError):
    """An overlap that cannot be computed: an empty layer, a bad level, bad geometry input."""


class UnknownLayerError(OverlapError):
    """A layer name that is neither a named layer nor a scenario.

    Attributes
    ----------
    name : str
        What was asked for.
    suggestions : list of str
        The closest known layer names (and scenario ids when given).
    """

    def __init__(self, name: str, suggestions: list[str], known: Iterable[str], *, where: str | None = None) -> None:
        message = unknown_name(self, "layer", name, suggestions, quoted=True)
        super().__init__(message, where=where, fix=f"use one of {', '.join(known)}, or a scenario (.json file)")


class UnknownTrustError(ScenarioError):
    """Trust codes in a core-provider override that name no known trust.

    Attributes
    ----------
    codes : list of str
        The unknown codes.
    suggestions : dict
        Code -> closest known trust codes (with names).
    """

    def __init__(self, codes: Iterable[str], suggestions: Mapping[str, list[str]], *,
                 where: str | None = None) -> None:
        self.codes = list(codes)
        self.suggestions = dict(suggestions)
        super().__init__(
            f"{len(self.codes)} unknown trust code(s) in core_providers: "
            f"{list_unknown(self.codes, self.suggestions)}", where=where,
            fix="use NHS ODS trust codes such as RJZ (King's College Hospital); `python -m spatial flows "
                "--trusts` lists them, or remove core_providers to use the trusts located inside the footprint",
        )


# --- proposals (spatial.proposals, spatial.graph) ---------------------------------------------

__all__ += ["ProposalError", "UnknownAreaError", "InfeasibleRangeError", "DisconnectedAreasError",
            "SearchTooLargeError", "CountInfeasibleError", "ClusterError"]


class ProposalError(ScenarioError):
    """Base of every problem with a proposal request (a :class:`ScenarioError`)."""


class UnknownAreaError(ProposalError):
    """A borough, STP or area that does not exist.

    Attributes
    ----------
    name : str
        What was asked for.
    suggestions : list of str
        The closest known codes/names.
    """

    def __init__(self, name: str, kind: str, suggestions: Sequence[str], known: Sequence[str],
                 *, where: str | None = None) -> None:
        shown = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
        message = unknown_name(self, kind, name, suggestions)
        super().__init__(message, where=where, fix=f"give the code or name of a {kind}: {shown}")


class InfeasibleRangeError(ProposalError):
    """No split of the areas can meet the population range.

    Attributes
    ----------
    nearest : list of tuple
        ``(low, high, n_parts)``: the nearest ranges that arithmetic allows.
    """

    def __init__(self, message: str, nearest: Sequence[tuple[int, int, int]], *, where: str | None = None) -> None:
        self.nearest = list(nearest)
        if self.nearest:
            opts = " or ".join(f"{lo:,}–{hi:,} ({k} part{'s' if k != 1 else ''})" for lo, hi, k in self.nearest)
            fix = f"the nearest achievable range is {opts}; change the range (thresholds locality_min/locality_max)"
        else:
            fix = "change the population range"
        super().__init__(message, where=where, fix=fix)


class DisconnectedAreasError(ProposalError):
    """Areas that must be split into contiguous pieces are not one connected piece.

    Attributes
    ----------
    pieces : list of list of str
        Codes of the areas in each piece, largest piece first.
    """

    def __init__(self, label: str, pieces: Sequence[Sequence[str]], *, where: str | None = None) -> None:
        self.pieces = [list(p) for p in pieces]
        shown = "; ".join(
            f"piece {i + 1}: {len(p)} area(s) ({', '.join(p[:4])}{'…' if len(p) > 4 else ''})"
            for i, p in enumerate(self.pieces[:6]))
        super().__init__(f"{label} is in {len(self.pieces)} separate pieces (islands): {shown}", where=where,
                         fix="choose areas that form one connected piece, or propose for each piece separately")


class SearchTooLargeError(ProposalError):
    """An exact search that would examine too many combinations."""


class CountInfeasibleError(ProposalError):
    """A group cannot be split into the asked number of contiguous regions."""


class ClusterError(ScenarioError):
    """An ICB-cluster question (:mod:`spatial.clusters`) that cannot be answered (no ICBs, no councils, bad sizes)."""


# --- geographies, preloaded scenarios, GP practices (spatial.geography, spatial.preloaded, spatial.pcns)

__all__ += ["GeographyMismatchError", "UnknownPreloadedError", "PracticeDataError", "UnallocatedPCNError"]


class GeographyMismatchError(UnknownCodeError):
    """A scenario, or codes in it, of the other geography than the one loaded."""

    def __init__(self, message: str, *, codes=(), where: str | None = None, fix: str | None = None) -> None:
        ScenarioError.__init__(self, message, where=where, fix=fix)
        self.codes = list(codes)
        self.suggestions = {}


class UnknownPreloadedError(ScenarioError, KeyError):
    """No preloaded scenario has that id or name (a ``KeyError`` too).

    Attributes
    ----------
    key : str
        What was asked for.
    suggestions : list of str
        The closest ids.
    """

    __str__ = Exception.__str__  # KeyError would quote the message

    def __init__(self, key: str, suggestions: list[str], known: list[str]) -> None:
        self.key = key
        self.suggestions = list(suggestions)
        hint = f" (did you mean {', '.join(map(repr, suggestions))}?)" if suggestions else ""
        super().__init__(f"no preloaded scenario {key!r}{hint}", where="preloaded scenarios",
                         fix=f"use one of {', '.join(known)}")


class PracticeDataError(ScenarioError):
    """Practice data that cannot be used (a practice without coordinates, a missing column)."""


class UnallocatedPCNError(ScenarioError):
    """PCN code "U": the unallocated practices, which are not a network."""


# --- scenario store (spatial.store) ------------------------------------------------------------

__all__ += ["StoreError", "NotFoundError", "NameTakenError", "ConflictError", "StoreUnavailableError",
            "StoreCorruptError"]


class StoreError(LocatedError):
    """Base of every scenario-store problem.

    Parameters
    ----------
    message : str
        What is wrong.
    where : str, optional
        The database (password hidden) or scenario concerned.
    fix : str, optional
        What to do about it.
    """


class NotFoundError(StoreError):
    """No such scenario or version for this user.

    The message is the same whether the id is malformed, unknown, deleted or
    private to someone else, so a crafted link learns nothing.
    """

    def __init__(self) -> None:
        super().__init__("scenario not found")


class NameTakenError(StoreError):
    """Another live scenario already has this name (names are never overwritten)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a scenario named {name!r} already exists", where="save as",
                         fix="choose another name, or open that scenario and save a new version of it")


class ConflictError(StoreError):
    """The save was based on version ``based_on`` but someone saved ``latest`` meanwhile.

    Attributes
    ----------
    scenario_id : str
    based_on : int
        Version the user started from.
    latest : int
        Latest version in the store now.
    latest_author : str
        Who saved it.
    """

    def __init__(self, scenario_id: str, based_on: int, latest: int, latest_author: str = "") -> None:
        self.scenario_id, self.based_on, self.latest, self.latest_author = scenario_id, based_on, latest, latest_author
        by = f" by {latest_author}" if latest_author else ""
        super().__init__(f"version {latest} was saved{by} after the version {based_on} you started from; "
                         "nothing was overwritten", where="save",
                         fix="compare the two, then keep yours as a new version or take theirs")


class StoreUnavailableError(StoreError):
    """The database is locked, read-only, full, unreachable or otherwise refused the operation.

    Attributes
    ----------
    reason : str
        ``locked``, ``read-only``, ``full``, ``unreachable`` or ``failed``.
    """

    def __init__(self, reason: str, message: str, *, where: str, fix: str) -> None:
        self.reason = reason
        super().__init__(message, where=where, fix=fix)


class StoreCorruptError(StoreError):
    """A stored version's body does not match its SHA-256 (damaged outside Footprints)."""
