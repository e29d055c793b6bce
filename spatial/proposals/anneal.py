"""spopt's max-p simulated annealing, made to end (a fix of pysal/spopt#506 for spopt 0.7).

:func:`_anneal` is the annealing phase of ``spopt.region.maxp`` with one
change, so :func:`spatial.proposals.maxp.max_p_regions` always returns.
Delete this module when the project can require spopt 0.8 (Python 3.12).
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def _anneal(labels, regions: dict, attrs: dict, pops: np.ndarray, w, dist: np.ndarray, floor: float,
            max_no_move: int, alpha: float = 0.998, tabu_length: int = 10) -> tuple[list, dict, dict]:
    """spopt's max-p simulated annealing (``maxp._perform_sa``), made to end.

    spopt 0.7 loops for ever when every area it may move borders no other
    region (such a move is skipped without counting, and the same areas come
    back): pysal/spopt#506, fixed in spopt 0.8, which needs Python 3.12.  Here,
    when a fresh list of candidate areas holds only such areas, annealing
    stops.  In every other case this makes the same moves from the same
    random draws as spopt, with spopt's own move search and move check.
    """
    from spopt.region import maxp as spopt_maxp

    labels = list(labels)
    regions = {k: list(v) for k, v in regions.items()}
    attrs = dict(attrs)
    temperature, idle, tabu = 1.0, 0, []
    candidates: list = []
    checked = False  # a real move was weighed since the candidates were last listed
    while idle <= max_no_move:
        if not candidates:
            candidates = list(spopt_maxp._pick_move_area(labels, regions, attrs, pops, w, dist, floor))
            checked = False
            if not candidates:
                break
        area = candidates[np.random.randint(len(candidates))]
        lost, added, move = spopt_maxp._check_move(area, labels, regions, pops, w, dist, floor)
        if move is None:  # no neighbouring region to move to
            candidates.remove(area)
            if not candidates and not checked:
                break  # spopt 0.7 would list the same areas again, for ever
            continue
        checked = True
        gain = lost - added
        donor, recipient = move[1], move[2]
        if gain > 0:
            accept = True
            if (area, recipient, donor) not in tabu:
                if len(tabu) == tabu_length:
                    tabu.pop(0)
                tabu.append((area, recipient, donor))
            idle = 0
        else:
            idle += 1
            accept = bool(np.exp(gain / temperature) > np.random.random()) and move not in tabu
        candidates.remove(area)
        if accept:
            labels[area] = recipient
            regions[donor].remove(area)
            regions[recipient].append(area)
            attrs[donor] -= pops[area]
            attrs[recipient] += pops[area]
            candidates = [a for a in candidates if labels[a] != recipient and labels[a] != donor]
        temperature *= alpha
    return labels, regions, attrs
