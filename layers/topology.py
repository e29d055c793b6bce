"""A small TopoJSON encoder for polygon coverages, and a compact packing of it.

Why: a coverage of 4,835 London LSOAs drawn as GeoJSON repeats every shared
edge twice and spells every coordinate as a decimal.  TopoJSON stores each
edge once (an *arc*), quantises coordinates to integers and stores each arc as
differences between consecutive points, which are short numbers.

:func:`to_topology` returns standard TopoJSON (https://github.com/topojson/
topojson-specification) with a ``transform``, delta-encoded ``arcs`` and one
object holding the features.  :func:`pack_topology` turns that into the
smaller column-wise form that :data:`DECODE_JS` (a 1 kB JavaScript decoder,
no library needed) turns back into GeoJSON in the browser; the map layers in
:mod:`layers.elements` embed that form.

The encoder expects geometry that is already a valid coverage with rounded
coordinates (see :func:`layers.geometry.to_map_geometry`): shared edges must
have identical vertices on both sides, which is what coverage cleaning,
coverage simplification and rounding give.  It still works on anything else,
just with fewer shared arcs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = ["to_topology", "pack_topology", "DECODE_JS"]

_SHIFT = np.int64(1) << np.int64(32)


def _quantise(geoms: np.ndarray, decimals: int):
    """Split geometries into quantised rings.

    Returns the translate origin, the scale, and for every ring its geometry
    number, part number and integer coordinates (closing point removed).
    """
    parts, part_geom = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    scale = 10.0 ** -decimals
    if len(coords):
        origin = np.round(coords.min(axis=0), decimals)
    else:
        origin = np.zeros(2)
    q = np.rint((coords - origin) / scale).astype(np.int64)
    # drop the closing point of every ring and any point equal to the previous one
    keep = np.ones(len(q), dtype=bool)
    last_of_ring = np.r_[coord_ring[1:] != coord_ring[:-1], True]
    keep &= ~last_of_ring
    same_as_prev = np.r_[False, (q[1:] == q[:-1]).all(axis=1) & (coord_ring[1:] == coord_ring[:-1])]
    keep &= ~same_as_prev
    q, coord_ring = q[keep], coord_ring[keep]
    starts = np.searchsorted(coord_ring, np.arange(len(rings)))
    ends = np.searchsorted(coord_ring, np.arange(len(rings)), side="right")
    ring_coords = [q[s:e] for s, e in zip(starts, ends)]
    ring_geom = part_geom[ring_part]
    return origin, scale, ring_geom, ring_part, ring_coords


def _junctions(ring_keys: list[np.ndarray]) -> set[int]:
    """Points met with more than one pair of neighbours (TopoJSON's *join*)."""
    if not ring_keys:
        return set()
    keys = np.concatenate(ring_keys)
    prev = np.concatenate([np.roll(k, 1) for k in ring_keys])
    nxt = np.concatenate([np.roll(k, -1) for k in ring_keys])
    lo, hi = np.minimum(prev, nxt), np.maximum(prev, nxt)
    triples = np.unique(np.stack([keys, lo, hi], axis=1), axis=0)
    pts, counts = np.unique(triples[:, 0], return_counts=True)
    return set(pts[counts > 1].tolist())


def to_topology(
    geoms: np.ndarray,
    *,
    properties: dict[str, list[Any]] | None = None,
    ids: list[Any] | None = None,
    decimals: int = 5,
    object_name: str = "data",
) -> dict[str, Any]:
    """Encode polygons in EPSG:4326 as TopoJSON with shared, quantised arcs.

    Parameters
    ----------
    geoms : array of shapely Polygon / MultiPolygon
        Longitude-latitude geometry, ideally a valid coverage with rounded
        coordinates.
    properties : dict of column name to list, optional
        Feature properties, one list per column, each as long as ``geoms``.
    ids : list, optional
        Feature ids.
    decimals : int
        Quantisation step as decimal places of a degree (5 = 1e-5 degrees).
    object_name : str
        Name of the TopoJSON object holding the features.

    Returns
    -------
    dict
        A TopoJSON ``Topology``; every geometry is written as a
        ``MultiPolygon`` (empty geometries as ``null``).
    """
    geoms = np.asarray(geoms, dtype=object)
    origin, scale, ring_geom, ring_part, ring_coords = _quantise(geoms, decimals)
    ring_keys = [c[:, 0] * _SHIFT + c[:, 1] for c in ring_coords]
    junctions = _junctions(ring_keys)

    arcs: list[np.ndarray] = []
    index: dict[bytes, int] = {}

    def arc_id(seq_keys: np.ndarray, seq_xy: np.ndarray) -> int:
        key = seq_keys.tobytes()
        found = index.get(key)
        if found is not None:
            return found
        rkey = seq_keys[::-1].tobytes()
        found = index.get(rkey)
        if found is not None:
            return ~found
        index[key] = len(arcs)
        arcs.append(seq_xy)
        return len(arcs) - 1

    ring_arcs: list[list[int] | None] = []
    for keys, xy in zip(ring_keys, ring_coords):
        if len(keys) < 3:
            ring_arcs.append(None)  # collapsed by quantisation
            continue
        cuts = [i for i, k in enumerate(keys.tolist()) if k in junctions]
        if not cuts:
            # a closed ring with no junction: start at its smallest point so
            # that a neighbour's copy (e.g. an enclave and the hole around it,
            # in either direction) gets the same key or its reverse
            start = int(np.argmin(keys))
            k = np.roll(keys, -start)
            c = np.roll(xy, -start, axis=0)
            ring_arcs.append([arc_id(np.r_[k, k[:1]], np.vstack([c, c[:1]]))])
            continue
        first = cuts[0]
        k = np.roll(keys, -first)
        c = np.roll(xy, -first, axis=0)
        k, c = np.r_[k, k[:1]], np.vstack([c, c[:1]])
        pos = [i - first for i in cuts] + [len(keys)]
        ring_arcs.append([arc_id(k[a:b + 1], c[a:b + 1]) for a, b in zip(pos[:-1], pos[1:])])

    n = len(geoms)
    polys: list[list[list[list[int]]]] = [[] for _ in range(n)]
    part_rings: dict[int, list[list[int]] | None] = {}
    for g, p, ra in zip(ring_geom.tolist(), ring_part.tolist(), ring_arcs):
        if p not in part_rings:  # exterior ring of a new part
            if ra is None:  # collapsed by quantisation: drop the part
                part_rings[p] = None
                continue
            part_rings[p] = [ra]
            polys[g].append(part_rings[p])
        elif part_rings[p] is not None and ra is not None:
            part_rings[p].append(ra)

    encoded_arcs = []
    for a in arcs:
        d = np.vstack([a[:1], np.diff(a, axis=0)])
        encoded_arcs.append(d.tolist())
    geometries = []
    for i in range(n):
        geom: dict[str, Any] = (
            {"type": "MultiPolygon", "arcs": polys[i]} if polys[i] else {"type": None}
        )
        if ids is not None:
            geom["id"] = ids[i]
        if properties:
            geom["properties"] = {col: vals[i] for col, vals in properties.items()}
        geometries.append(geom)
    return {
        "type": "Topology",
        "transform": {"scale": [scale, scale], "translate": [float(origin[0]), float(origin[1])]},
        "arcs": encoded_arcs,
        "objects": {object_name: {"type": "GeometryCollection", "geometries": geometries}},
    }


def pack_topology(topology: dict[str, Any], object_name: str = "data") -> dict[str, Any]:
    """Pack a topology from :func:`to_topology` column-wise for embedding.

    Parameters
    ----------
    topology : dict
        Output of :func:`to_topology`.
    object_name : str
        Object to pack.

    Returns
    -------
    dict
        ``{"s": scale, "t": translate, "a": [flat delta arcs], "g": [arcs per
        feature or null], "i": [ids] or null, "p": {column: [values]}}`` --
        what :data:`DECODE_JS` reads.
    """
    geoms = topology["objects"][object_name]["geometries"]
    props: dict[str, list[Any]] = {}
    if geoms and "properties" in geoms[0]:
        for col in geoms[0]["properties"]:
            props[col] = [g["properties"][col] for g in geoms]
    return {
        "s": topology["transform"]["scale"],
        "t": topology["transform"]["translate"],
        "a": [[v for pt in arc for v in pt] for arc in topology["arcs"]],
        "g": [g.get("arcs") for g in geoms],
        "i": [g["id"] for g in geoms] if geoms and "id" in geoms[0] else None,
        "p": props,
    }


#: JavaScript that defines ``fpTopoDecode(packed)`` returning a GeoJSON
#: FeatureCollection (idempotent: safe to include once per layer).
DECODE_JS = """window.fpTopoDecode=window.fpTopoDecode||function(t){
var sx=t.s[0],sy=t.s[1],tx=t.t[0],ty=t.t[1],arcs=t.a.map(function(a){
var x=0,y=0,out=[];for(var j=0;j<a.length;j+=2){x+=a[j];y+=a[j+1];
out.push([x*sx+tx,y*sy+ty]);}return out;});
function ring(ids){var out=[];ids.forEach(function(i){var a=i<0?arcs[~i].slice().reverse():arcs[i];
if(out.length)out.pop();for(var j=0;j<a.length;j++)out.push(a[j]);});return out;}
var cols=Object.keys(t.p||{});
return {type:"FeatureCollection",features:t.g.map(function(g,k){
var p={};cols.forEach(function(c){p[c]=t.p[c][k];});
var f={type:"Feature",properties:p,geometry:g?{type:"MultiPolygon",
coordinates:g.map(function(poly){return poly.map(ring);})}:null};
if(t.i)f.id=t.i[k];return f;}).filter(function(f){return f.geometry;})};};
"""
