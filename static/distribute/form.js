/* The distribution form's behaviour: steppers, the overdose toggle, field errors, and
   reading, resetting or refilling the form. screen.js wires it to the offline queue.
   Every sentence shown comes from the page (data-texts on the root, in the reader's language). */
(function () {
  "use strict";

  /** Wrap the form inside root; returns what screen.js needs. */
  window.DistributionForm = function (root, form) {
    var site = root.dataset.site;
    var formError = byId("form-error");
    var eventId = byId("event_id");
    var overdose = byId("used_on_overdose");
    var reversals = byId("reversals");
    var reversalsInput = byId("reversals_reported");
    var names = {};
    var editing = null;
    var texts = readTexts();
    var whenDate = byId("when_date");
    var whenTime = byId("when_time");
    var summary = byId("error-summary");
    var formErrorMessage = byId("form-error-message");
    var runningSummary = byId("running-summary");

    function byId(id) { return document.getElementById(id); }

    function readTexts() {
      try { return JSON.parse(root.dataset.texts || "{}"); } catch (error) { return {}; }
    }

    /** The page's text for key; {name} is filled from values; a count picks one or other. */
    function say(key, values) {
      var text = texts[key];
      if (text && typeof text === "object") { text = values && values.n === 1 ? text.one : text.other; }
      return String(text || key).replace(/\{(\w+)\}/g, function (whole, name) {
        return values && name in values ? String(values[name]) : whole;
      });
    }

    function newId() {
      if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
      var bytes = crypto.getRandomValues(new Uint8Array(16));
      bytes[6] = (bytes[6] & 0x0f) | 0x40;
      bytes[8] = (bytes[8] & 0x3f) | 0x80;
      var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
      return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
    }

    /** An instant's time on the program's clock (data-timezone, APP_TIMEZONE), as the page
        shows its own times (24-hour), whatever zone the device is set to. */
    function clock(iso) {
      // A paper tally's moment is already on the program's clock (no offset): its day too.
      var dated = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$/.exec(iso || "");
      if (dated) { return dated[1] + " " + dated[2]; }
      var when = new Date(iso);
      try {
        return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
          timeZone: root.dataset.timezone || undefined, hour: "2-digit", minute: "2-digit", hourCycle: "h23"
        }).format(when);
      } catch (error) {
        // A browser without time zone data: the device's clock.
        return ("0" + when.getHours()).slice(-2) + ":" + ("0" + when.getMinutes()).slice(-2);
      }
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
        updateSummary();
      });
    });
    form.querySelectorAll(".qty input").forEach(function (input) {
      input.addEventListener("input", updateSummary);
    });

    /** "3 items" beside the log button: what this entry will record so far. */
    function updateSummary() {
      if (!runningSummary) { return; }
      var total = 0;
      form.querySelectorAll(".qty input").forEach(function (input) {
        var n = parseInt(input.value, 10);
        if (n > 0 && /^\d+$/.test(input.value.trim())) { total += n; }
      });
      runningSummary.textContent = total ? say("items_count", { n: total }) : "";
    }

    /* --- bundles and "same as last": quantities in one tap, still editable --------------- */

    function quantityInput(supply) {
      var row = form.querySelector('.qty[data-supply="' + supply + '"]');
      return row ? byId(row.dataset.field) : null;
    }

    /** Put items into the form: added to what is there, or (replace) instead of it. */
    function fillItems(items, replace) {
      if (replace) { form.querySelectorAll(".qty input").forEach(function (input) { input.value = ""; }); }
      items.forEach(function (item) {
        var input = quantityInput(item.supply);
        if (!input) { return; }
        var had = replace ? 0 : parseInt(input.value, 10) || 0;
        input.value = String(had + item.quantity);
        var folded = input.closest("details");
        if (folded) { folded.open = true; }
      });
      updateSummary();
    }

    if (byId("bundles")) { byId("bundles").hidden = false; }
    form.querySelectorAll(".bundle[data-lines]").forEach(function (button) {
      button.addEventListener("click", function () {
        try { fillItems(JSON.parse(button.dataset.lines), false); } catch (error) { /* a bad page */ }
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

    /** The words a person reads for a field: its label, legend or supply name. */
    function labelOf(target) {
      var row = target.closest(".qty");
      if (row) { return names[row.dataset.supply] || row.dataset.supply; }
      if (target.tagName === "FIELDSET") { return target.querySelector("legend").textContent.trim(); }
      var label = form.querySelector('label[for="' + target.id + '"]');
      var text = label ? label.textContent.trim() : target.id;
      if (target === whenDate || target === whenTime) { text = say("when") + ": " + text; }
      return text;
    }

    function summarise(target, message) {
      if (!summary) { return; }
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + target.id;
      link.textContent = labelOf(target) + ": " + message;
      item.append(link);
      summary.append(item);
    }

    function clearErrors() {
      form.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
      form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
      form.querySelectorAll("[aria-describedby]").forEach(function (el) {
        var kept = el.getAttribute("aria-describedby").split(" ").filter(function (id) { return !/-error$/.test(id); });
        if (kept.length) { el.setAttribute("aria-describedby", kept.join(" ")); } else { el.removeAttribute("aria-describedby"); }
      });
      form.querySelectorAll(".qty.has-error").forEach(function (row) { row.classList.remove("has-error"); });
      formError.hidden = true;
      formErrorMessage.textContent = "";
      if (summary) { summary.textContent = ""; }
    }

    function fieldError(name, message) {
      var target = byId(name);
      if (!target) { return false; }
      summarise(target, message);
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
      return target;
    }

    /** Move to the first field in error (the summary names them all). */
    function focusFirstError() {
      var first = form.querySelector('[aria-invalid="true"]');
      if (!first) { formError.focus({ preventScroll: false }); return; }
      var details = first.closest("details");
      if (details) { details.open = true; }
      if (first.type === "radio" || first.type === "checkbox") {
        // A hidden radio cannot show focus well: the checked one, or the first of its group.
        first = form.querySelector('input[name="' + first.name + '"]:checked') || first;
      }
      first.focus();
      first.scrollIntoView({ block: "center" });
    }

    function showErrors(message, fields, itemFields) {
      if (summary) { summary.textContent = ""; }
      Object.keys(fields || {}).forEach(function (name) {
        var match = /^items\[(\d+)\]/.exec(name);
        var target = name;
        if (match) { target = itemFields[parseInt(match[1], 10)] || "items"; }
        if (name === "resupply_reason" && overdose.checked) { target = "used_on_overdose"; }
        if (name === "occurred_at") { target = "when_date"; }
        if (!fieldError(target, fields[name]) && summary) {
          // A field the form does not show: still never its program name.
          var item = document.createElement("li");
          item.textContent = fields[name];
          summary.append(item);
        }
      });
      formErrorMessage.textContent = message;
      formError.hidden = false;
      focusFirstError();
    }

    /* --- the paper tally's "when": kept for the next entries until cleared --------------- */

    var WHEN_KEY = "distribute-when:" + root.dataset.user + ":" + site;
    var whenBanner = byId("when-banner");
    var whenText = byId("when-text");
    var whenClear = byId("when-clear");

    function showWhen() {
      var set = whenDate.value && whenTime.value;
      whenBanner.hidden = !set;
      whenClear.hidden = !set;
      whenText.textContent = set ? say("when_set", { day: whenDate.value, time: whenTime.value }) : "";
      try {
        if (set) { sessionStorage.setItem(WHEN_KEY, JSON.stringify([whenDate.value, whenTime.value])); }
        else { sessionStorage.removeItem(WHEN_KEY); }
      } catch (error) { /* private mode: kept until the page is left */ }
    }

    function clearWhen() {
      whenDate.value = "";
      whenTime.value = "";
      showWhen();
    }

    try {
      var kept = JSON.parse(sessionStorage.getItem(WHEN_KEY) || "null");
      if (kept && !whenDate.value && !whenTime.value) { whenDate.value = kept[0]; whenTime.value = kept[1]; }
    } catch (error) { /* nothing kept */ }
    [whenDate, whenTime].forEach(function (input) { input.addEventListener("change", showWhen); });
    whenClear.addEventListener("click", clearWhen);
    showWhen();
    if (whenDate.value && whenTime.value) { byId("when").open = true; }

    /** The back-dated moment as the API takes it (no offset: the program's clock), or null. */
    function readWhen(errors) {
      var day = whenDate.value.trim(), time = whenTime.value.trim();
      if (!day && !time) { return null; }
      if (!day) { errors.when_date = say("when_day_missing"); }
      if (!time) { errors.when_time = say("when_time_missing"); }
      if (day && (!/^\d{4}-\d{2}-\d{2}$/.test(day) || (whenDate.min && day < whenDate.min) || (whenDate.max && day > whenDate.max))) {
        errors.when_date = say("when_range");
      }
      if (!day || !time || errors.when_date) { return null; }
      return day + "T" + time.slice(0, 5) + ":00";
    }

    /* --- reading and resetting the form ---------------------------------------------------- */

    function readForm() {
      var items = [], itemFields = [], errors = {};
      form.querySelectorAll(".qty").forEach(function (row) {
        var raw = byId(row.dataset.field).value.trim();
        if (raw === "") { return; }
        if (!/^\d+$/.test(raw) || parseInt(raw, 10) > 100000) {
          errors[row.dataset.field] = say("quantity_invalid");
          return;
        }
        if (parseInt(raw, 10) > 0) {
          items.push({ supply: row.dataset.supply, quantity: parseInt(raw, 10) });
          itemFields.push(row.dataset.field);
        }
      });
      if (!items.length && !Object.keys(errors).length) { errors.items = say("nothing_given"); }
      var when = readWhen(errors);
      var rev = reversalsInput.value.trim() || "0";
      if (!/^\d+$/.test(rev) || parseInt(rev, 10) > 1000) { errors.reversals_reported = say("reversals_invalid"); }
      var yesNo = { yes: true, no: false };
      var body = {
        id: eventId.value,
        site: site,
        // Set by the person (a paper tally; a refused entry's own time is loaded into those
        // fields), or null: screen.js dates it from when it was saved on this phone, on the
        // server's clock (a phone's clock can be off by an hour).
        occurred_at: when || null,
        items: items,
        setting: radio("setting") || null,
        recipient_type: radio("recipient_type") || null,
        for_others: radio("for_others") in yesNo ? yesNo[radio("for_others")] : null,
        first_time: radio("first_time") || null,
        age_band: radio("age_band") || null,
        // A ZIP code is cut to 3 digits here too, so the full ZIP never rests on the device.
        area: byId("area").value.trim().replace(/^(\d{3})\d{2}(-\d{4})?$/, "$1") || null,
        // Recorded only when asked: "not asked" sends null.
        trained: radio("trained") in yesNo ? yesNo[radio("trained")] : null,
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
      setRadio("trained", "");
      setRadio("setting", root.dataset.setting);
      byId("area").value = "";
      overdose.checked = false;
      reversalsInput.value = "0";
      showReversals(false);
      form.querySelector("details.more").open = false;
      eventId.value = newId();
      editing = null;
      updateSummary();
      // The paper tally's date stays (showWhen), for the next line of the sheet.
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
      setRadio("trained", body.trained === true ? "yes" : body.trained === false ? "no" : "");
      var dated = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):00$/.exec(body.occurred_at || "");
      if (dated) { whenDate.value = dated[1]; whenTime.value = dated[2]; showWhen(); }
      byId("area").value = body.area || "";
      overdose.checked = body.resupply_reason === "used_on_overdose";
      if (!overdose.checked) { setRadio("resupply_reason", body.resupply_reason || ""); }
      reversalsInput.value = String(body.reversals_reported || 0);
      showReversals(false);
      updateSummary();
      editing = entry;
      showErrors(entry.refusal.message, entry.refusal.fields, entry.itemFields || []);
    }

    return {
      say: say,
      names: names,
      newId: newId,
      clock: clock,
      describe: describe,
      clearErrors: clearErrors,
      showErrors: showErrors,
      readForm: readForm,
      resetForm: resetForm,
      loadIntoForm: loadIntoForm,
      fillItems: fillItems,
      focusFirstError: focusFirstError,
      updateSummary: updateSummary,
      /** The refused entry being fixed in the form, if any. */
      editing: function () { return editing; },
      setEventId: function (id) { eventId.value = id; }
    };
  };
})();
