// The service worker of one field pack (layers/field_pack.py): keeps that plan's page and files on the phone.
// Its scope is /field/<plan_id>/ only, so it sees no other page, and its cache is named for the plan.
// A request goes to the network when there is one (a fresh copy replaces the kept one) and is answered
// from the cache when there is none, when the server has not answered within ?wait= seconds (a weak
// signal; [field_pack] network_wait_s), or when the login has ended (401: a trip outlasts a login). A
// 403 or 404 (the plan is not this account's, or no longer exists) deletes the cache and this worker.
// Logging out clears both (the server's Clear-Site-Data header on /logout), and the unsent records too.
// The records sent (POST sync) and read back (records, photo/…: private, never kept) pass by untouched.
"use strict";
var SCOPE = self.registration.scope;
var CACHE = "battlemap-field-" + new URL(SCOPE).pathname.split("/").filter(Boolean).pop();
var FILES = ["", "field.js", "record.js", "manifest.webmanifest", "icon.svg"].map(function (name) { return SCOPE + name; });
var WAIT_MS = 1000 * parseFloat(new URL(self.location.href).searchParams.get("wait"));  // NaN: wait on

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(FILES); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function kept(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (found) {
      return found || (request.mode === "navigate" ? cache.match(SCOPE) : undefined);
    });
  });
}

function forget() {
  return caches.delete(CACHE).then(function () { return self.registration.unregister(); });
}

function fromNetwork(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      return caches.open(CACHE)
        .then(function (cache) { return cache.put(request, copy); })
        .then(function () { return response; });
    }
    if (response.status === 403 || response.status === 404) {
      return forget().then(function () { return response; });
    }
    return kept(request).then(function (found) { return found || response; });
  }, function () {
    return kept(request).then(function (found) { return found || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || request.url.indexOf(SCOPE) !== 0) { return; }
  if (/^(records|photo\/)/.test(request.url.slice(SCOPE.length))) { return; }
  event.respondWith(new Promise(function (resolve) {
    var done = false;
    function settle(response) { if (!done && response) { done = true; resolve(response); } }
    // a weak signal: after WAIT_MS the kept copy answers, if there is one (else the network still may)
    var timer = WAIT_MS > 0 ? setTimeout(function () { kept(request).then(settle); }, WAIT_MS) : null;
    fromNetwork(request).then(function (response) { clearTimeout(timer); settle(response); });
  }));
});
