// The field pack page (layers/field_pack.py): keeps itself on the phone (sw.js), pans and zooms the map,
// shows "you are here" from the phone's position. A file, not inline: the Content-Security-Policy allows
// scripts from this server only. The page's words come from its <body data-msg-*> attributes.
(function () {
  "use strict";
  var body = document.body;
  var svg = document.getElementById("field-map");
  var status = document.getElementById("fp-status");
  var hereText = document.getElementById("fp-here");
  function msg(name) { return body.getAttribute("data-msg-" + name) || ""; }
  function say(text) { if (status) { status.textContent = text; } }

  // --- the offline copy
  function keepOffline() {
    if (!("serviceWorker" in navigator)) { say(msg("no-offline")); return; }
    say(navigator.onLine ? msg("saving") : msg("offline"));
    var wait = encodeURIComponent(body.getAttribute("data-network-wait") || "");
    navigator.serviceWorker.register("sw.js?wait=" + wait, { scope: "./" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () {
        body.setAttribute("data-offline-ready", "1");
        say(navigator.onLine ? msg("ready") : msg("offline"));
      })
      .catch(function () { say(navigator.onLine ? msg("no-offline") : msg("offline")); });
  }
  window.addEventListener("offline", function () { say(msg("offline")); });
  window.addEventListener("online", function () {
    say(body.getAttribute("data-offline-ready") ? msg("ready") : msg("saving"));
  });
  keepOffline();
  if (!svg) { return; }

  // --- the map: a viewBox moved by buttons, one finger (pan), two fingers or the wheel (zoom)
  var full = svg.viewBox.baseVal;
  var W = full.width, H = full.height;
  var view = { x: 0, y: 0, w: W, h: H };
  function apply() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (v) { return v.toFixed(1); }).join(" "));
    var box = svg.getBoundingClientRect();
    if (box.width && box.height) {
      svg.style.setProperty("--s", Math.max(view.w / box.width, view.h / box.height).toFixed(3));
    }
    svg.classList.toggle("near", view.w < W / 3);
  }
  function zoom(factor, cx, cy) {
    var w = Math.min(W * 1.5, Math.max(W / 200, view.w / factor));
    var k = w / view.w;
    if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
    view = { x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k, w: w, h: view.h * k };
    apply();
  }
  function centre(x, y, w) {
    view = { x: x - w / 2, y: y - (w * H / W) / 2, w: w, h: w * H / W };
    apply();
  }
  function units(px, py) {
    var p = svg.createSVGPoint();
    p.x = px; p.y = py;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }
  var pointers = {};
  svg.addEventListener("pointerdown", function (e) {
    svg.setPointerCapture(e.pointerId);
    pointers[e.pointerId] = { x: e.clientX, y: e.clientY };
  });
  svg.addEventListener("pointermove", function (e) {
    var old = pointers[e.pointerId];
    if (!old) { return; }
    var ids = Object.keys(pointers);
    var now = { x: e.clientX, y: e.clientY };
    if (ids.length === 1) {
      var a = units(old.x, old.y), b = units(now.x, now.y);
      view.x -= b.x - a.x; view.y -= b.y - a.y;
      pointers[e.pointerId] = now;
      apply();
      return;
    }
    var other = pointers[String(ids[0]) === String(e.pointerId) ? ids[1] : ids[0]];
    var before = Math.hypot(old.x - other.x, old.y - other.y);
    var after = Math.hypot(now.x - other.x, now.y - other.y);
    pointers[e.pointerId] = now;
    if (before > 0 && after > 0) {
      var mid = units((now.x + other.x) / 2, (now.y + other.y) / 2);
      zoom(after / before, mid.x, mid.y);
    }
  });
  function release(e) { delete pointers[e.pointerId]; }
  svg.addEventListener("pointerup", release);
  svg.addEventListener("pointercancel", release);
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var at = units(e.clientX, e.clientY);
    zoom(e.deltaY < 0 ? 1.25 : 0.8, at.x, at.y);
  }, { passive: false });
  function on(id, handler) { var el = document.getElementById(id); if (el) { el.addEventListener("click", handler); } }
  on("fp-zoom-in", function () { zoom(2); });
  on("fp-zoom-out", function () { zoom(0.5); });
  on("fp-fit", function () { view = { x: 0, y: 0, w: W, h: H }; apply(); });
  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest("button[data-stop]") : null;
    if (!button) { return; }
    var mark = document.getElementById("m-" + button.getAttribute("data-stop"));
    if (!mark) { return; }
    var m = mark.transform.baseVal.consolidate().matrix;
    centre(m.e, m.f, W / 10);
    mark.classList.add("picked");
    svg.scrollIntoView({ block: "center" });
  });
  window.addEventListener("resize", apply);
  apply();

  // --- you are here: the phone's position (WGS84, as the store's CGCS2000 within a metre) on the same plane
  var here = document.getElementById("here");
  var west = parseFloat(svg.getAttribute("data-west")), north = parseFloat(svg.getAttribute("data-north"));
  var kx = parseFloat(svg.getAttribute("data-kx")), ky = parseFloat(svg.getAttribute("data-ky"));
  var unitM = parseFloat(svg.getAttribute("data-unit-m"));
  var watching = false, last = null;
  function place(position) {
    var c = position.coords;
    var x = (c.longitude - west) * kx, y = (north - c.latitude) * ky;
    here.setAttribute("transform", "translate(" + x.toFixed(1) + " " + y.toFixed(1) + ")");
    here.querySelector(".acc").setAttribute("r", (c.accuracy / unitM).toFixed(1));
    here.classList.add("on");
    if (!last) { centre(x, y, Math.min(view.w, W / 4)); }
    last = { x: x, y: y };
    hereText.textContent = msg("here").replace("{m}", String(Math.round(c.accuracy)));
  }
  function locate() {
    if (!navigator.geolocation) { hereText.textContent = msg("here-none"); return; }
    if (last) { centre(last.x, last.y, Math.min(view.w, W / 4)); }
    if (watching) { return; }
    watching = true;
    hereText.textContent = msg("here-waiting");
    navigator.geolocation.watchPosition(place, function () {
      watching = false;
      hereText.textContent = msg("here-none");
    }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 60000 });
  }
  on("fp-locate", locate);
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({ name: "geolocation" })
      .then(function (p) { if (p.state === "granted") { locate(); } })
      .catch(function () { /* no permission API answer: the button still asks */ });
  }
})();
