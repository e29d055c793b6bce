"""Conversions of pinned ``.rda``/``.xlsx`` sources into the mirror's files, checked against the mirror.

The registry's England datasets are converted (through HTTP) in
``test_fetch_pinned.py``; here every other conversion is run on the original in
the mirror's ``pinned/`` folder and compared with the mirror's file, read with
plain pandas / pyogrio (not through the registry).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from boundaries.convert import CONVERSIONS, convert, read_rda_frame, sf_geometry
from boundaries.errors import CorruptFileError, DataError
from boundaries.pins import RAW_BASE, pin_for, sha256_file
from boundaries.registry import REGISTRY

pytestmark = pytest.mark.timeout(600)

IN_REGISTRY = {d.path for d in REGISTRY.values()}
OTHERS = sorted(p for p in CONVERSIONS if p not in IN_REGISTRY)


def test_every_conversion_has_a_pinned_converted_source():
    for path in CONVERSIONS:
        pin = pin_for(path)
        assert pin is not None and pin.converted and pin.url.startswith(RAW_BASE), path


@pytest.mark.parametrize("mirror_path", OTHERS)
def test_conversion_gives_the_mirror_file(mirror_path, data_dir, tmp_path):
    pin = pin_for(mirror_path)
    source = data_dir / "pinned" / pin.url[len(RAW_BASE):]
    assert sha256_file(source) == pin.source_sha256, f"{source} is not the pinned original"
    dest = tmp_path / "out" / mirror_path
    dest.parent.mkdir(parents=True)
    convert(source, dest, mirror_path, sources=lambda path: data_dir / "pinned" / pin_for(path).url[len(RAW_BASE):])
    if mirror_path.endswith(".gpkg"):
        layer = CONVERSIONS[mirror_path].layer
        a = pyogrio.read_dataframe(data_dir / mirror_path, layer=layer)
        b = pyogrio.read_dataframe(dest, layer=layer)
        assert a.crs == b.crs
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                      pd.DataFrame(b.drop(columns="geometry")), check_exact=True)
        same = shapely.equals_exact(a.geometry.values, b.geometry.values, 0)
        if CONVERSIONS[mirror_path].repair:
            # A polygon invalid in the source is repaired in both: the same shape (Hausdorff 0 m), its rings
            # perhaps starting at another vertex.
            for i in np.flatnonzero(~same):
                assert a.geometry.iloc[i].equals(b.geometry.iloc[i]), a.iloc[i, 0]
                assert shapely.hausdorff_distance(a.geometry.iloc[i], b.geometry.iloc[i]) == 0
            assert (~same).sum() <= 1
        else:
            assert same.all()
    else:
        a = pd.read_csv(data_dir / mirror_path, encoding="utf-8-sig")
        b = pd.read_csv(dest)
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_sf_geometry_builds_points_polygons_with_holes_and_multipolygons():
    ring = np.array([[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], float)
    hole = np.array([[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]], float)
    far = ring + 10
    point, poly, multi = sf_geometry([np.array([1.5, 2.5]), [ring, hole], [[ring], [far]]])
    assert point.equals(shapely.Point(1.5, 2.5))
    assert poly.geom_type == "MultiPolygon" and poly.area == 16 - 1
    assert multi.geom_type == "MultiPolygon" and len(multi.geoms) == 2 and multi.area == 32


def test_a_file_that_is_not_r_data(tmp_path):
    bad = tmp_path / "page.rda"
    bad.write_bytes(b"<!DOCTYPE html><html>not data</html>")
    with pytest.raises(CorruptFileError, match="cannot read the R data file.*Fix: the download is damaged"):
        read_rda_frame(bad)


def test_a_join_needs_the_other_source(data_dir, tmp_path):
    path = "nhs/lookups/lsoa21_sicbl24_icb24_en.csv"
    source = data_dir / "pinned" / pin_for(path).url[len(RAW_BASE):]
    with pytest.raises(DataError, match="also needs england21/lsoa11_lsoa21_ltla22_lookup.csv"):
        convert(source, tmp_path / "x.csv", path)
    assert not (tmp_path / "x.csv").exists()


def test_no_conversion_for_an_unknown_path(tmp_path):
    with pytest.raises(DataError, match="no conversion is defined for x/y.csv.*boundaries/convert.py"):
        convert(tmp_path / "a.rda", tmp_path / "b.csv", "x/y.csv")
