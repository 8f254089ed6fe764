/* 民情地图: the village's map sheet with its households' pins (Leaflet, no tiles, no outside
 * services). The page works without this script; this makes it a map you can pan, zoom, drag
 * pins on, switch layers and search. Colours and categories come from the server (app/map/layers.py).
 *
 * Row layout of #map-data households: [id, number, head, address, x, y, visit category,
 * matter category, [tag indexes], cadre index]. x and y are fractions of the sheet from its top left.
 */
(function () {
  "use strict";
  var ZERO = "00000000-0000-0000-0000-000000000000";

  function boot() {
    var el = document.getElementById("village-map");
    if (!el || el.getAttribute("data-ready")) return;
    if (window.L) { start(el); return; }
    var loader = document.querySelector("script[data-leaflet-loader]");
    if (loader) { loader.addEventListener("load", function () { start(el); }); return; }
    loader = document.createElement("script");
    loader.src = el.getAttribute("data-leaflet");
    loader.setAttribute("data-leaflet-loader", "1");
    loader.onload = function () { start(el); };
    document.head.appendChild(loader);
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (e) { var i = document.querySelector("input[name$=csrf_token]"); return i ? i.value : ""; }
  }

  function clamp(v) { return Math.max(0, Math.min(1, v)); }

  function start(el) {
    if (el.getAttribute("data-ready")) return;
    el.setAttribute("data-ready", "1");
    var L = window.L;
    var data = JSON.parse(document.getElementById("map-data").textContent);
    var W = +el.getAttribute("data-width"), H = +el.getAttribute("data-height");
    var text = function (name, value) {
      return (el.getAttribute("data-text-" + name) || "").replace("{name}", value || "");
    };
    L.Icon.Default.imagePath = el.getAttribute("data-icons");
    var map = L.map(el, { crs: L.CRS.Simple, preferCanvas: true, zoomSnap: 0.25,
                          attributionControl: false, maxZoom: 3, minZoom: -6 });
    var bounds = L.latLngBounds([[0, 0], [H, W]]);
    if (el.getAttribute("data-image")) {
      L.imageOverlay(el.getAttribute("data-image"), bounds).addTo(map);
    } else {
      L.rectangle(bounds, { color: "#999", weight: 1, fillColor: "#fff", fillOpacity: 1,
                            interactive: false }).addTo(map);
    }
    map.fitBounds(bounds);
    map.setMinZoom(map.getZoom() - 1);
    map.setMaxBounds(bounds.pad(0.4));

    var rows = data.households, byId = {}, markers = {};
    var layerForm = document.getElementById("layer-form");
    var tagSelect = document.getElementById("tag");
    var tagNames = data.legend.tags.map(function (t) { return t[1]; });

    function toLatLng(x, y) { return L.latLng((1 - y) * H, x * W); }
    function toXY(ll) { return [clamp(ll.lng / W), clamp(1 - ll.lat / H)]; }
    function currentLayer() {
      var c = layerForm && layerForm.querySelector("input[name=layer]:checked");
      return c ? c.value : "visits";
    }
    function colourOf(r) {
      var layer = currentLayer();
      if (layer === "matters") return data.legend.matters[r[7]][0];
      if (layer === "cadre") return r[9] >= 0 ? data.legend.cadre[r[9]][0] : data.grey;
      if (layer === "tags") {
        var chosen = tagSelect ? tagNames.indexOf(tagSelect.value) : -1;
        if (chosen >= 0) return r[8].indexOf(chosen) >= 0 ? data.legend.tags[chosen][0] : data.grey;
        return r[8].length ? data.legend.tags[r[8][0]][0] : data.grey;
      }
      return data.legend.visits[r[6]][0];
    }
    function label(r) {
      return function () {
        var span = document.createElement("span");
        span.textContent = r[1] + " " + r[2] + (r[3] ? " · " + r[3] : "");
        return span;
      };
    }
    function drawPin(r) {
      if (markers[r[0]]) { map.removeLayer(markers[r[0]]); delete markers[r[0]]; }
      if (r[4] === null || r[4] === undefined) return;
      var m = L.circleMarker(toLatLng(r[4], r[5]), {
        radius: 7, color: "#fff", weight: 1.5, fillColor: colourOf(r), fillOpacity: 0.95 });
      m.bindTooltip(label(r), { direction: "top", offset: [0, -6] });
      m.on("click", function () { openCard(r[0]); });
      m.addTo(map);
      markers[r[0]] = m;
    }
    rows.forEach(function (r) { byId[r[0]] = r; drawPin(r); });

    function drawLegend() {
      var box = document.getElementById("legend");
      if (!box) return;
      box.textContent = "";
      (data.legend[currentLayer()] || []).forEach(function (item) {
        var span = document.createElement("span"), dot = document.createElement("i");
        dot.style.background = item[0];
        span.appendChild(dot);
        span.appendChild(document.createTextNode(item[1]));
        box.appendChild(span);
      });
    }
    var tagField = tagSelect && tagSelect.closest(".field");
    function showTagChoice() {
      if (tagField) tagField.hidden = currentLayer() !== "tags";  // it only matters there
    }
    showTagChoice();
    function recolour() {
      showTagChoice();
      rows.forEach(function (r) { if (markers[r[0]]) markers[r[0]].setStyle({ fillColor: colourOf(r) }); });
      drawLegend();
      if (window.history && history.replaceState) {
        var url = new URL(window.location.href);
        url.searchParams.set("layer", currentLayer());
        history.replaceState(history.state, "", url);
      }
    }
    if (layerForm) {
      layerForm.addEventListener("change", recolour);
      layerForm.addEventListener("submit", function (e) { e.preventDefault(); recolour(); });
    }

    // ---- the household's card
    var card = document.getElementById("card");
    function openCard(id) {
      var url = el.getAttribute("data-card").replace(ZERO, id);
      if (window.htmx) {
        window.htmx.ajax("GET", url, { target: "#card", swap: "innerHTML" });
      } else {
        window.location.href = url;
      }
    }
    function showPlaceButtons(root) {
      Array.prototype.forEach.call((root || document).querySelectorAll("button.place[data-place]"),
        function (b) { b.hidden = false; });
    }
    showPlaceButtons(document);
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (!document.body.contains(el)) return; // a map page left behind
      if (card && (e.target === card || card.contains(e.target))) {
        showPlaceButtons(card);
        if (window.innerWidth < 800) card.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    });
    // A visit recorded from the card (HX-Trigger from the server): the pin's colour follows.
    document.body.addEventListener("map:visited", function (e) {
      var r = document.body.contains(el) && byId[e.detail.id];
      if (!r) return;
      r[6] = Math.min(r[6], e.detail.category);
      if (markers[r[0]]) markers[r[0]].setStyle({ fillColor: colourOf(r) });
    });

    // ---- placing a pin: drag it to the door, or tap the map; each move is saved at once
    var bar = document.getElementById("placing"), barText = document.getElementById("placing-text");
    var placing = null;
    function say(message) { if (barText) barText.textContent = message; }
    function save(id, ll) {
      var xy = toXY(ll), r = byId[id];
      var body = new URLSearchParams();
      body.set("pos-x", (xy[0] * 100).toFixed(3));
      body.set("pos-y", (xy[1] * 100).toFixed(3));
      return fetch(el.getAttribute("data-position").replace(ZERO, id), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (res) {
        if (!res.ok) throw new Error(res.status);
        return res.json();
      }).then(function (saved) {
        var wasUnplaced = r[4] === null;
        r[4] = saved.x; r[5] = saved.y;
        if (wasUnplaced) {
          var li = document.querySelector("#unplaced li[data-household='" + id + "']");
          if (li) li.parentNode.removeChild(li);
          var count = document.getElementById("unplaced-count");
          if (count) count.textContent = Math.max(0, (+count.textContent || 0) - 1);
          var placedCount = document.getElementById("placed-count");
          if (placedCount) placedCount.textContent = (+placedCount.textContent || 0) + 1;
        }
        say(text("saved", r[2]));
        el.setAttribute("data-last-saved", id);
      }).catch(function () { say(text("failed")); });
    }
    function onMapClick(e) {
      if (!placing) return;
      placing.marker.setLatLng(e.latlng);
      save(placing.id, e.latlng);
    }
    function stopPlacing() {
      if (!placing) return;
      map.removeLayer(placing.marker);
      map.off("click", onMapClick);
      drawPin(byId[placing.id]);
      placing = null;
      if (bar) bar.hidden = true;
    }
    function startPlacing(id) {
      var r = byId[id];
      if (!r) return;
      stopPlacing();
      if (markers[id]) { map.removeLayer(markers[id]); delete markers[id]; }
      var ll = r[4] !== null ? toLatLng(r[4], r[5]) : map.getCenter();
      var marker = L.marker(ll, { draggable: true, autoPan: true, title: r[2] }).addTo(map);
      marker.on("dragend", function () { save(id, marker.getLatLng()); });
      placing = { id: id, marker: marker };
      map.on("click", onMapClick);
      if (bar) bar.hidden = false;
      say(text("place", r[2]));
      el.scrollIntoView({ behavior: "smooth", block: "center" });
      map.panTo(ll);
    }
    var done = document.getElementById("placing-done");
    if (done) done.addEventListener("click", stopPlacing);
    document.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest("button.place[data-place]");
      if (button && document.body.contains(el)) { e.preventDefault(); startPlacing(button.getAttribute("data-place")); }
    });

    // ---- search: names and addresses here at once; family members' names by the server
    var searchForm = document.getElementById("search-form");
    var results = document.getElementById("search-results");
    function goTo(r) {
      if (r[4] !== null) {
        map.setView(toLatLng(r[4], r[5]), Math.max(map.getZoom(), map.getMaxZoom() - 2));
        if (markers[r[0]]) markers[r[0]].openTooltip();
      }
      openCard(r[0]);
    }
    if (searchForm && results) {
      searchForm.addEventListener("submit", function (e) {
        var q = searchForm.querySelector("input[name=q]").value.trim();
        if (!q) { e.preventDefault(); results.textContent = ""; return; }
        var found = rows.filter(function (r) {
          return r[2].indexOf(q) >= 0 || (r[3] || "").indexOf(q) >= 0;
        });
        if (!found.length) return; // let the server look (it knows every family member)
        e.preventDefault();
        results.textContent = "";
        var list = document.createElement("ul");
        list.className = "hh-list";
        found.slice(0, 50).forEach(function (r) {
          var li = document.createElement("li"), b = document.createElement("button");
          b.type = "button"; b.className = "link";
          b.textContent = r[1] + " " + r[2];
          b.addEventListener("click", function () { goTo(r); });
          li.appendChild(b);
          var addr = document.createElement("span");
          addr.className = "muted"; addr.textContent = r[3] || "";
          li.appendChild(addr);
          if (r[4] === null) {
            var badge = document.createElement("span");
            badge.className = "badge"; badge.textContent = text("unplaced");
            li.appendChild(badge);
          }
          list.appendChild(li);
        });
        results.appendChild(list);
        if (found.length === 1) goTo(found[0]);
      });
    }
    el.mapState = { map: map, rows: byId, markers: markers, startPlacing: startPlacing };
    document.documentElement.setAttribute("data-map-ready", String(rows.length));
    // For the benchmark (bench/bench_map.py): when the map became usable, since navigation.
    document.documentElement.setAttribute("data-map-ready-ms", String(Math.round(performance.now())));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
