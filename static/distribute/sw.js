/* Service worker for the distribution screen (scope: /distribute/).

   Pages: network first, so staff always see today's stock when online; the last good copy
   is served when the network is gone or the server answers an error (5xx). Static files:
   the pages name them by fingerprinted address (?v=<hash of the file>, issue 26), so a
   stored copy is right for good and is answered without asking the network; an address
   without one: the stored copy at once, refreshed in the background. Writes (the API) are
   never touched here: the page's queue owns them. */
"use strict";

// The hash of every static file, and a version made of them: the server writes them in
// when it serves this script, so a deploy that changes any file installs a new worker,
// which precaches the new addresses and drops the old cache.
var BUILD = {};  // filled in by the server: supplies/web/assets.py
var FILES = BUILD.files || {};
var STATIC_CACHE = "distribute-static-" + (BUILD.version || "dev");
var PAGE_CACHE = "distribute-pages-v1";
var SCOPE = self.registration.scope;
var STATIC_ROOT = new URL("../static/", SCOPE).href;
// Rendered by the server in the reader's language; the screen stores it again when the
// language changes.
var OFFLINE_PAGE = new URL("offline", SCOPE).href;

/* The address the pages use for a static file: with its hash when the server gave one. */
function fingerprinted(path) {
  return STATIC_ROOT + path + (FILES[path] ? "?v=" + FILES[path] : "");
}

// The screen's own files (its scripts and styles, the shared stylesheet, the icon pages
// name), by the addresses the pages use.
var PRECACHE = Object.keys(FILES).filter(function (path) {
  return path === "app.css" || path === "distribute/icons/icon-192.png" ||
    /^distribute\/[^\/]+\.(js|css)$/.test(path);
}).map(fingerprinted);

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
    }).then(function () {
      // The browser asks for a screen while the worker starts, instead of after: on a slow
      // phone that start is no longer added to the round trip (issue 26).
      var preload = self.registration.navigationPreload;
      return preload ? preload.enable() : null;
    }).then(function () { return self.clients.claim(); })
  );
});

/* A copy to keep: without the "redirected" flag (a navigation may not be answered with it),
   without one-time messages such as "Logged: ...", which would be stale offline, and
   without the moment it was served. */
function storable(response) {
  return response.text().then(function (html) {
    var body = html.replace(/<div class="flash [^"]*" role="[^"]*">[^<]*<\/div>/g, "");
    // The moment the server rendered it sets the phone's clock offset: a stored copy, read
    // later, must not (the screen then asks the server, issue 26).
    body = body.replace(/ data-served-at="[^"]*"/, "");
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

function page(request, preloaded) {
  return Promise.resolve(preloaded).then(function (response) {
    return response || fetch(request);
  }).then(function (response) {
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
  var pinned = new URL(request.url).searchParams.has("v");
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      // A fingerprinted copy never changes: no request at all (a warm load makes one, the page).
      if (hit && pinned) { return hit; }
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
    event.respondWith(page(request, event.preloadResponse));
  } else if (request.url.indexOf(STATIC_ROOT) === 0) {
    event.respondWith(asset(request));
  }
});
