// Packing slip: a Print button (shown only when scripts run; the browser's Print works anyway).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});

// Transfer: choosing the sending site lists what it holds (the "List what it holds" button,
// which works without scripts too); each line's lot list shows only its supply's lots.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-lot-filter]").forEach(function (form) {
    var refresh = form.querySelector("[data-refresh]");
    var from = form.querySelector("select[name='from_site']");
    if (refresh && from) {
      from.addEventListener("change", function () { refresh.click(); });
    }
    form.querySelectorAll("fieldset.line").forEach(function (line) {
      var supply = line.querySelector("select[name$='-supply']");
      var lot = line.querySelector("select[name$='-lot_number']");
      if (!supply || !lot) { return; }
      var show = function () {
        lot.querySelectorAll("option[data-supply]").forEach(function (option) {
          var mine = !supply.value || option.dataset.supply === supply.value;
          option.hidden = !mine;
          option.disabled = !mine;
          if (!mine && option.selected) { lot.value = ""; }
        });
        lot.querySelectorAll("optgroup").forEach(function (group) {
          group.hidden = !group.querySelector("option:not([hidden])");
        });
      };
      supply.addEventListener("change", show);
      show();
    });
  });
});
