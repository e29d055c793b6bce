"""What the proposal modules share: naming an STP the way planners do, and the words of a proposal.

Systems (:mod:`spatial.proposals.systems`, :mod:`spatial.proposals.partitions`)
and localities (:mod:`spatial.proposals.localities`) all take an STP by code,
name or initials; :func:`resolve_stp` is the one place that reads it.
"""

from __future__ import annotations

import difflib

from ..errors import UnknownAreaError

__all__ = ["resolve_stp", "SYSTEMS_SOURCE"]

#: Where a proposed system or partition comes from, as its scenario's ``source`` says.
SYSTEMS_SOURCE = ("Footprints automatic proposal from the real boundaries and population; thresholds from "
                  "Healthy London Partnership (2018)")


def _m(pop: float) -> str:
    """A population in millions for the explanations: ``2_310_000`` -> ``"2.31m"``."""
    return f"{pop / 1e6:.2f}m"


def _initials(name: str) -> str:
    """Initials of a name, as planners abbreviate STPs: ``"North West London"`` -> ``"NWL"``."""
    return "".join(w[0] for w in name.replace("-", " ").split() if w[:1].isalpha()).upper()


def resolve_stp(index, stp: str) -> int:
    """STP id of a code, name or initials (``"NWL"``), case-insensitive.

    Parameters
    ----------
    index : UnitIndex
        Its ``stp`` layer holds the codes and names.
    stp : str
        Code (``"E54000027"``), name (``"North West London"``) or initials (``"NWL"``).

    Returns
    -------
    int
        Position of the STP in ``index.layer_codes["stp"]``.

    Raises
    ------
    UnknownAreaError
        With the closest STP names.
    """
    codes = [str(c) for c in index.layer_codes["stp"]]
    names = [str(n) for n in index.layer_names["stp"]]
    key = str(stp).strip()
    for i, (c, nm) in enumerate(zip(codes, names)):
        if key.upper() == c or key.casefold() == nm.casefold() or key.upper() == _initials(nm):
            return i
    pool = {nm.casefold(): f"{nm} ({c})" for c, nm in zip(codes, names)}
    pool.update({c.casefold(): f"{nm} ({c})" for c, nm in zip(codes, names)})
    near = difflib.get_close_matches(key.casefold(), list(pool), n=2, cutoff=0.5)
    known = [f"{nm} ({c}, {_initials(nm)})" for c, nm in zip(codes, names)]
    raise UnknownAreaError(key, "STP", list(dict.fromkeys(pool[k] for k in near)), known, where="--stp")
