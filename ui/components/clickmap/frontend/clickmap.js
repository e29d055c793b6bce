/* Footprints click map: a Streamlit component (protocol v1) around Leaflet.
 *
 * The shapes are fetched once (args.data_file) and kept; every render only
 * restyles the units whose footprint changed.  A click is reported as a new
 * event with an increasing sequence number, so clicking the same unit twice
 * is two events.  All text from data or users goes through textContent.
 */
(function () {
  "use strict";

  var UNASSIGNED = -1, DOUBLE = -2, MAX_EVENTS = 40;
  var NONCE = Math.random().toString(36).slice(2) + Date.now().toString(36);

  var S = {
    map: null, renderer: null, dataFile: null, data: null, loadingFile: null,
    units: null, styles: [], geoms: [], boxes: null, keys: [], assign: [], names: [], colours: [], editing: -1,
    pieces: {}, highlight: true, caption: "", height: 0, pending: null,
    seq: 0, events: [], flash: -1, hover: -1, paint: false, zoomToken: null,
    info: null, legend: null, captionBox: null, messageBox: null, live: null,
    down: null, preview: {}, previewMode: null, arrived: null, queued: null, readyToken: "", readySent: false
  };
  // read by the browser tests and the start-up benchmark
  var probe = window.__clickmap = {
    nonce: NONCE, renders: 0, applied: 0, lastRenderAt: 0, lastAppliedAt: 0, lastClickAt: 0,
    drawn: 0, ready: false, map: null, error: null, unitIndex: null
  };

  function now() { return performance.timeOrigin + performance.now(); }

  function post(type, extra) {
    var msg = { isStreamlitMessage: true, type: type };
    if (extra) { for (var k in extra) { msg[k] = extra[k]; } }
    window.parent.postMessage(msg, "*");
  }

  function sendEvent(action, code) {
    S.seq += 1;
    S.events.push([S.seq, action, code || ""]);
    if (S.events.length > MAX_EVENTS) { S.events.shift(); }
    post("streamlit:setComponentValue", { value: { nonce: NONCE, events: S.events.slice() }, dataType: "json" });
  }

  function setHeight(h) {
    if (h && h !== S.height) {
      S.height = h;
      document.getElementById("map").style.height = h + "px";
      if (S.map) { S.map.invalidateSize(false); }
    }
    post("streamlit:setFrameHeight", { height: document.body.scrollHeight || h });
  }

  // A new session's first Sketch run waits for this before it loads the engine (ui/map_ready.py): sent once,
  // to the server (never from the HTTP cache), when the map needs nothing more from it (Leaflet and the data
  // have arrived; the drawing is done here) or cannot be drawn.
  function saidReady() {
    if (!S.readyToken || S.readySent) { return; }
    S.readySent = true;
    fetch("ready.txt?t=" + encodeURIComponent(S.readyToken), { cache: "no-store", credentials: "same-origin" })
      .catch(function () { /* the server then waits its bounded time */ });
  }

  function problem(text) {
    probe.error = text;
    saidReady();
    if (!domReady) { document.addEventListener("DOMContentLoaded", function () { problem(text); }); return; }
    var box = document.getElementById("problem");
    box.textContent = text;
    box.hidden = false;
    setHeight(S.height || 120);
  }

  // --- packed TopoJSON (layers/topology.py) -> Leaflet lat-lng arrays, one per unit position ---
  function decode(t) {
    var sx = t.s[0], sy = t.s[1], tx = t.t[0], ty = t.t[1];
    var arcs = t.a.map(function (a) {
      var x = 0, y = 0, out = [];
      for (var j = 0; j < a.length; j += 2) { x += a[j]; y += a[j + 1]; out.push([y * sy + ty, x * sx + tx]); }
      return out;
    });
    function ring(ids) {
      var out = [];
      ids.forEach(function (i) {
        var a = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
        if (out.length) { out.pop(); }
        for (var j = 0; j < a.length; j++) { out.push(a[j]); }
      });
      return out;
    }
    return t.g.map(function (g) { return g ? g.map(function (poly) { return poly.map(ring); }) : null; });
  }

  // --- styles ---
  function styleKey(i) {
    var k = S.assign[i];
    if (k === undefined) { k = UNASSIGNED; }
    var colour = k >= 0 ? S.colours[k % Math.max(S.colours.length, 1)] : "";
    return k + "|" + colour + "|" + (k >= 0 && k === S.editing ? 1 : 0) + "|" + (S.pieces[i] ? 1 : 0) +
      "|" + (k === UNASSIGNED && S.highlight ? 1 : 0) + "|" + (i === S.flash ? 1 : 0) + "|" + (i === S.hover ? 1 : 0) +
      "|" + (S.preview[i] ? S.previewMode : "");
  }

  function styleOf(i) {
    var k = S.assign[i];
    var st = { stroke: true, color: "#9a9a9a", weight: 0.35, opacity: 0.7, fill: true,
               fillColor: "#ffffff", fillOpacity: 0.0, dashArray: null };
    if (k >= 0) {
      st.fillColor = S.colours[k % Math.max(S.colours.length, 1)] || "#888888";
      st.fillOpacity = k === S.editing ? 0.78 : 0.55;  // layers.style.SKETCH_FILL_OPACITY
      st.color = k === S.editing ? "#222222" : "#777777";
      st.weight = k === S.editing ? 0.6 : 0.35;
    } else if (k === DOUBLE) {
      st.fillColor = "#000000"; st.fillOpacity = 0.6; st.color = "#000000";
    } else if (S.highlight) {
      st.fillColor = "#DDAA33"; st.fillOpacity = 0.16;
    }
    if (S.preview[i]) {  // a paint stroke under way: what the stroke will do, before the server confirms
      if (S.previewMode === "add") {
        st.fillColor = S.colours[S.editing % Math.max(S.colours.length, 1)] || "#888888"; st.fillOpacity = 0.78;
      } else { st.fillColor = "#ffffff"; st.fillOpacity = 0.85; }
      st.color = "#000000"; st.weight = 1.2; st.opacity = 1;
    }
    if (S.pieces[i]) { st.color = "#000000"; st.weight = 2.2; st.opacity = 1; st.dashArray = "5 4"; }
    if (i === S.hover) { st.color = "#000000"; st.weight = Math.max(st.weight, 1.6); st.opacity = 1; }
    if (i === S.flash) { st.color = "#000000"; st.weight = 3; st.opacity = 1; }
    return st;
  }

  function restyle(i, force) {
    if (!S.units || !S.geoms[i]) { return false; }
    var key = styleKey(i);
    if (!force && key === S.keys[i]) { return false; }
    S.keys[i] = key;
    S.styles[i] = styleOf(i);
    S.units.redrawUnit(i);
    return true;
  }

  // --- the units: one canvas path drawing every unit from typed arrays ---
  // 4,835 Leaflet polygons cost ~0.4 s to build (a LatLng and a Point object per vertex, ~160k of each)
  // and their garbage; here each vertex is projected once into a Float64Array at zoom 0, scaled to the view
  // on draw, and a restyle redraws only the unit's box.  The hit test stays on the decoded shapes (unitAt).
  var D2R = Math.PI / 180, MAX_LAT = 85.0511287798;

  function project0(lat, lng) {  // EPSG:3857 pixel at zoom 0 (Leaflet's CRS.EPSG3857.latLngToPoint(ll, 0))
    var y = Math.max(Math.min(MAX_LAT, lat), -MAX_LAT) * D2R;
    return [256 * (0.5 + lng / 360), 256 * (0.5 - Math.log(Math.tan(Math.PI / 4 + y / 2)) / (2 * Math.PI))];
  }

  function flatten(geoms) {  // per unit its rings (every part's outer ring and holes), projected at zoom 0
    var nPts = 0, nRings = 0, u, p, r;
    for (u = 0; u < geoms.length; u++) {
      (geoms[u] || []).forEach(function (poly) { poly.forEach(function (ring) { nRings++; nPts += ring.length; }); });
    }
    var xy = new Float64Array(2 * nPts), ringOff = new Int32Array(nRings + 1);
    var unitRing = new Int32Array(geoms.length + 1);
    var box = new Float64Array(4 * geoms.length), k = 0, q = 0;
    for (u = 0; u < geoms.length; u++) {
      unitRing[u] = q;
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, g = geoms[u] || [];
      for (p = 0; p < g.length; p++) {
        for (r = 0; r < g[p].length; r++) {
          var ring = g[p][r];
          ringOff[q++] = k;
          for (var j = 0; j < ring.length; j++) {
            var pt = project0(ring[j][0], ring[j][1]);
            xy[2 * k] = pt[0]; xy[2 * k + 1] = pt[1]; k++;
            if (pt[0] < x0) { x0 = pt[0]; } if (pt[0] > x1) { x1 = pt[0]; }
            if (pt[1] < y0) { y0 = pt[1]; } if (pt[1] > y1) { y1 = pt[1]; }
          }
        }
      }
      box[4 * u] = x0; box[4 * u + 1] = y0; box[4 * u + 2] = x1; box[4 * u + 3] = y1;
    }
    unitRing[geoms.length] = q;
    ringOff[nRings] = k;
    var all = [Infinity, Infinity, -Infinity, -Infinity];  // every unit's box together (zoom 0)
    for (u = 0; u < geoms.length; u++) {
      if (box[4 * u] === Infinity) { continue; }
      all[0] = Math.min(all[0], box[4 * u]); all[1] = Math.min(all[1], box[4 * u + 1]);
      all[2] = Math.max(all[2], box[4 * u + 2]); all[3] = Math.max(all[3], box[4 * u + 3]);
    }
    return { xy: xy, ringOff: ringOff, unitRing: unitRing, box: box, all: all };
  }

  var UnitsPath = null;  // made once Leaflet has loaded (this script runs before it)

  function unitsPath(flat, n) {
    UnitsPath = UnitsPath || L.Path.extend({
      options: { interactive: false },  // clicks and hover: the pointer handlers and unitAt
      initialize: function (flat, n) { this._flat = flat; this._n = n; },
      _project: function () {
        var map = this._map;
        this._scale = map.getZoomScale(map.getZoom(), 0);
        this._origin = map.getPixelOrigin();
        var a = this._flat.all, s = this._scale, o = this._origin;
        this._pxBounds = a[0] === Infinity ? null
          : L.bounds([a[0] * s - o.x - 4, a[1] * s - o.y - 4], [a[2] * s - o.x + 4, a[3] * s - o.y + 4]);
      },
      _update: function () {},
      _empty: function () { return !this._pxBounds; },
      _containsPoint: function () { return false; },
      unitBounds: function (u) {  // the unit's box in layer pixels, padded for its outline
        var b = this._flat.box, s = this._scale, o = this._origin, pad = 4;
        return L.bounds([b[4 * u] * s - o.x - pad, b[4 * u + 1] * s - o.y - pad],
                        [b[4 * u + 2] * s - o.x + pad, b[4 * u + 3] * s - o.y + pad]);
      },
      redrawUnit: function (u) {  // as Leaflet's _requestRedraw(layer), for one unit's box
        var r = this._renderer;
        if (!this._map || !r || this._flat.box[4 * u] === Infinity) { return; }
        var b = this.unitBounds(u);
        r._redrawBounds = r._redrawBounds || new L.Bounds();
        r._redrawBounds.extend(b.min);
        r._redrawBounds.extend(b.max);
        r._redrawRequest = r._redrawRequest || L.Util.requestAnimFrame(r._redraw, r);
      },
      _updatePath: function () {
        var ctx = this._renderer._ctx, clip = this._renderer._redrawBounds, f = this._flat, xy = f.xy;
        var s = this._scale, ox = this._origin.x, oy = this._origin.y, b = f.box;
        for (var u = 0; u < this._n; u++) {
          var st = S.styles[u];
          if (!st || b[4 * u] === Infinity) { continue; }
          if (clip && (b[4 * u + 2] * s - ox < clip.min.x - 4 || b[4 * u] * s - ox > clip.max.x + 4 ||
                       b[4 * u + 3] * s - oy < clip.min.y - 4 || b[4 * u + 1] * s - oy > clip.max.y + 4)) { continue; }
          ctx.beginPath();
          for (var q = f.unitRing[u]; q < f.unitRing[u + 1]; q++) {
            var a = f.ringOff[q], z = f.ringOff[q + 1], lx = xy[2 * a] * s - ox, ly = xy[2 * a + 1] * s - oy;
            ctx.moveTo(lx, ly);
            for (var j = a + 1; j < z; j++) {  // a vertex within half a pixel of the last one drawn adds nothing
              var x = xy[2 * j] * s - ox, y = xy[2 * j + 1] * s - oy;
              if (j === z - 1 || Math.abs(x - lx) + Math.abs(y - ly) > 0.5) { ctx.lineTo(x, y); lx = x; ly = y; }
            }
            ctx.closePath();
          }
          if (st.fill && st.fillOpacity > 0) {
            ctx.globalAlpha = st.fillOpacity;
            ctx.fillStyle = st.fillColor;
            ctx.fill("evenodd");
          }
          if (st.stroke && st.weight) {
            ctx.setLineDash(st.dashArray ? st.dashArray.split(" ").map(Number) : []);
            ctx.globalAlpha = st.opacity;
            ctx.lineWidth = st.weight;
            ctx.strokeStyle = st.color;
            ctx.lineCap = "round";
            ctx.lineJoin = "round";
            ctx.stroke();
          }
        }
        ctx.setLineDash([]);
        ctx.globalAlpha = 1;
      }
    });
    return new UnitsPath(flat, n);
  }

  // --- map controls (text only through textContent) ---
  function line(parent, text, cls) {
    var div = document.createElement("div");
    if (cls) { div.className = cls; }
    div.textContent = text;
    parent.appendChild(div);
    return div;
  }

  function control(position, cls) {
    var c = L.control({ position: position });
    c.onAdd = function () {
      var div = L.DomUtil.create("div", "cm-box " + (cls || ""));
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    c.addTo(S.map);
    return c.getContainer();
  }

  function showInfo(i) {
    var box = S.info;
    box.textContent = "";
    if (i < 0 || !S.data) {
      line(box, S.paint ? "Click a unit, or press and drag to paint" : "Click a unit to add or remove it",
           "cm-muted");
      line(box, "Keys: arrows move, Enter takes the unit under the cross, B next brush, ] [ next / previous " +
           "footprint, F zooms to the footprint, Ctrl+Z undo, Ctrl+Y redo", "cm-muted");
      return;
    }
    var d = S.data, areas = d.areas;
    var head = line(box, "");
    var b = document.createElement("b");
    b.textContent = d.names[i];
    head.appendChild(b);
    head.appendChild(document.createTextNode(" " + d.codes[i]));
    // the layers this geography has (2024 units have no MSOA; places and sub-ICB locations, not boroughs and CCGs)
    var labels = d.geography === "2024"
      ? { msoa: "MSOA", ward: "Ward (2024)", borough: "Place", ccg: "Sub-ICB location" }
      : { msoa: "MSOA", ward: "Ward", borough: "Borough", ccg: "CCG" };
    ["msoa", "ward", "borough", "ccg"].forEach(function (k) {
      if (areas[k] && d[k]) { line(box, labels[k] + ": " + areas[k].names[d[k][i]]); }
    });
    var k = S.assign[i];
    line(box, k >= 0 ? "Footprint: " + S.names[k] : (k === DOUBLE ? "In two or more footprints" : "Not in a footprint"),
         "cm-muted");
  }

  function swatch(parent, colour, opacity, dashed) {
    var sw = document.createElement("span");
    sw.className = "cm-sw" + (dashed ? " cm-dash" : "");
    if (!dashed) { sw.style.background = colour; sw.style.opacity = String(opacity); }
    parent.appendChild(sw);
  }

  function showLegend() {
    var box = S.legend;
    box.textContent = "";
    var shown = Math.min(S.names.length, 12);
    for (var k = 0; k < shown; k++) {
      var row = line(box, "", k === S.editing ? "cm-edit" : "");
      swatch(row, S.colours[k % Math.max(S.colours.length, 1)], k === S.editing ? 0.9 : 0.55);
      row.appendChild(document.createTextNode(S.names[k]));
    }
    if (S.names.length > shown) { line(box, "and " + (S.names.length - shown) + " more", "cm-muted"); }
    var r;
    if (S.highlight) { r = line(box, ""); swatch(r, "#DDAA33", 0.35); r.appendChild(document.createTextNode("not in a footprint")); }
    r = line(box, ""); swatch(r, "#000000", 0.6); r.appendChild(document.createTextNode("in two or more"));
    r = line(box, ""); swatch(r, "", 1, true); r.appendChild(document.createTextNode("detached piece"));
  }

  // --- keyboard inside the map: Ctrl+Z undo, Ctrl+Y / Ctrl+Shift+Z redo ---
  // (on the page around the map, the Undo/Redo buttons carry the same shortcuts)
  // With the map focused: arrows pan (Leaflet), +/- zoom, Enter or Space takes the unit under the
  // cross in the middle (the same as a click there), F zooms to the footprint being edited.
  document.addEventListener("keydown", function (e) {
    var k = (e.key || "").toLowerCase();
    if ((e.ctrlKey || e.metaKey) && !e.altKey) {
      var action = k === "z" ? (e.shiftKey ? "redo" : "undo") : (k === "y" ? "redo" : null);
      if (!action) { return; }
      e.preventDefault();
      sendEvent(action);
      return;
    }
    if (!S.map || !S.data || e.altKey || document.activeElement !== S.map.getContainer()) { return; }
    if (k === "enter" || k === " " || k === "spacebar") {
      e.preventDefault();
      var take = function () {
        var i = unitAt(S.map.getSize().divideBy(2));
        if (i >= 0) { takeUnit(i); }
        else { say("No unit under the cross: move the map with the arrow keys."); }
      };
      // an arrow's pan still animating: the shapes coming into view are hit-tested after it ends
      if (S.map._panAnim && S.map._panAnim._inProgress) { S.map.once("moveend", take); } else { take(); }
    } else if (k === "f") {
      e.preventDefault();
      zoomToEdited();
    } else if (k === "b" || k === "]" || k === "[") {  // next brush, next / previous footprint
      e.preventDefault();
      sendEvent(k === "b" ? "next_brush" : (k === "]" ? "next_footprint" : "previous_footprint"));
    }
  });

  // --- pointer: a click takes the unit under the pointer at mousedown; drag to paint ---
  // Hit test on the decoded shapes themselves (not on the renderer's clipped pixel parts, which are
  // only as fresh as the last 'moveend': after quick keyboard pans they could be stale and miss).
  function inRing(ring, lat, lng) {
    var inside = false;
    for (var a = 0, b = ring.length - 1; a < ring.length; b = a++) {
      var pa = ring[a], pb = ring[b];
      if ((pa[0] > lat) !== (pb[0] > lat) && lng < (pb[1] - pa[1]) * (lat - pa[0]) / (pb[0] - pa[0]) + pa[1]) {
        inside = !inside;
      }
    }
    return inside;
  }

  function unitAt(cp) {  // container point -> unit id, or -1
    var ll = S.map.containerPointToLatLng(cp), lat = ll.lat, lng = ll.lng, box = S.boxes;
    for (var i = 0; i < S.geoms.length; i++) {
      var g = S.geoms[i], o = 4 * i;
      if (!g || lat < box[o] || lat > box[o + 2] || lng < box[o + 1] || lng > box[o + 3]) { continue; }
      for (var p = 0; p < g.length; p++) {
        var poly = g[p], hit = poly.length && inRing(poly[0], lat, lng);
        for (var h = 1; hit && h < poly.length; h++) { if (inRing(poly[h], lat, lng)) { hit = false; } }
        if (hit) { return i; }
      }
    }
    return -1;
  }

  probe.unitAt = function (x, y) { return unitAt(L.point(x, y)); };

  function pointOf(e) {
    var r = S.map.getContainer().getBoundingClientRect();
    return L.point(e.clientX - r.left, e.clientY - r.top);
  }

  function focusMap() {  // focus without scrolling the page (a scroll would move the map under the pointer)
    var c = S.map.getContainer();
    if (document.activeElement !== c) {
      try { c.focus({ preventScroll: true }); } catch (err) { /* old browser: no focus rather than a scroll */ }
    }
  }

  function takeUnit(i) {
    probe.lastClickAt = now();
    var old = S.flash;
    S.flash = i;
    if (old >= 0) { restyle(old); }
    restyle(i);
    sendEvent("click", S.data.codes[i]);  // first: a display problem must never lose the click
    showInfo(i);
  }

  function brushUnits(i) {  // units the brush takes with unit i (for the stroke's preview only)
    var d = S.data, layer = S.brush;
    if (!layer || layer === "unit" || !d[layer]) { return [i]; }
    var col = d[layer], want = col[i], out = [];
    for (var j = 0; j < col.length; j++) { if (col[j] === want) { out.push(j); } }
    return out;
  }

  function addStroke(i) {
    var st = S.down;
    if (i < 0 || st.seen[i]) { return; }
    st.seen[i] = true;
    st.units.push(i);
    brushUnits(i).forEach(function (j) {
      if (!S.preview[j]) { S.preview[j] = true; restyle(j); }
    });
  }

  function onPointerDown(e) {
    S.down = null;
    if (e.button !== 0 || !S.data || !S.boxes || (e.target.closest && e.target.closest(".leaflet-control"))) { return; }
    focusMap();
    var p = pointOf(e), i = unitAt(p);
    S.down = { unit: i, sx: e.screenX, sy: e.screenY, last: p, painting: S.paint && i >= 0, units: [], seen: {} };
    if (S.down.painting) {
      e.preventDefault();  // no map drag, no text selection
      try { S.map.getContainer().setPointerCapture(e.pointerId); } catch (err) { /* still works inside the map */ }
      S.previewMode = S.assign[i] >= 0 && S.assign[i] === S.editing ? "remove" : "add";
      addStroke(i);
      probe.strokeStartedAt = now();
    }
  }

  function hoverAt(i) {  // the unit under the mouse: outlined, named in the info box
    var old = S.hover;
    if (i === old) { return; }
    S.hover = i;
    if (old >= 0) { restyle(old); }
    if (i >= 0) { restyle(i); }
    showInfo(i);
    S.map.getContainer().style.cursor = i >= 0 ? "pointer" : "";
  }

  function onPointerMove(e) {
    var st = S.down;
    if (!st && S.data && S.boxes && e.pointerType !== "touch") { hoverAt(unitAt(pointOf(e))); return; }
    if (!st || !st.painting) { return; }
    var p = pointOf(e), a = st.last, steps = Math.max(1, Math.ceil(a.distanceTo(p) / 3));
    for (var s = 1; s <= steps; s++) {  // every 3 px along the way, so a fast stroke skips no unit
      addStroke(unitAt(L.point(a.x + (p.x - a.x) * s / steps, a.y + (p.y - a.y) * s / steps)));
    }
    st.last = p;
  }

  function onPointerUp(e) {
    var st = S.down;
    S.down = null;
    if (!st || e.button !== 0) { return; }
    var moved = Math.abs(e.screenX - st.sx) + Math.abs(e.screenY - st.sy);
    if (st.painting && st.units.length > 1) {
      probe.lastClickAt = now();
      probe.lastStroke = st.units.length;
      sendEvent("paint", st.units.map(function (i) { return S.data.codes[i]; }));
      return;
    }
    clearPreview();
    if (st.unit >= 0 && (st.painting || moved <= 6)) { takeUnit(st.unit); }  // the unit under the press
  }

  function clearPreview() {
    var old = S.preview;
    S.preview = {};
    S.previewMode = null;
    for (var j in old) { restyle(+j); }
  }

  function zoomToEdited() {
    if (S.editing < 0) { say("No footprint is being edited."); return; }
    var b = null, box = S.boxes;
    for (var i = 0; i < S.geoms.length; i++) {
      if (S.geoms[i] && S.assign[i] === S.editing) {
        var ub = L.latLngBounds([box[4 * i], box[4 * i + 1]], [box[4 * i + 2], box[4 * i + 3]]);
        if (b) { b.extend(ub); } else { b = ub; }
      }
    }
    if (b) { S.map.fitBounds(b, { animate: false, padding: [24, 24] }); }
    else { say("The footprint being edited has no areas yet."); }
  }

  function say(text) {  // the message overlay (inside the map: it never moves the map) and live region
    S.messageBox.textContent = text || "";
    S.messageBox.style.display = text ? "" : "none";
  }

  // --- map ---
  function viewKey() { return "footprints-clickmap-view:" + S.dataFile; }

  function initMap() {
    // Leaflet focuses the map on mousedown and scrolls only its own window back; inside the app's
    // iframe the page around it scrolled instead, and the click landed on another unit.
    L.Map.Keyboard.prototype._onMouseDown = function () { if (!this._focused) { focusMap(); } };
    S.renderer = L.canvas({ padding: 0.3, tolerance: 0 });
    S.map = L.map("map", {
      preferCanvas: true, renderer: S.renderer, zoomSnap: 0.25, doubleClickZoom: false,
      attributionControl: false, zoomControl: true, keyboard: true
    });
    probe.map = S.map;
    // Leaflet caches the container size and re-reads it on the window's resize event (after an
    // animation frame); watch the container too, so a size change that comes without one (or
    // while frames are held back) still reaches the map.  Same as Leaflet's: keep the centre.
    if (window.ResizeObserver) {
      new ResizeObserver(function () { if (S.map) { S.map.invalidateSize({ animate: false }); } })
        .observe(document.getElementById("map"));
    }
    S.info = control("topright");
    S.legend = control("bottomleft", "cm-legend");
    S.captionBox = control("topleft", "cm-caption");
    S.captionBox.style.display = "none";
    S.messageBox = control("topleft", "cm-message");
    S.messageBox.setAttribute("role", "status");
    S.messageBox.setAttribute("aria-live", "polite");
    S.messageBox.style.display = "none";
    var c = S.map.getContainer();
    c.addEventListener("pointerdown", onPointerDown, true);
    c.addEventListener("pointermove", onPointerMove, true);
    c.addEventListener("pointerup", onPointerUp, true);
    c.addEventListener("pointercancel", function () { S.down = null; clearPreview(); }, true);
    c.addEventListener("pointerleave", function () { if (S.hover >= 0 && S.units) { hoverAt(-1); } });
    showInfo(-1);
    S.map.on("moveend", function () {
      try {
        var c = S.map.getCenter();
        window.sessionStorage.setItem(viewKey(), JSON.stringify([c.lat, c.lng, S.map.getZoom()]));
      } catch (err) { /* storage off: the view is still kept while the iframe lives */ }
    });
  }

  function build(data) {
    // the view first: Leaflet's renderer needs it before layers are added
    var saved = null;
    try { saved = JSON.parse(window.sessionStorage.getItem(viewKey()) || "null"); } catch (err) { saved = null; }
    if (saved && saved.length === 3) { S.map.setView([saved[0], saved[1]], saved[2], { animate: false }); }
    else { S.map.fitBounds(data.bounds, { animate: false }); }
    var geoms = decode(data.units);
    S.geoms = geoms;
    S.boxes = new Float64Array(4 * geoms.length);  // per unit: south, west, north, east
    for (var u = 0; u < geoms.length; u++) {
      var bx = [90, 180, -90, -180];
      (geoms[u] || []).forEach(function (poly) {
        (poly[0] || []).forEach(function (pt) {
          if (pt[0] < bx[0]) { bx[0] = pt[0]; } if (pt[1] < bx[1]) { bx[1] = pt[1]; }
          if (pt[0] > bx[2]) { bx[2] = pt[0]; } if (pt[1] > bx[3]) { bx[3] = pt[1]; }
        });
      });
      S.boxes.set(bx, 4 * u);
    }
    S.keys = new Array(geoms.length);
    S.styles = new Array(geoms.length);
    probe.unitIndex = {};
    var drawn = 0;
    for (var i = 0; i < geoms.length; i++) {
      probe.unitIndex[data.codes[i]] = i;
      if (geoms[i]) { S.keys[i] = styleKey(i); S.styles[i] = styleOf(i); drawn++; }
    }
    S.units = unitsPath(flatten(geoms), geoms.length);
    S.units.addTo(S.map);
    var outlines = [];  // one multi-polygon: every part of every borough
    decode(data.boroughs).forEach(function (g) { if (g) { outlines.push.apply(outlines, g); } });
    L.polygon(outlines, { renderer: S.renderer, interactive: false, fill: false, color: "#333333", weight: 1.4,
                          opacity: 0.9 }).addTo(S.map);
    probe.drawn = drawn;
  }

  // The data is fetched as soon as the first render names it: this script runs before Leaflet and the page
  // have loaded (index.html), so the fetch goes out beside them; the map is built when both are there.
  function load(file) {
    S.loadingFile = file;
    probe.tFetch = performance.now();
    fetch(file, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status + " for " + file); }
        return r.json();
      })
      .then(function (data) {
        probe.tJson = performance.now();
        if (S.loadingFile !== file) { return; }
        S.arrived = function () {
          if (S.loadingFile !== file) { return; }
          saidReady();  // Leaflet and the data are here: the rest is drawing, in this frame
          S.dataFile = file;
          S.data = data;
          build(data);
          probe.tBuilt = performance.now();
          if (S.pending) { apply(S.pending, true); }
          requestAnimationFrame(function () {
            probe.tFrame = performance.now(); probe.ready = true; document.body.setAttribute("data-ready", "1");
          });
        };
        if (S.map) { var f = S.arrived; S.arrived = null; f(); }  // else: once the map exists (onRender)
      })
      .catch(function (err) { problem("The map data could not be loaded (" + err.message + "). Reload the page."); });
  }

  function apply(args, force) {
    var oldFlash = S.flash;
    S.flash = -1;
    var oldPreview = S.preview;
    S.preview = {};
    S.previewMode = null;
    for (var j in oldPreview) { S.keys[+j] = null; }
    S.brush = args.brush || "unit";
    S.paint = !!args.paint;
    if (S.paint) { S.map.dragging.disable(); } else { S.map.dragging.enable(); }
    S.assign = args.assign || [];
    S.names = args.names || [];
    S.colours = args.colours || [];
    S.editing = typeof args.editing === "number" ? args.editing : -1;
    S.highlight = args.highlight_unassigned !== false;
    S.pieces = {};
    (args.pieces || []).forEach(function (i) { S.pieces[i] = true; });
    var changed = 0;
    for (var i = 0; i < S.geoms.length; i++) { if (restyle(i, force)) { changed++; } }
    if (oldFlash >= 0) { restyle(oldFlash, true); }
    showLegend();
    var caption = args.caption || "";
    S.captionBox.textContent = caption;
    S.captionBox.style.display = caption ? "" : "none";
    if (S.hover >= 0) { showInfo(S.hover); }
    say(args.message || "");
    if (args.zoom_token && args.zoom_token !== S.zoomToken) { S.zoomToken = args.zoom_token; zoomToEdited(); }
    probe.assign = S.assign;
    probe.applied += 1;
    probe.lastAppliedAt = now();
    probe.lastChanged = changed;
  }

  function onRender(args) {
    probe.renders += 1;
    probe.lastRenderAt = now();
    S.pending = args;
    if (args.ready_token) { S.readyToken = String(args.ready_token); }
    if (args.data_file && args.data_file !== S.dataFile && args.data_file !== S.loadingFile) {
      load(args.data_file);
    }
    if (!domReady) { S.queued = args; return; }  // drawn once the page and Leaflet have loaded
    if (typeof L === "undefined") {
      problem("Leaflet is missing from the map component (frontend/vendor). Start the app with app.py, " +
              "which copies it from the installed XStatic-Leaflet package.");
      return;
    }
    if (!S.map) { initMap(); }
    setHeight(args.height || 600);
    if (S.arrived) { var f = S.arrived; S.arrived = null; f(); return; }
    if (args.data_file && args.data_file !== S.dataFile) { return; }  // drawn when its data arrives
    if (S.data) { apply(args, false); }
  }

  var domReady = document.readyState !== "loading";
  document.addEventListener("DOMContentLoaded", function () {
    domReady = true;
    if (S.queued) { var args = S.queued; S.queued = null; onRender(args); }
  });

  window.addEventListener("message", function (event) {
    var d = event.data;
    if (!d || d.type !== "streamlit:render") { return; }
    onRender(d.args || {});
  });
  // the app's iframe is titled after the Python module; name it for screen readers
  try {
    if (window.frameElement) { window.frameElement.setAttribute("title", "Sketch map: add or remove areas of the footprint"); }
  } catch (err) { /* another origin: keep Streamlit's title */ }
  post("streamlit:componentReady", { apiVersion: 1 });
})();
