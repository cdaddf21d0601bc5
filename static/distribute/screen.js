/* Enhances the distribution screen: steppers, the overdose toggle, and an offline queue.

   Without this script the form is a plain POST. With it, a submission is first saved on the
   device (queue.js), then sent to POST /api/v1/distributions with the session's CSRF token.
   The server confirms (201, or 200 for a replay of the same id) and the entry is removed;
   a refusal is shown to the user and kept until they fix or discard it. */
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
  var formError = byId("form-error");
  var button = byId("log-button");
  var eventId = byId("event_id");
  var overdose = byId("used_on_overdose");
  var reversals = byId("reversals");
  var reversalsInput = byId("reversals_reported");
  var csrfToken = form.querySelector("input[name=csrf_token]").value;
  var sending = {};
  var flushing = false;
  var sessionEnded = false;
  var otherAccount = false;
  var lastSynced = 0;
  var editing = null;
  var names = {};

  function byId(id) { return document.getElementById(id); }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function clock(iso) {
    var when = new Date(iso);
    return ("0" + when.getHours()).slice(-2) + ":" + ("0" + when.getMinutes()).slice(-2);
  }

  function describe(body) {
    return body.items.map(function (item) {
      return item.quantity + " × " + (names[item.supply] || item.supply);
    }).join(", ");
  }

  function radio(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }

  function setRadio(name, value) {
    var input = form.querySelector('input[name="' + name + '"][value="' + value + '"]');
    if (input) { input.checked = true; }
  }

  /* --- steppers and the overdose toggle ------------------------------------------------ */

  form.querySelectorAll(".qty").forEach(function (row) {
    names[row.dataset.supply] = row.querySelector("label").textContent.trim();
  });

  form.querySelectorAll(".step").forEach(function (step) {
    step.hidden = false;
    step.addEventListener("click", function () {
      var input = byId(step.dataset.for);
      var value = parseInt(input.value, 10);
      value = Math.max(0, (isNaN(value) ? 0 : value) + parseInt(step.dataset.step, 10));
      input.value = value === 0 && input.id !== "reversals_reported" ? "" : String(value);
    });
  });

  function showReversals(fromUser) {
    var on = overdose.checked;
    if (fromUser) {
      reversalsInput.value = on ? String(Math.max(1, parseInt(reversalsInput.value, 10) || 0)) : "0";
      if (on) { setRadio("resupply_reason", ""); }
    }
    reversals.hidden = !on && !(parseInt(reversalsInput.value, 10) > 0) && !reversals.querySelector(".field-error");
  }
  overdose.addEventListener("change", function () { showReversals(true); });
  form.querySelectorAll("input[name=resupply_reason]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.value && overdose.checked) { overdose.checked = false; showReversals(true); }
    });
  });
  showReversals(false);

  /* --- errors ---------------------------------------------------------------------------- */

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    form.querySelectorAll("[aria-describedby]").forEach(function (el) {
      var kept = el.getAttribute("aria-describedby").split(" ").filter(function (id) { return !/-error$/.test(id); });
      if (kept.length) { el.setAttribute("aria-describedby", kept.join(" ")); } else { el.removeAttribute("aria-describedby"); }
    });
    form.querySelectorAll(".qty.has-error").forEach(function (row) { row.classList.remove("has-error"); });
    formError.hidden = true;
    formError.textContent = "";
  }

  function fieldError(name, message) {
    var target = byId(name);
    if (!target) { return false; }
    var p = document.createElement("p");
    p.className = "field-error";
    p.id = name + "-error";
    p.textContent = message;
    if (target.tagName === "FIELDSET") {
      var legend = target.querySelector("legend");
      if (name === "items") { legend.after(p); } else { target.appendChild(p); }
      target.querySelectorAll("input").forEach(function (input) { input.setAttribute("aria-invalid", "true"); });
    } else {
      var box = target.closest(".qty, .reversals, .field, .overdose");
      (box || target.parentNode).appendChild(p);
      target.setAttribute("aria-invalid", "true");
      if (box && box.classList.contains("qty")) { box.classList.add("has-error"); }
    }
    var described = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(p.id);
    target.setAttribute("aria-describedby", described.join(" "));
    var details = target.closest("details");
    if (details) { details.open = true; }
    if (name === "reversals_reported") { reversals.hidden = false; }
    return true;
  }

  function showErrors(message, fields, itemFields) {
    Object.keys(fields || {}).forEach(function (name) {
      var match = /^items\[(\d+)\]/.exec(name);
      var target = name;
      if (match) { target = itemFields[parseInt(match[1], 10)] || "items"; }
      if (name === "resupply_reason" && overdose.checked) { target = "used_on_overdose"; }
      fieldError(target, fields[name]);
    });
    formError.textContent = message;
    formError.hidden = false;
    formError.scrollIntoView({ block: "center" });
  }

  /* --- reading and resetting the form ---------------------------------------------------- */

  function readForm() {
    var items = [], itemFields = [], errors = {};
    form.querySelectorAll(".qty").forEach(function (row) {
      var raw = byId(row.dataset.field).value.trim();
      if (raw === "") { return; }
      if (!/^\d+$/.test(raw) || parseInt(raw, 10) > 100000) {
        errors[row.dataset.field] = "must be a whole number from 0 to 100000";
        return;
      }
      if (parseInt(raw, 10) > 0) {
        items.push({ supply: row.dataset.supply, quantity: parseInt(raw, 10) });
        itemFields.push(row.dataset.field);
      }
    });
    if (!items.length && !Object.keys(errors).length) { errors.items = "enter how many of at least one supply"; }
    var rev = reversalsInput.value.trim() || "0";
    if (!/^\d+$/.test(rev) || parseInt(rev, 10) > 1000) { errors.reversals_reported = "must be a whole number from 0 to 1000"; }
    var yesNo = { yes: true, no: false };
    var body = {
      id: eventId.value,
      site: site,
      // A fixed refusal keeps the time it happened, unless that time was what was refused.
      occurred_at: editing && !(editing.refusal.fields || {}).occurred_at ? editing.body.occurred_at : new Date().toISOString(),
      items: items,
      setting: radio("setting") || null,
      recipient_type: radio("recipient_type") || null,
      for_others: radio("for_others") in yesNo ? yesNo[radio("for_others")] : null,
      first_time: radio("first_time") || null,
      age_band: radio("age_band") || null,
      // A ZIP code is cut to 3 digits here too, so the full ZIP never rests on the device.
      area: byId("area").value.trim().replace(/^(\d{3})\d{2}(-\d{4})?$/, "$1") || null,
      trained: radio("trained") === "yes",
      reversals_reported: parseInt(rev, 10) || 0,
      resupply_reason: overdose.checked ? "used_on_overdose" : (radio("resupply_reason") || null),
      language: radio("language") || null
    };
    return { body: body, itemFields: itemFields, errors: errors };
  }

  function resetForm() {
    form.querySelectorAll(".qty input").forEach(function (input) { input.value = ""; });
    ["recipient_type", "first_time", "for_others", "age_band", "language", "resupply_reason"].forEach(function (name) {
      setRadio(name, "");
    });
    setRadio("trained", "no");
    setRadio("setting", root.dataset.setting);
    byId("area").value = "";
    overdose.checked = false;
    reversalsInput.value = "0";
    showReversals(false);
    form.querySelector("details.more").open = false;
    eventId.value = newId();
    editing = null;
  }

  function loadIntoForm(entry) {
    resetForm();
    clearErrors();
    var body = entry.body;
    body.items.forEach(function (item) {
      var row = form.querySelector('.qty[data-supply="' + item.supply + '"]');
      if (row) { byId(row.dataset.field).value = String(item.quantity); }
    });
    ["recipient_type", "first_time", "age_band", "language", "setting"].forEach(function (name) {
      setRadio(name, body[name] || "");
    });
    setRadio("for_others", body.for_others === true ? "yes" : body.for_others === false ? "no" : "");
    setRadio("trained", body.trained ? "yes" : "no");
    byId("area").value = body.area || "";
    overdose.checked = body.resupply_reason === "used_on_overdose";
    if (!overdose.checked) { setRadio("resupply_reason", body.resupply_reason || ""); }
    reversalsInput.value = String(body.reversals_reported || 0);
    showReversals(false);
    editing = entry;
    showErrors(entry.refusal.message, entry.refusal.fields, entry.itemFields || []);
  }

  /* --- talking to the server ------------------------------------------------------------- */

  function freshSession() {
    return fetch(root.dataset.session, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
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
    return fetch(root.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(entry.body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.status === 200 || response.status === 201) {
          return queue.remove(entry.id).then(function () { return { kind: "confirmed", result: data }; });
        }
        var error = (data && data.error) || { code: "error", message: "The server answered " + response.status + ".", fields: {} };
        if (error.code === "csrf" && !retried) {
          return freshSession().then(function (ok) { return ok ? send(entry, true) : { kind: "kept" }; });
        }
        if (response.status === 401) { sessionEnded = true; return { kind: "kept" }; }
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          return { kind: "refused", error: error };
        }
        return { kind: "kept" };
      });
    }, function () {
      return { kind: "kept" };
    }).then(function (outcome) {
      clearTimeout(timer);
      delete sending[entry.id];
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
            return send(entry).then(function (outcome) {
              if (outcome.kind === "confirmed") { synced += 1; lastSynced += 1; return null; }
              if (outcome.kind === "refused") {
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
        refresh();
        if (confirmEl.dataset.kind === "saved") { confirmEl.textContent = ""; }
      }
      return render();
    }, function () { flushing = false; return render(); });
  }

  /* Swap the parts of the page that the server knows better: stock, hints, today's list. */
  function refresh() {
    return fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { return null; }
        if (window.caches) {
          var copy = response.clone();
          caches.open(PAGE_CACHE).then(function (cache) { return cache.put(location.href, copy); }).catch(function () {});
        }
        return response.text();
      })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-refresh][id]").forEach(function (el) {
          var replacement = fresh.getElementById(el.id);
          if (replacement) { el.replaceWith(document.importNode(replacement, true)); }
        });
      })
      .catch(function () {});
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
        statusEl.append((navigator.onLine ? "" : "Offline. ") + "Saved on this phone, waiting to sync (" + waiting.length + ").");
        if (sessionEnded || otherAccount) {
          var link = document.createElement("a");
          link.href = "/";
          link.textContent = otherAccount ? "Sign in as the person who logged them" : "Sign in again to send them";
          statusEl.append(" ", link, ".");
        }
      } else if (refused.length) {
        statusEl.classList.add("refused");
        statusEl.textContent = refused.length + (refused.length === 1 ? " distribution needs" : " distributions need") + " your attention below.";
      } else if (lastSynced) {
        statusEl.classList.add("synced");
        statusEl.textContent = "All distributions are synced.";
      }
      renderList(byId("queue-panel"), byId("queue-list"), waiting, false);
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
      time.textContent = clock(entry.body.occurred_at);
      var given = document.createElement("span");
      given.textContent = describe(entry.body);
      line.append(time, given);
      item.append(line);
      if (refused) {
        var why = document.createElement("p");
        why.className = "field-error";
        why.textContent = entry.refusal.message;
        var actions = document.createElement("div");
        actions.className = "queued-actions";
        actions.append(
          action("Fix and send again", "primary", function () { loadIntoForm(entry); }),
          action("Discard", "secondary", function () {
            if (window.confirm("Discard this distribution (" + describe(entry.body) + ")? It was never recorded.")) {
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
    clearErrors();
    confirmEl.textContent = "";
    var read = readForm();
    if (Object.keys(read.errors).length) {
      showErrors("Please check the fields marked below.", read.errors, []);
      return;
    }
    button.disabled = true;
    var replaced = editing;
    var entry = { id: read.body.id, user: user, site: site, body: read.body, itemFields: read.itemFields, queuedAt: new Date().toISOString() };
    queue.put(entry).then(function () {
      return replaced && replaced.id !== entry.id ? queue.remove(replaced.id) : null;
    }).then(function () {
      editing = null;
      return send(entry);
    }).then(function (outcome) {
      if (outcome.kind === "confirmed") {
        confirmEl.dataset.kind = "logged";
        confirmEl.textContent = "Logged: " + outcome.result.items.map(function (item) {
          return item.quantity + " × " + item.name;
        }).join(", ") + ".";
        resetForm();
        refresh();
      } else if (outcome.kind === "refused") {
        // Nothing was recorded: keep every value so the person can correct it now.
        eventId.value = newId();
        return queue.remove(entry.id).then(function () {
          showErrors(outcome.error.message, outcome.error.fields, read.itemFields);
        });
      } else {
        confirmEl.dataset.kind = "saved";
        confirmEl.textContent = "Saved on this phone: " + describe(entry.body) + ". It will be sent when the connection is back.";
        resetForm();
      }
      return null;
    }).catch(function () {
      // No storage on this device: fall back to the plain form post with the same id.
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
        var question = unsent + (unsent === 1 ? " distribution has" : " distributions have") +
          " not been sent yet. Signing out deletes " + (unsent === 1 ? "it" : "them") +
          " from this phone. Sign out anyway?";
        if (unsent && !window.confirm(question)) { return null; }
        var clearing = [queue.clear()];
        if (window.caches) { clearing.push(caches.delete(PAGE_CACHE)); }
        return Promise.all(clearing).then(function () { signOut.submit(); });
      }).catch(function () { signOut.submit(); });
    });
  }

  /* --- the installable, offline app shell -------------------------------------------------- */

  function markOfflineReady() { document.documentElement.dataset.offlineReady = "1"; }

  if ("serviceWorker" in navigator && window.caches) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () {
        return caches.open(PAGE_CACHE).then(function (cache) {
          return cache.match(location.href).then(function (cached) {
            if (cached && navigator.serviceWorker.controller) { return null; }
            // The first visit was not yet under the worker: keep a copy of this screen now.
            return fetch(location.href, { credentials: "same-origin" }).then(function (response) {
              if (response.ok && !response.redirected) { return cache.put(location.href, response); }
              return null;
            });
          });
        });
      })
      .then(markOfflineReady)
      .catch(function () {});
  }

  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", render);
  setInterval(flush, 15000);
  eventId.value = newId();
  render().then(flush);
})();
