// Recording in the field pack (layers/field_record.py): per stop the arrival, households visited, findings
// and photos. Each record is kept in this phone's IndexedDB queue first (no network needed) and sent one by
// one to ./sync (callbacks/field_sync.py) when there is a network: on load, on the 'online' event, on "Send".
// Each record carries a UUID made here, so a retry (a lost answer, a second tap) never records twice.
// Photos are resized here (canvas, JPEG); their time and position are kept beside them.
(function () {
  "use strict";
  var body = document.body;
  var plan = body.getAttribute("data-plan");
  var maxSide = parseInt(body.getAttribute("data-photo-side"), 10) || 1600;
  var quality = parseFloat(body.getAttribute("data-photo-quality")) || 0.8;
  var tolerance = parseFloat(body.getAttribute("data-arrival-tolerance-m"));
  var map = document.getElementById("field-map");
  var bar = document.getElementById("fp-queue");
  var unsent = document.getElementById("fp-unsent");
  var status = document.getElementById("fp-sync-status");
  var sending = false;
  function msg(name) { return body.getAttribute("data-msg-" + name) || ""; }
  function say(text) { if (status) { status.textContent = text; } }
  if (!bar || !window.indexedDB) { return; }

  // --- the queue: one database per plan; "seq" keeps the order made (a finding before its photos)
  var opened = null;
  function db() {
    opened = opened || new Promise(function (resolve, reject) {
      var request = indexedDB.open("battlemap-field-" + plan, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return opened;
  }
  function withQueue(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction("queue", mode);
        var request = work(t.objectStore("queue"));
        t.oncomplete = function () { resolve(request.result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  function all() { return withQueue("readonly", function (s) { return s.getAll(); }); }
  function put(item) { return withQueue("readwrite", function (s) { return s.put(item); }); }
  function drop(seq) { return withQueue("readwrite", function (s) { return s.delete(seq); }); }

  function uuid() {  // v4, from getRandomValues (randomUUID needs a secure context)
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }
  function stamp(d) {  // local time with its UTC offset: the server takes the visit's date from it
    function p(n) { return (n < 10 ? "0" : "") + n; }
    var off = -d.getTimezoneOffset(), sign = off < 0 ? "-" : "+";
    off = Math.abs(off);
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" +
      p(d.getMinutes()) + ":" + p(d.getSeconds()) + sign + p(Math.floor(off / 60)) + ":" + p(off % 60);
  }
  function position() {  // the phone's position, or null (not allowed, no fix within 15 s)
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: Math.round(p.coords.accuracy) });
      }, function () { resolve(null); }, { enableHighAccuracy: true, maximumAge: 60000, timeout: 15000 });
    });
  }
  function item(stop, kind, fields, pos, at) {
    var made = { uuid: uuid(), kind: kind, stop: stop, at: stamp(at || new Date()), state: "queued" };
    if (pos) { made.lon = pos.lon; made.lat = pos.lat; made.accuracy = pos.accuracy; }
    Object.keys(fields).forEach(function (k) { made[k] = fields[k]; });
    return made;
  }

  // --- the arrival's distance from the stop's village, here at once (the server's answer replaces it)
  function num(name) { return parseFloat(map.getAttribute("data-" + name)); }
  function segment(x, y, ax, ay, bx, by) {  // the distance from (x, y) to the segment a–b
    var dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy;
    var k = len ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len)) : 0;
    return Math.hypot(x - ax - k * dx, y - ay - k * dy);
  }
  function distance(section, pos) {  // metres outside the outline (0 inside), or null (no position or outline)
    var rings = (section.querySelector(".fp-record").getAttribute("data-outline") || "").split(";");
    if (!pos || !map || !rings[0]) { return null; }
    var x = (pos.lon - num("west")) * num("kx"), y = (num("north") - pos.lat) * num("ky");
    var inside = false, best = Infinity;
    rings.forEach(function (ring) {
      var v = ring.split(" ").map(Number);
      for (var i = 0, j = v.length - 2; i < v.length; j = i, i += 2) {
        if ((v[i + 1] > y) !== (v[j + 1] > y) && x < (v[j] - v[i]) * (y - v[i + 1]) / (v[j + 1] - v[i + 1]) + v[i]) {
          inside = !inside;
        }
        best = Math.min(best, segment(x, y, v[j], v[j + 1], v[i], v[i + 1]));
      }
    });
    return inside ? 0 : best * num("unit-m");
  }
  function outside(it) {  // "outside the village (N m)" for an arrival beyond the tolerance, else ""
    if (it.kind !== "arrival" || typeof it.distance !== "number" || !(it.distance > tolerance)) { return ""; }
    return msg("outside").replace("{m}", String(Math.round(it.distance)));
  }

  // --- photos: drawn smaller on a canvas and kept as JPEG
  function resize(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var k = Math.min(1, maxSide / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * k));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * k));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { if (blob) { resolve(blob); } else { reject(new Error("toBlob")); } },
          "image/jpeg", quality);
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      img.src = url;
    });
  }
  function base64(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(",")[1]); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(blob);
    });
  }

  // --- what was recorded, per stop, and the unsent count
  function time(at) { return at.slice(11, 16); }
  function line(it) {
    var li = document.createElement("li");
    li.className = it.state;
    var what = msg("kind-" + it.kind) + " " + time(it.at);
    if (it.kind === "finding") { what += " · " + it.category + " · " + it.text.slice(0, 40); }
    if (it.kind === "households") { what += " · " + it.households.join("、"); }
    if (it.kind === "arrival" && it.lon === undefined) { what += " · " + msg("no-position"); }
    li.appendChild(document.createTextNode(what));
    var st = document.createElement("span");
    st.className = "st";
    st.textContent = it.state === "refused" ? msg("sync-refused").replace("{m}", it.error || "") : msg(it.state);
    li.appendChild(st);
    if (it.flagged || outside(it)) {
      var flag = document.createElement("span");
      flag.className = "flag";
      flag.textContent = outside(it) || msg("flagged");
      li.appendChild(flag);
    }
    if (it.state === "refused") {
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "fp-btn"; remove.textContent = msg("remove");
      remove.setAttribute("data-act", "remove"); remove.setAttribute("data-seq", String(it.seq));
      li.appendChild(remove);
    }
    return li;
  }
  function render() {
    return all().then(function (items) {
      var open = items.filter(function (it) { return it.state !== "sent"; }).length;
      unsent.textContent = msg("unsent").replace("{n}", String(open));
      bar.classList.toggle("has-unsent", open > 0);
      body.setAttribute("data-unsent", String(open));
      document.querySelectorAll(".fp-findings").forEach(function (section) {
        var stop = parseInt(section.getAttribute("data-stop"), 10);
        var mine = items.filter(function (it) { return it.stop === stop; });
        var list = section.querySelector(".fp-saved");
        list.textContent = "";
        mine.forEach(function (it) { list.appendChild(line(it)); });
        var arrivals = mine.filter(function (it) { return it.kind === "arrival"; });
        var last = arrivals[arrivals.length - 1], arrived = section.querySelector(".fp-arrived");
        arrived.textContent = last ? msg("arrived-at").replace("{at}", time(last.at)) : "";
        if (last && outside(last)) {
          var flag = document.createElement("span");
          flag.className = "flag";
          flag.textContent = " · " + outside(last);
          arrived.appendChild(flag);
        }
      });
    });
  }

  // --- sending, one record after the other, in the order made
  function payload(it) {
    var out = {};
    Object.keys(it).forEach(function (k) {
      if (["seq", "state", "error", "blob", "flagged", "distance"].indexOf(k) < 0) { out[k] = it[k]; }
    });
    return it.blob ? base64(it.blob).then(function (data) { out.data = data; return out; }) : Promise.resolve(out);
  }
  function send(it) {  // resolves to "ok", "refused", "login" or "offline" (also a 5xx: retried, never refused)
    return payload(it).then(function (data) {
      return fetch("sync", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
    }).then(function (response) {
      if (response.status === 401) { return "login"; }
      if (response.status >= 500) { return "offline"; }  // the server or a proxy failed: keep it queued, retry later
      return response.json().catch(function () { return { error: String(response.status) }; }).then(function (a) {
        if (response.ok) {
          it.state = "sent"; it.flagged = !!a.flagged; delete it.blob; delete it.error;
          if (typeof a.distance_m === "number") { it.distance = a.distance_m; }
        } else {
          it.state = "refused"; it.error = a.error + (a.detail ? " (" + a.detail + ")" : "");
        }
        return put(it).then(function () { return response.ok ? "ok" : "refused"; });
      });
    }, function () { return "offline"; });
  }
  function sync() {
    if (sending) { return Promise.resolve(); }
    sending = true;
    say(msg("sending"));
    var refused = 0;
    return all().then(function (items) {
      var todo = items.filter(function (it) { return it.state === "queued"; });
      return todo.reduce(function (chain, it) {
        return chain.then(function (last) {
          if (last === "login" || last === "offline") { return last; }
          return send(it).then(function (outcome) { if (outcome === "refused") { refused += 1; } return outcome; });
        });
      }, Promise.resolve("ok"));
    }).then(function (last) {
      sending = false;
      if (last === "login") { say(msg("sync-login")); } else if (last === "offline") { say(msg("sync-offline")); }
      else if (refused) { say(msg("sync-refused").replace("{m}", String(refused))); } else { say(msg("sync-done")); }
      body.setAttribute("data-synced", String(Date.now()));
      return render();
    }, function () { sending = false; say(msg("sync-offline")); });
  }
  function trySync() { return navigator.onLine ? sync() : (say(msg("sync-offline")), Promise.resolve()); }

  // --- the controls of each stop
  function keep(made) { return put(made).then(render).then(trySync); }
  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest("button[data-act]") : null;
    var section = button ? button.closest(".fp-findings") : null;
    if (!section) { return; }
    var stop = parseInt(section.getAttribute("data-stop"), 10);
    var act = button.getAttribute("data-act");
    if (act === "remove") { drop(parseInt(button.getAttribute("data-seq"), 10)).then(render); return; }
    button.disabled = true;
    var fields = {};
    if (act === "households") {
      fields.households = Array.prototype.map.call(section.querySelectorAll(".fp-homes input:checked"),
        function (box) { return box.value; });
    }
    position().then(function (pos) {
      var made = item(stop, act, fields, pos);
      if (act === "arrival") { made.distance = distance(section, pos); }
      return keep(made);
    })
      .then(function () { button.disabled = false; }, function () { button.disabled = false; });
  });
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (input && input.name === "photo" && input.closest(".fp-finding")) {
      input.closest(".fp-finding").querySelector(".fp-picked").textContent =
        input.files.length ? "📷 × " + input.files.length : "";
    }
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains("fp-finding")) { return; }
    e.preventDefault();
    var text = form.elements.text.value.trim();
    if (!text) { say(msg("need-text")); form.elements.text.focus(); return; }
    var stop = parseInt(form.closest(".fp-findings").getAttribute("data-stop"), 10);
    var files = Array.prototype.slice.call(form.elements.photo.files || []);
    var household = form.elements.household ? form.elements.household.value : "";
    var submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    position().then(function (pos) {
      var finding = item(stop, "finding", { category: form.elements.category.value, text: text,
        household: household || null }, pos);
      return put(finding).then(function () {
        return files.reduce(function (chain, file) {  // each photo after its finding, with its own time
          return chain.then(function () { return resize(file); }).then(function (blob) {
            return put(item(stop, "photo", { finding: finding.uuid, blob: blob }, pos,
              new Date(file.lastModified || Date.now())));
          });
        }, Promise.resolve());
      });
    }).then(function () {
      form.reset();
      form.querySelector(".fp-picked").textContent = "";
      submit.disabled = false;
      return render().then(trySync);
    }, function () { submit.disabled = false; return render(); });
  });
  window.addEventListener("online", trySync);
  bar.querySelector("#fp-sync").addEventListener("click", sync);
  render().then(trySync);
})();
