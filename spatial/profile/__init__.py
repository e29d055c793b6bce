"""Who lives in a footprint: residents by age band, and by national deprivation.

The profile is computed from unit arrays, as the tallies are: after one click
it is a few ``np.bincount`` calls, not a table operation.  Every figure
names its year and source (:attr:`Profile.sources`).

>>> from spatial.api import Engine                                  # doctest: +SKIP
>>> p = engine.profile(Footprint("K&R", "multi_borough", ("E09000021", "E09000027")))
>>> p.summary()                                                      # doctest: +SKIP
'65+ 15.6%, 75+ 7.3% · Core20 2.3% · mean IMD rank 22,473 · Core20 gap 1.9 pts'

Definitions
-----------
* **Core20**: residents of the most deprived national quintile of the IMD
  2019 (deciles 1 and 2), NHS England's Core20PLUS5 "Core20".
* **Mean IMD rank**: residents-weighted mean of the units' national IMD ranks
  (1 = most deprived of 32,844 LSOAs); lower is more deprived.
* **Core20 gap**: the difference in Core20 share between the footprint's most
  and least deprived constituent areas (boroughs for a multi-borough system or
  STP; wards, or the localities given, for a borough or locality).  Only
  constituents holding at least ``GAP_MIN_PART_SHARE`` (5%) of the footprint's
  residents count (``Constituent.counted``).

The package, one job per module:

* :mod:`~spatial.profile.data`: :class:`ProfileData` (the unit arrays) and the age/IMD labels;
* :mod:`~spatial.profile.model`: :class:`Profile` and :class:`Constituent`, and their words;
* :mod:`~spatial.profile.measure`: :func:`profile_units`, :func:`constituent_layer`,
  :func:`area_core20_shares`;
* :mod:`~spatial.profile.tables`: :func:`profiles_for_sets`, :func:`profile_table`,
  :data:`PROFILE_COLUMNS`, :func:`locality_need_summary`.

``from spatial.profile import ...`` keeps working for every public name.
"""

from __future__ import annotations

from .data import CORE20_DECILES, IMD_LABEL, IMD_SOURCE, ProfileData
from .measure import area_core20_shares, constituent_layer, profile_units
from .model import Constituent, Profile
from .tables import PROFILE_COLUMNS, locality_need_summary, profile_table, profiles_for_sets

__all__ = ["ProfileData", "Profile", "Constituent", "profile_units", "profiles_for_sets",
           "constituent_layer", "IMD_LABEL", "CORE20_DECILES", "IMD_SOURCE", "area_core20_shares",
           "PROFILE_COLUMNS", "profile_table", "locality_need_summary"]
