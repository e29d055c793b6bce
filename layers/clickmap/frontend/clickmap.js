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
    layers: [], keys: [], assign: [], names: [], colours: [], editing: -1,
    pieces: {}, highlight: true, caption: "", height: 0, pending: null,
    seq: 0, events: [], flash: -1, hover: -1,
    info: null, legend: null, captionBox: null
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

  function problem(text) {
    probe.error = text;
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
      "|" + (k === UNASSIGNED && S.highlight ? 1 : 0) + "|" + (i === S.flash ? 1 : 0) + "|" + (i === S.hover ? 1 : 0);
  }

  function styleOf(i) {
    var k = S.assign[i];
    var st = { stroke: true, color: "#9a9a9a", weight: 0.35, opacity: 0.7, fill: true,
               fillColor: "#ffffff", fillOpacity: 0.0, dashArray: null };
    if (k >= 0) {
      st.fillColor = S.colours[k % Math.max(S.colours.length, 1)] || "#888888";
      st.fillOpacity = k === S.editing ? 0.78 : 0.42;
      st.color = k === S.editing ? "#222222" : "#777777";
      st.weight = k === S.editing ? 0.6 : 0.35;
    } else if (k === DOUBLE) {
      st.fillColor = "#000000"; st.fillOpacity = 0.6; st.color = "#000000";
    } else if (S.highlight) {
      st.fillColor = "#DDAA33"; st.fillOpacity = 0.16;
    }
    if (S.pieces[i]) { st.color = "#000000"; st.weight = 2.2; st.opacity = 1; st.dashArray = "5 4"; }
    if (i === S.hover) { st.color = "#000000"; st.weight = Math.max(st.weight, 1.6); st.opacity = 1; }
    if (i === S.flash) { st.color = "#000000"; st.weight = 3; st.opacity = 1; }
    return st;
  }

  function restyle(i, force) {
    var layer = S.layers[i];
    if (!layer) { return false; }
    var key = styleKey(i);
    if (!force && key === S.keys[i]) { return false; }
    S.keys[i] = key;
    layer.setStyle(styleOf(i));
    return true;
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
      line(box, "Click a unit to add or remove it", "cm-muted");
      line(box, "Ctrl+Z undo, Ctrl+Y redo", "cm-muted");
      return;
    }
    var d = S.data, areas = d.areas;
    var head = line(box, "");
    var b = document.createElement("b");
    b.textContent = d.names[i];
    head.appendChild(b);
    head.appendChild(document.createTextNode(" " + d.codes[i]));
    line(box, "MSOA: " + areas.msoa.names[d.msoa[i]]);
    if (areas.ward) { line(box, "Ward: " + areas.ward.names[d.ward[i]]); }
    line(box, "Borough: " + areas.borough.names[d.borough[i]]);
    line(box, "CCG: " + areas.ccg.names[d.ccg[i]]);
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
  document.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) { return; }
    var k = (e.key || "").toLowerCase();
    var action = k === "z" ? (e.shiftKey ? "redo" : "undo") : (k === "y" ? "redo" : null);
    if (!action) { return; }
    e.preventDefault();
    sendEvent(action);
  });

  // --- map ---
  function viewKey() { return "footprints-clickmap-view:" + S.dataFile; }

  function initMap() {
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
    var group = L.featureGroup();
    S.layers = new Array(geoms.length);
    S.keys = new Array(geoms.length);
    probe.unitIndex = {};
    for (var i = 0; i < geoms.length; i++) {
      probe.unitIndex[data.codes[i]] = i;
      if (!geoms[i]) { continue; }
      var layer = L.polygon(geoms[i], { renderer: S.renderer, smoothFactor: 0.5 });
      layer._cmUnit = i;
      S.layers[i] = layer;
      group.addLayer(layer);
    }
    group.on("click", function (e) {
      var i = e.layer._cmUnit;
      probe.lastClickAt = now();
      var old = S.flash;
      S.flash = i;
      if (old >= 0) { restyle(old); }
      restyle(i);
      sendEvent("click", data.codes[i]);
    });
    group.on("mouseover", function (e) {
      var i = e.layer._cmUnit, old = S.hover;
      S.hover = i;
      if (old >= 0) { restyle(old); }
      restyle(i);
      showInfo(i);
    });
    group.on("mouseout", function (e) {
      var i = e.layer._cmUnit;
      if (S.hover === i) { S.hover = -1; restyle(i); showInfo(-1); }
    });
    group.addTo(S.map);
    var outlines = [];  // one multi-polygon: every part of every borough
    decode(data.boroughs).forEach(function (g) { if (g) { outlines.push.apply(outlines, g); } });
    L.polygon(outlines, { renderer: S.renderer, interactive: false, fill: false, color: "#333333", weight: 1.4,
                          opacity: 0.9 }).addTo(S.map);
    probe.drawn = group.getLayers().length;
  }

  function load(file) {
    S.loadingFile = file;
    fetch(file, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status + " for " + file); }
        return r.json();
      })
      .then(function (data) {
        if (S.loadingFile !== file) { return; }
        S.dataFile = file;
        S.data = data;
        build(data);
        if (S.pending) { apply(S.pending, true); }
        requestAnimationFrame(function () { probe.ready = true; document.body.setAttribute("data-ready", "1"); });
      })
      .catch(function (err) { problem("The map data could not be loaded (" + err.message + "). Reload the page."); });
  }

  function apply(args, force) {
    var oldFlash = S.flash;
    S.flash = -1;
    S.assign = args.assign || [];
    S.names = args.names || [];
    S.colours = args.colours || [];
    S.editing = typeof args.editing === "number" ? args.editing : -1;
    S.highlight = args.highlight_unassigned !== false;
    S.pieces = {};
    (args.pieces || []).forEach(function (i) { S.pieces[i] = true; });
    var changed = 0;
    for (var i = 0; i < S.layers.length; i++) { if (restyle(i, force)) { changed++; } }
    if (oldFlash >= 0) { restyle(oldFlash, true); }
    showLegend();
    var caption = args.caption || "";
    S.captionBox.textContent = caption;
    S.captionBox.style.display = caption ? "" : "none";
    if (S.hover >= 0) { showInfo(S.hover); }
    probe.assign = S.assign;
    probe.applied += 1;
    probe.lastAppliedAt = now();
    probe.lastChanged = changed;
  }

  function onRender(args) {
    probe.renders += 1;
    probe.lastRenderAt = now();
    S.pending = args;
    if (typeof L === "undefined") {
      problem("Leaflet is missing from the map component (frontend/vendor). Start the app with app.py, " +
              "which copies it from the installed XStatic-Leaflet package.");
      return;
    }
    if (!S.map) { initMap(); }
    setHeight(args.height || 600);
    if (args.data_file && args.data_file !== S.dataFile) {
      if (args.data_file !== S.loadingFile) { load(args.data_file); }
      return;
    }
    if (S.data) { apply(args, false); }
  }

  window.addEventListener("message", function (event) {
    var d = event.data;
    if (!d || d.type !== "streamlit:render") { return; }
    onRender(d.args || {});
  });
  post("streamlit:componentReady", { apiVersion: 1 });
})();
