/* Service worker for the distribution screen (scope: /distribute/).

   Pages: network first, so staff always see today's stock when online; the last good copy
   is served when the network is gone or the server answers an error (5xx). Static files: cached copy at once, refreshed in the
   background. Writes (the API) are never touched here: the page's queue owns them. */
"use strict";

var VERSION = "v3";  // issue 19: the screen's scripts changed with its page
var STATIC_CACHE = "distribute-static-" + VERSION;
var PAGE_CACHE = "distribute-pages-v1";
var SCOPE = self.registration.scope;
var STATIC_ROOT = new URL("../static/", SCOPE).href;
// Rendered by the server in the reader's language; the screen stores it again on each visit.
var OFFLINE_PAGE = new URL("offline", SCOPE).href;
var PRECACHE = [
  "app.css",
  "distribute/distribute.css",
  "distribute/queue.js",
  "distribute/form.js",
  "distribute/screen.js",
  "distribute/icons/icon-192.png"
].map(function (path) { return STATIC_ROOT + path; });

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () {
        return caches.open(PAGE_CACHE).then(function (cache) {
          return cache.add(OFFLINE_PAGE).catch(function () {});
        });
      })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("distribute-static-") === 0 && name !== STATIC_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

/* A copy to keep: without the "redirected" flag (a navigation may not be answered with it)
   and without one-time messages such as "Logged: ...", which would be stale offline. */
function storable(response) {
  return response.text().then(function (html) {
    var body = html.replace(/<div class="flash [^"]*" role="[^"]*">[^<]*<\/div>/g, "");
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  });
}

/* The last good copy of a screen (or the offline page); a server error page when none. */
function fallback(request, response) {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return cache.match(request.url, { ignoreSearch: true }).then(function (hit) {
      return hit || cache.match(SCOPE);
    }).then(function (hit) {
      if (hit || response) { return hit || response; }
      return cache.match(OFFLINE_PAGE).then(function (offline) {
        if (!offline) { return Response.error(); }  // the browser's own offline page
        return offline.text().then(function (html) {
          return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
        });
      });
    });
  });
}

function page(request) {
  return fetch(request).then(function (response) {
    // The server answered but could not serve (its database down, a restart): the cached
    // screen still lets staff log to the queue, as when the network is gone (issue 23).
    if (response.status >= 500) { return fallback(request, response); }
    var landed = new URL(response.url || request.url);
    var isScreen = response.ok && !landed.search && landed.href.indexOf(SCOPE) === 0 && (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
    if (isScreen) {
      var copy = response.clone();
      storable(copy).then(function (stored) {
        return caches.open(PAGE_CACHE).then(function (cache) {
          // Under the address asked for and where it landed, so the scope root works offline.
          return Promise.all([cache.put(request.url, stored.clone()), cache.put(landed.href, stored)]);
        });
      }).catch(function () {});
    }
    return response;
  }, function () { return fallback(request, null); });
}

function asset(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      var update = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
      if (hit) { update.catch(function () {}); return hit; }
      return update;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && request.url.indexOf(SCOPE) === 0) {
    event.respondWith(page(request));
  } else if (request.url.indexOf(STATIC_ROOT) === 0) {
    event.respondWith(asset(request));
  }
});
