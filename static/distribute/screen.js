/* Enhances the distribution screen with an offline queue (form.js handles the form itself).

   Without this script the form is a plain POST. With it, a submission is first saved on the
   device (queue.js), then sent to POST /distribute/log (the API's body, with the session's
   CSRF token) in one small round trip. The server confirms (201, or 200 for a replay of the
   same id) with what the page shows of it (the confirmation, the site's on-hand figures, the
   event's row of "today"), the page is updated in place and the entry removed. A refusal
   (an answer that sending again cannot change) is shown in the form, every value kept, and
   is not kept on the phone; only an entry already waiting on the phone when it is refused
   stays under "Needs your attention" until fixed or discarded (see the submit handler).
   An entry the person did not date is dated on the server's clock (this phone's,
   corrected by its offset). */
(function () {
  "use strict";

  var root = document.getElementById("distribute");
  var form = document.getElementById("distribution-form");
  if (!root || !form) { return; }

  var PAGE_CACHE = "distribute-pages-v1";
  var SEND_TIMEOUT_MS = 10000;
  var queue = window.DistributionQueue;
  var site = root.dataset.site;
  var user = root.dataset.user;
  var statusEl = byId("sync-status");
  var confirmEl = byId("js-confirmation");
  var button = byId("log-button");
  var csrfToken = form.querySelector("input[name=csrf_token]").value;
  var sending = {};
  var flushing = false;
  var sessionEnded = false;
  var otherAccount = false;
  var lastSynced = 0;
  var f = window.DistributionForm(root, form);
  var say = f.say;
  var LAST_KEY = "distribute-last:" + user + ":" + site;
  var sameAsLast = byId("same-as-last");
  var lastItems = readLast();

  function byId(id) { return document.getElementById(id); }

  /* --- the phone's clock against the server's (issue 23) ------------------------------------ */
  // A phone's clock can be off by minutes or hours, and the server's is the reference. Each
  // answer's Date header gives the offset. An entry whose time the person did not set is
  // dated from when it was saved on this phone plus that offset, once, before it can have
  // reached the server: a retry must send the same body (else it is another request).
  var CLOCK_KEY = "distribute-clock-offset";
  var clockOffset = readOffset();

  function readOffset() {
    try {
      var kept = JSON.parse(localStorage.getItem(CLOCK_KEY) || "null");
      return typeof kept === "number" ? kept : null;
    } catch (error) { return null; }
  }

  function learnClock(response, startedAt) {
    var told = Date.parse(response.headers.get("date") || "");  // HTTP names are case-blind
    if (isNaN(told)) { return; }
    // The header counts whole seconds: the middle of that second, against the middle of the trip.
    clockOffset = told + 500 - (startedAt + Date.now()) / 2;
    try { localStorage.setItem(CLOCK_KEY, JSON.stringify(clockOffset)); } catch (error) { /* memory only */ }
  }

  /** The offset from the page itself, when the server has just rendered it: a warm load
      then makes no request of its own for it (issue 26). False for a stored copy of the
      page (stored without data-served-at) or a browser without navigation timing. */
  function learnClockFromPage() {
    var servedAt = Number(root.dataset.servedAt);
    root.removeAttribute("data-served-at");  // so no copy of this page made later carries it
    var timing = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    if (!servedAt || !timing || !timing.responseStart) { return false; }
    // This phone's clock when the page arrived: now, less the (monotonic) time since.
    var arrived = Date.now() - (performance.now() - timing.responseStart);
    clockOffset = servedAt - arrived;
    try { localStorage.setItem(CLOCK_KEY, JSON.stringify(clockOffset)); } catch (error) { /* memory only */ }
    return true;
  }

  function syncClock() {
    var startedAt = Date.now();
    return fetch(root.dataset.session, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { learnClock(response, startedAt); }, function () {});
  }

  /** Date an undated entry on the server's clock; true when its body changed. */
  function dateEntry(entry) {
    if (entry.body.occurred_at || entry.sent || clockOffset === null) { return false; }
    entry.body.occurred_at = new Date(Date.parse(entry.queuedAt) + clockOffset).toISOString();
    return true;
  }

  /* --- talking to the server ------------------------------------------------------------- */

  function freshSession() {
    var startedAt = Date.now();
    return fetch(root.dataset.session, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        learnClock(response, startedAt);
        if (response.status === 401) { sessionEnded = true; return false; }
        if (!response.ok) { return false; }
        return response.json().then(function (data) {
          sessionEnded = false;
          otherAccount = String(data.user) !== user;
          csrfToken = data.csrf_token;
          return !otherAccount;
        });
      }, function () { return false; });
  }

  function send(entry, retried) {
    sending[entry.id] = true;
    // A weak signal can leave a request hanging: give up after a while and keep the entry
    // queued (if the server did record it, the replay later answers 200 and records nothing).
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, SEND_TIMEOUT_MS) : null;
    var startedAt = Date.now();
    var reached = false;  // whether the server may have seen this body (then it never changes)
    return fetch(root.dataset.log, {
      method: "POST",
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(entry.body)
    }).then(function (response) {
      reached = true;
      learnClock(response, startedAt);
      return response.json().catch(function () { return null; }).then(function (data) {
        // Confirmed only by the server's own answer for this entry: a page that a redirect
        // led to (an ended session's sign-in form answers 200) must never empty the queue.
        var confirmed = (response.status === 200 || response.status === 201) && !response.redirected && data && String(data.id).toLowerCase() === String(entry.id).toLowerCase();
        if (confirmed) {
          return queue.remove(entry.id).then(function () { return { kind: "confirmed", result: data }; });
        }
        if (response.redirected || response.status === 200 || response.status === 201) {
          sessionEnded = true;
          return { kind: "kept" };
        }
        var error = (data && data.error) || { code: "error", message: say("server_answered", { n: response.status }), fields: {} };
        if (error.code === "csrf" && !retried) {
          return freshSession().then(function (ok) { return ok ? send(entry, true) : { kind: "kept" }; });
        }
        if (response.status === 401) { sessionEnded = true; return { kind: "kept" }; }
        // Refused: an answer that sending the same body again cannot change (where the entry
        // goes then: the submit handler and flush). Any other answer keeps it for a retry.
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          return { kind: "refused", error: error };
        }
        return { kind: "kept" };
      });
    }, function () {
      reached = Boolean(controller && controller.signal.aborted);  // timed out: it may have
      return { kind: "kept" };
    }).then(function (outcome) {
      clearTimeout(timer);
      delete sending[entry.id];
      if (outcome.kind === "kept" && reached && !entry.sent) {
        entry.sent = true;
        return queue.put(entry).then(function () { return outcome; });
      }
      return outcome;
    });
  }

  function flush() {
    if (flushing) { return Promise.resolve(); }
    flushing = true;
    var stop = {};
    var synced = 0;
    return queue.all().then(function (entries) {
      var mine = entries.filter(function (e) { return e.user === user && !e.refusal && !sending[e.id]; });
      if (!mine.length) { return null; }
      return freshSession().then(function (ok) {
        if (!ok) { return null; }
        return mine.reduce(function (chain, entry) {
          return chain.then(function () {
            return (dateEntry(entry) ? queue.put(entry) : Promise.resolve()).then(function () {
              return send(entry);
            }).then(function (outcome) {
              if (outcome.kind === "confirmed") { synced += 1; lastSynced += 1; show(outcome.result); return null; }
              if (outcome.kind === "refused") {
                // Queued earlier (offline, or the answer never came): the person it was for has
                // gone, so it stays under "Needs your attention" until fixed or discarded.
                entry.refusal = { message: outcome.error.message, fields: outcome.error.fields || {}, code: outcome.error.code };
                return queue.put(entry);
              }
              throw stop;
            });
          });
        }, Promise.resolve());
      });
    }).catch(function (error) {
      if (error !== stop) { throw error; }
    }).then(function () {
      flushing = false;
      if (synced) {
        keepCopy();
        if (confirmEl.dataset.kind === "saved") { confirmEl.textContent = ""; }
      }
      return render();
    }, function () { flushing = false; return render(); });
  }

  /* --- the answer of a log: the page updated in place ------------------------------------ */

  function fragment(html) {
    var holder = document.createElement("template");
    holder.innerHTML = (html || "").trim();
    return holder.content.firstElementChild;
  }

  /** Show what the server answered for a logged event: on-hand figures, the event in
      "today", how many more there are. Nothing is fetched again. */
  function show(answer) {
    if (!answer || answer.site !== site) { return; }
    (answer.stock || []).forEach(function (figure) {
      var selector = '[data-supply="' + figure.supply + '"]';
      var row = form.querySelector(".qty" + selector);
      var hint = row && byId(row.dataset.field + "-hint");
      if (hint) {
        hint.dataset.usable = String(figure.usable);
        hint.dataset.server = figure.hint;
        hint.textContent = figure.hint;
      }
      var line = document.querySelector("#stock tr" + selector);
      if (line) {
        line.classList.toggle("low", Boolean(figure.low));
        line.querySelector(".stock-usable").textContent = figure.text;
        line.querySelector(".stock-flags").innerHTML = figure.flags;
      }
    });
    var list = byId("today-list");
    var item = fragment(answer.event);
    if (list && item) {
      var shown = byId(item.id);
      if (shown) { shown.replaceWith(item); } else { list.prepend(item); }
      var limit = parseInt(list.dataset.shown, 10) || 10;
      while (list.children.length > limit) { list.lastElementChild.remove(); }
      byId("today-none").hidden = true;
    }
    var more = fragment(answer.more);
    if (more && byId("today-more")) { byId("today-more").replaceWith(more); }
  }

  /** Keep this page, as it now stands, for a reload without a network: what the worker
      serves offline then shows the figures of the last log, not those of the last load. */
  function keepCopy() {
    if (!window.caches) { return; }
    var copy = document.documentElement.cloneNode(true);
    copy.removeAttribute("data-offline-ready");
    copy.querySelector("#log-button").removeAttribute("disabled");  // disabled while sending
    // What this visit's script drew or said: the next visit's draws it again.
    copy.querySelectorAll(".flash:not(#form-error), .void-form").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".void-link[aria-expanded]").forEach(function (el) { el.removeAttribute("aria-expanded"); });
    ["js-confirmation", "sync-status", "queue-list", "attention-list"].forEach(function (id) {
      var el = copy.querySelector("#" + id);
      if (el) { el.textContent = ""; }
    });
    copy.querySelectorAll("[data-server]").forEach(function (hint) {
      hint.textContent = hint.dataset.server;
      hint.removeAttribute("data-server");
    });
    var html = new XMLSerializer().serializeToString(document.doctype) + copy.outerHTML;
    var page = new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } });
    caches.open(PAGE_CACHE).then(function (cache) {
      return cache.put(location.origin + location.pathname, page);
    }).catch(function () {});
  }

  /* --- voiding: the page's one void form, opened under the event ------------------------- */

  var voidTemplate = byId("void-template");
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("#today .void-link") : null;
    if (!link || !voidTemplate) { return; }
    event.preventDefault();
    var item = link.closest("li");
    var wasOpen = item.querySelector(".void-form");
    document.querySelectorAll("#today .void-form").forEach(function (open) { open.remove(); });
    document.querySelectorAll("#today .void-link[aria-expanded]").forEach(function (other) {
      other.setAttribute("aria-expanded", "false");
    });
    if (wasOpen) { return; }  // a second tap closes it
    link.insertAdjacentHTML("afterend", voidTemplate.innerHTML.split("__EVENT__").join(link.dataset.event));
    item.querySelector(".void-form input[name=operation_id]").value = f.newId();
    link.setAttribute("aria-expanded", "true");  // focus stays: the form is next in the tab order
  });

  /* --- "same as last": the previous event's items at one tap ------------------------------ */

  function readLast() {
    try {
      var kept = JSON.parse(localStorage.getItem(LAST_KEY) || "null");
      if (kept && kept.length) { return kept; }
    } catch (error) { /* no storage */ }
    try { return JSON.parse(root.dataset.last || "[]"); } catch (error) { return []; }
  }

  function showLast() {
    if (!sameAsLast) { return; }
    sameAsLast.hidden = !lastItems.length;
    byId("same-as-last-lines").textContent = lastItems.length ? f.describe({ items: lastItems }) : "";
  }

  function keepLast(items) {
    lastItems = items.map(function (item) { return { supply: item.supply, quantity: item.quantity }; });
    try { localStorage.setItem(LAST_KEY, JSON.stringify(lastItems)); } catch (error) { /* kept in memory */ }
    showLast();
  }

  if (sameAsLast) {
    sameAsLast.addEventListener("click", function () { f.fillItems(lastItems, true); });
  }

  /* --- on-hand hints count what waits on this phone ---------------------------------------- */

  function showQueuedHints(waiting) {
    var queued = {};
    waiting.forEach(function (entry) {
      if (entry.site !== site) { return; }
      entry.body.items.forEach(function (item) { queued[item.supply] = (queued[item.supply] || 0) + item.quantity; });
    });
    form.querySelectorAll(".qty").forEach(function (row) {
      var hint = byId(row.dataset.field + "-hint");
      if (!hint || hint.dataset.usable === undefined) { return; }
      if (hint.dataset.server === undefined) { hint.dataset.server = hint.textContent; }
      var waitingHere = queued[row.dataset.supply] || 0;
      if (!waitingHere) { hint.textContent = hint.dataset.server; return; }
      var left = Math.max(0, parseInt(hint.dataset.usable, 10) - waitingHere);
      hint.textContent = say("on_hand_queued", { n: left, unit: hint.dataset.unit, queued: waitingHere });
    });
  }

  /* --- showing the queue ------------------------------------------------------------------ */

  function render() {
    return queue.all().then(function (entries) {
      var mine = entries.filter(function (e) { return e.user === user; });
      var waiting = mine.filter(function (e) { return !e.refusal; });
      var refused = mine.filter(function (e) { return e.refusal; });
      statusEl.textContent = "";
      statusEl.className = "sync-status";
      if (waiting.length) {
        statusEl.classList.add("waiting");
        statusEl.append((navigator.onLine ? "" : say("offline") + " ") + say("waiting", { n: waiting.length }));
        if (sessionEnded || otherAccount) {
          var link = document.createElement("a");
          link.href = "/";
          link.textContent = say(otherAccount ? "sign_in_as_author" : "sign_in_again");
          statusEl.append(" ", link, ".");
        }
      } else if (refused.length) {
        statusEl.classList.add("refused");
        statusEl.textContent = say("need_attention", { n: refused.length });
      } else if (lastSynced) {
        statusEl.classList.add("synced");
        statusEl.textContent = say("all_synced");
      }
      renderList(byId("queue-panel"), byId("queue-list"), waiting, false);
      showQueuedHints(waiting);
      renderList(byId("attention"), byId("attention-list"), refused, true);
      return waiting.length;
    }).catch(function () {});
  }

  function renderList(panel, list, entries, refused) {
    list.textContent = "";
    panel.hidden = !entries.length;
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      var line = document.createElement("div");
      line.className = "event-line";
      var time = document.createElement("span");
      time.className = "time";
      // Not dated yet (the phone has not learned the server's clock): when it was saved here.
      time.textContent = f.clock(entry.body.occurred_at || entry.queuedAt);
      var given = document.createElement("span");
      given.textContent = f.describe(entry.body);
      line.append(time, given);
      item.append(line);
      if (refused) {
        var why = document.createElement("p");
        why.className = "field-error";
        why.textContent = entry.refusal.message;
        var actions = document.createElement("div");
        actions.className = "queued-actions";
        actions.append(
          action(say("fix_and_send"), "primary", function () { f.loadIntoForm(entry); }),
          action(say("discard"), "secondary", function () {
            if (window.confirm(say("discard_question", { given: f.describe(entry.body) }))) {
              queue.remove(entry.id).then(render);
            }
          })
        );
        item.append(why, actions);
      }
      list.append(item);
    });
  }

  function action(label, kind, onClick) {
    var control = document.createElement("button");
    control.type = "button";
    control.className = "button " + kind;
    control.textContent = label;
    control.addEventListener("click", onClick);
    return control;
  }

  /* --- submitting -------------------------------------------------------------------------- */

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    f.clearErrors();
    confirmEl.textContent = "";
    var read = f.readForm();
    if (Object.keys(read.errors).length) {
      f.showErrors(say("check_fields"), read.errors, []);
      return;
    }
    button.disabled = true;
    var replaced = f.editing();
    var focusedBefore = document.activeElement;
    // A fixed refusal keeps the moment it was first saved, unless the person set a time.
    var queuedAt = replaced && !read.body.occurred_at ? replaced.queuedAt : new Date().toISOString();
    var entry = { id: read.body.id, user: user, site: site, body: read.body, itemFields: read.itemFields, queuedAt: queuedAt };
    var wasParked = false;  // this is the fix of an entry the queue holds under "Needs your attention"
    (clockOffset === null ? syncClock() : Promise.resolve()).then(function () {
      return replaced ? queue.all() : [];
    }).then(function (entries) {
      wasParked = entries.some(function (kept) { return kept.id === replaced.id; });
      dateEntry(entry);
      return queue.put(entry);
    }).then(function () {
      return replaced && replaced.id !== entry.id ? queue.remove(replaced.id) : null;
    }).then(function () {
      return send(entry);
    }).then(function (outcome) {
      if (outcome.kind === "confirmed") {
        confirmEl.dataset.kind = "logged";
        confirmEl.textContent = outcome.result.confirmation;
        keepLast(read.body.items);
        f.resetForm();
        show(outcome.result);
        keepCopy();
      } else if (outcome.kind === "refused") {
        // Nothing was recorded, and sending it again cannot change that (a 4xx such as 409
        // not enough stock or 422 a value refused; send() tells these from the answers a
        // retry can fix: no network, a timeout, 5xx, 408, 429, an ended session). The person
        // is still at the table: the entry goes back into the form to fix now, every value
        // kept and the error beside its field, and it leaves the queue. Left queued, it would
        // show under "Needs your attention" on every load, and sent again from there later
        // (once stock arrives) it would record a hand-out that never happened, beside the
        // corrected one.
        // Only the fix of an entry already parked there (refused when replayed after being
        // queued offline: its person has gone) stays parked, for the user to fix or discard.
        entry.refusal = { message: outcome.error.message, fields: outcome.error.fields || {}, code: outcome.error.code };
        var kept = wasParked ? queue.put(entry) : queue.remove(entry.id);
        return kept.then(function () { f.loadIntoForm(entry); });
      } else {
        confirmEl.dataset.kind = "saved";
        confirmEl.textContent = say("saved_offline", { given: f.describe(entry.body) });
        keepLast(read.body.items);
        f.resetForm();
      }
      // The form cleared in place, the confirmation beside the button: no jump. Focus goes
      // where the next entry starts, without scrolling there.
      var next = form.querySelector(".bundle:not([hidden])") || form.querySelector(".qty input");
      if (next && focusedBefore !== next) { next.focus({ preventScroll: true }); }
      return null;
    }).catch(function (error) {
      // No storage on this device (or a bug here): fall back to the plain form post, same id.
      if (window.console) { console.error(error); }
      form.submit();
    }).then(function () {
      button.disabled = false;
      render();
    });
  });

  /* Warn before signing out with unsent events; clear the queue and cached pages after. */
  var signOut = document.querySelector("form.sign-out");
  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      event.preventDefault();
      queue.all().then(function (entries) {
        var unsent = entries.length;
        var question = say("sign_out_question", { n: unsent });
        if (unsent && !window.confirm(question)) { return null; }
        var clearing = [queue.clear()];
        if (window.caches) { clearing.push(caches.delete(PAGE_CACHE)); }
        return Promise.all(clearing).then(function () { signOut.submit(); });
      }).catch(function () { signOut.submit(); });
    });
  }

  /* --- the installable, offline app shell -------------------------------------------------- */

  function markOfflineReady() { document.documentElement.dataset.offlineReady = "1"; }

  function keep(cache, url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok || response.redirected) { return null; }
      // Stored without the moment it was served: a copy read later must not set the clock.
      return response.text().then(function (html) {
        var body = html.replace(/ data-served-at="[^"]*"/, "");
        return cache.put(url, new Response(body, { status: response.status, headers: response.headers }));
      });
    });
  }

  function keepScreen(cache) {
    return cache.match(location.href).then(function (cached) {
      if (cached && navigator.serviceWorker.controller) { return null; }
      // The first visit was not yet under the worker: keep a copy of this screen now.
      return keep(cache, location.href);
    });
  }

  /* The worker's page for an address never stored (the worker keeps it when installed),
     kept again when it is not in the language the person reads now: not on every visit,
     where it cost a round trip on a slow network (issue 26). */
  function keepOfflinePage(cache) {
    var url = new URL(root.dataset.offline, location.href).href;
    return cache.match(url).then(function (kept) {
      return kept ? kept.text() : "";
    }).then(function (html) {
      var lang = /<html lang="([^"]*)"/.exec(html);
      return lang && lang[1] === document.documentElement.lang ? null : keep(cache, url);
    });
  }

  if ("serviceWorker" in navigator && window.caches) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () {
        return caches.open(PAGE_CACHE).then(function (cache) {
          return Promise.all([keepScreen(cache), keepOfflinePage(cache)]);
        });
      })
      .then(markOfflineReady)
      .catch(function () {});
  }

  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", render);
  setInterval(flush, 15000);
  f.setEventId(f.newId());
  showLast();
  if (!byId("form-error").hidden) { f.focusFirstError(); }
  // This visit's offset, before the first entry needs it: from the page, else by asking.
  if (!learnClockFromPage()) { syncClock(); }
  render().then(flush);
})();
