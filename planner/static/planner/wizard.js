/* The plan wizard's two conveniences; the form works the same without them.
 *
 * 1. On a fresh form, the time zone defaults to the browser's
 *    (Intl.DateTimeFormat().resolvedOptions().timeZone), and the first study
 *    day to the browser's today, if the server's guess was left untouched;
 *    the date pickers' earliest day becomes the browser's today too.
 * 2. The concept checklist gets a filter box that hides the concepts that do
 *    not match and opens the areas that do.
 */
(function () {
  "use strict";

  function localIsoDate(now) {
    var month = String(now.getMonth() + 1).padStart(2, "0");
    var day = String(now.getDate()).padStart(2, "0");
    return now.getFullYear() + "-" + month + "-" + day;
  }

  function browserTimezone() {
    var field = document.querySelector("[data-timezone-field][data-from-browser]");
    if (!field || !window.Intl || !Intl.DateTimeFormat) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var select = field.querySelector("select");
    if (!zone || !select || select.value === zone) { return; }
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
    if (!known) { return; }
    select.value = zone;
    var note = field.querySelector("[data-timezone-note]");
    if (note) { note.textContent = "Set from your browser."; }
    var today = localIsoDate(new Date());
    var start = document.getElementById("id_start");
    if (start && start.value === start.defaultValue) { start.value = today; }
    // The date pickers start at the browser's today, as the server's did at its zone's.
    ["id_interview", "id_start"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input && input.min) { input.min = today; }
    });
  }

  function conceptFilter() {
    var picker = document.querySelector("[data-concept-picker]");
    if (!picker) { return; }
    var box = picker.querySelector("[data-filter]");
    var input = box.querySelector("input");
    var count = box.querySelector("#concept-filter-count");
    var empty = picker.querySelector("[data-filter-empty]");
    var areas = Array.prototype.slice.call(picker.querySelectorAll("details[data-area]"));
    areas.forEach(function (area) { area.dataset.wasOpen = area.open ? "1" : ""; });
    box.hidden = false;

    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var total = 0;
      areas.forEach(function (area) {
        var shown = 0;
        area.querySelectorAll("tr[data-search]").forEach(function (row) {
          var text = row.getAttribute("data-search");
          var match = words.every(function (w) { return text.indexOf(w) !== -1; });
          row.hidden = !match;
          if (match) { shown += 1; }
        });
        total += shown;
        if (words.length) {
          area.hidden = shown === 0;
          area.open = shown > 0;
        } else {
          area.hidden = false;
          area.open = area.dataset.wasOpen === "1";
        }
      });
      empty.hidden = !(words.length && total === 0);
      count.textContent = words.length ? total + (total === 1 ? " concept matches." : " concepts match.") : "";
    });
    // Enter in the filter box must not submit the whole form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  }

  browserTimezone();
  conceptFilter();
})();
