/* The plan page without reloads: marks and self-test ratings by fetch, copy buttons,
 * confirmations.
 *
 * Every form here works without this file (a POST, then a redirect back);
 * this only spares the reload. A mark asks for JSON and gets the item's new
 * status, the progress numbers and the chart again as server-rendered HTML.
 * A 409 means the plan was replanned since the page loaded: say so and offer
 * a reload rather than guess. Marking a learn or review item done unfolds its
 * self-test; a rating answers with the concept's next review, said in place.
 */
(function () {
  "use strict";

  var LABELS = { done: "\u2713 Done", skipped: "Skipped", pending: "To do" };
  var SAID = { done: "Marked done", skipped: "Skipped", pending: "Back on your to-do list" };

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function announce(text) {
    var status = document.getElementById("plan-status");
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }

  function showAlert(text, withReload) {
    var alert = document.getElementById("plan-alert");
    if (!alert) { window.alert(text); return; }
    alert.textContent = text + " ";
    if (withReload) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = "Reload the plan";
      button.addEventListener("click", function () { window.location.reload(); });
      alert.appendChild(button);
    }
    alert.hidden = false;
    alert.scrollIntoView({ block: "center" });
  }

  function focusNext(item, status) {
    var selector = status === "pending" ? ".mark-done" : ".mark-undo";
    var button = item.querySelector(selector);
    if (button) { button.focus(); }
  }

  function applyMark(form, answer) {
    var item = form.closest("li.item");
    var status = answer.item.status;
    item.setAttribute("data-status", status);
    var label = item.querySelector("[data-status-label]");
    if (label) {
      var moved = status === "pending" && item.hasAttribute("data-rescheduled");
      label.textContent = moved ? "Rescheduled by the replan" : (LABELS[status] || status);
    }
    var body = document.getElementById("progress-body");
    if (body && answer.progress && answer.progress.html) {
      body.innerHTML = answer.progress.html;
      showToday();
    }
    var today = document.querySelector("[data-today-progress]");
    if (today && answer.progress) {
      today.textContent = duration(answer.progress.today_done) + " of " +
        duration(answer.progress.today_planned) + " done today";
    }
    var title = item.querySelector(".item-title");
    announce(SAID[status] + ": " + (title ? title.textContent.trim() : "item") + ". " +
      (answer.progress ? answer.progress.text : ""));
    focusNext(item, status);
    var selfTest = item.querySelector("details[data-self-test]");
    if (selfTest && status === "done") { selfTest.open = true; } // the focus stays on Undo
  }

  function duration(minutes) {
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    if (!hours) { return rest + " min"; }
    return rest ? hours + " h " + (rest < 10 ? "0" : "") + rest : hours + " h";
  }

  function enable(buttons) {
    buttons.forEach(function (b) { b.disabled = false; });
  }

  /* One button of `form` sent with fetch, the page left in place. `field` carries the
     button's value; `refused(status, body)` says what a 4xx JSON answer means (true when
     handled), `apply(answer)` shows a success. Signed out or a stale CSRF token: the plain
     POST shows the way on. */
  function postInPlace(event, handler, field, refused, apply) {
    var form = event.target;
    var submitter = event.submitter;
    if (!submitter || !window.fetch || !window.FormData) { return; } // plain POST instead
    event.preventDefault();
    var data = new FormData(form);
    data.set(field, submitter.value);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken(form) }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.redirected || response.status === 403) {
        form.removeEventListener("submit", handler);
        form.requestSubmit(submitter);
        return;
      }
      if (json && response.status >= 400 && response.status < 500) {
        return response.json().then(function (body) {
          if (!refused(response.status, body)) { throw new Error("status " + response.status); }
        });
      }
      if (!response.ok || !json) { throw new Error("status " + response.status); }
      return response.json().then(function (answer) {
        enable(buttons);
        apply(form, submitter, answer); // after enabling: a disabled button cannot take the focus
      });
    }).catch(function () {
      showAlert("That did not save (the connection may be down). Try again, or reload the page.", true);
    }).finally(function () { enable(buttons); });
  }

  function onMark(event) {
    postInPlace(event, onMark, "status", function (status, body) {
      if (status !== 409) { return false; }
      showAlert(body.error && body.error.message ? body.error.message :
        "This plan changed since the page was loaded. Reload it to see the plan as it is now.", true);
      return true;
    }, function (form, submitter, answer) { applyMark(form, answer); });
  }

  function applyRating(form, submitter, answer) {
    var result = form.querySelector("[data-rating-result]");
    if (result) {
      result.textContent = answer.text;
      result.hidden = false;
    }
    var said = form.closest("details").querySelector("[data-self-test-said]");
    if (said) { said.textContent = " \u00b7 " + answer.text; }
    // The rating moved the plan's reviews of the concept: say where, with a reload to see
    // them in the days, and mark on the new revision (the days this page shows are kept).
    var moved = form.querySelector("[data-rating-moved]");
    if (moved && answer.moved_text) {
      moved.textContent = answer.moved_text + " ";
      var reload = document.createElement("button");
      reload.type = "button";
      reload.className = "link";
      reload.textContent = "Show the days again";
      reload.addEventListener("click", function () { window.location.reload(); });
      moved.appendChild(reload);
      moved.hidden = false;
    }
    if (answer.revision) {
      document.querySelectorAll("input[name=revision]").forEach(function (input) {
        input.value = answer.revision;
      });
    }
    announce(answer.message);
    submitter.focus();
  }

  function onRate(event) {
    postInPlace(event, onRate, "rating", function (status, body) {
      if (status !== 400 && status !== 404) { return false; }
      showAlert(body.error && body.error.message ? body.error.message :
        "That rating was not taken. Reload the page and try again.", status === 404);
      return true;
    }, applyRating);
  }

  function copyFrom(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.nextElementSibling;
    if (status && !status.hasAttribute("data-copy-status")) { status = null; }
    function said(text) { if (status) { status.textContent = text; } }
    function fallback() {
      input.focus();
      input.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      said(copied ? "Copied." : "Selected: press Ctrl+C (or \u2318+C) to copy.");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { said("Copied."); }, fallback);
    } else {
      fallback();
    }
  }

  // On a narrow screen the chart scrolls sideways: start with today in view.
  function showToday() {
    var wrap = document.querySelector("#progress-body .chart-wrap");
    var line = wrap && wrap.querySelector("line.today");
    if (!line || wrap.scrollWidth <= wrap.clientWidth) { return; }
    var svg = wrap.querySelector("svg");
    var scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    var x = line.x1.baseVal.value * scale;
    // Keep the hours axis in view unless that would hide today.
    if (x > wrap.clientWidth * 0.8) { wrap.scrollLeft = x - wrap.clientWidth / 2; }
  }
  showToday();

  document.querySelectorAll("form[data-mark]").forEach(function (form) {
    form.addEventListener("submit", onMark);
  });
  document.querySelectorAll("form[data-rate]").forEach(function (form) {
    form.addEventListener("submit", onRate);
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { copyFrom(button); });
  });
  document.querySelectorAll("input[data-copy-source]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
