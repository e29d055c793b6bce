"""Start-up: load every London layer from the processed cache vs from the raw source files.

Target: <= 1 s from the processed cache (GeoParquet keyed by source hashes).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import _common  # noqa: F401
from _common import agree, report, timeit

from boundaries import Settings, build_geographies, load_geographies, settings


def main() -> None:
    base = settings()
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(base.data_dir, Path(tmp), base.data_source)
        load_geographies(config=config)  # warm the processed cache
        cached = load_geographies(config=config)
        raw = build_geographies(config=config)
        agree(len(cached.units) == len(raw.units) == 4835, "4,835 units both ways")
        agree(int(cached.units.population.sum()) == int(raw.units.population.sum()), "same total population")
        agree(all(cached.layer(n).geometry.geom_equals_exact(raw.layer(n).geometry, 1e-6).all()
                  for n in ("borough", "ccg", "stp")), "same dissolved geometries")
        t_cache = timeit(lambda: load_geographies(config=config), repeat=5)
        t_raw = timeit(lambda: build_geographies(config=config), repeat=3)
        report("load all London layers", t_cache, t_raw, target_seconds=1.0, unit="s")


if __name__ == "__main__":
    main()
