/* The wizard's page script. No dependencies, no inline script: it reads its configuration from
 * data-* attributes on <body> (see templates/wizard/layout.html). The pages work as plain HTML
 * forms without it; it adds:
 *  - the events of docs/events.md to the embedding page (window.opener or window.parent),
 *    never with target origin "*": once per allowed origin (the browser drops a post whose target
 *    origin does not match), or only to the embedding origin when the browser tells it and it is
 *    allowed;
 *  - customValidation: the validate / client.validation round trip with a busy state and a timeout;
 *  - live showIf, focus on the first error, connect-account popups, the close button.
 * When it has set everything up, <body data-wizard-ready="true">.
 */
(function () {
  "use strict";

  var body = document.body;
  var cfg = body.dataset;
  var page = cfg.wizardPage || "";
  var instanceId = cfg.instanceId || "";
  var allowed = parseJSON(cfg.allowedOrigins, []);
  var host = window.opener && window.opener !== window ? window.opener
    : (window.parent && window.parent !== window ? window.parent : null);

  function parseJSON(text, fallback) {
    try { return text ? JSON.parse(text) : fallback; } catch (e) { return fallback; }
  }

  function isAllowed(origin) { return allowed.indexOf(origin) !== -1; }

  // The page's language: the server gives the translations in <body data-texts>, by English text.
  var texts = parseJSON(cfg.texts, {});
  function t(text, params) {
    var out = texts[text] || text;
    Object.keys(params || {}).forEach(function (k) { out = out.split("%(" + k + ")s").join(params[k]); });
    return out;
  }

  // -- events to the embedding page ------------------------------------------------------------

  // The host SDK (embed.js) names its page's origin in the entry URL's fragment (#wizardHost=...,
  // carried through the server's redirects, never sent to the server). It is only a hint to pick
  // ONE of the allowed origins (a popup's opener cannot be asked for its origin), so that the
  // browser has no post of ours to drop with a console warning; anything not allowed is ignored.
  var HOST_KEY = "wizardHost";
  function hintedOrigin() {
    var m = /(?:^#|&)wizardHost=([^&]*)/.exec(location.hash || "");
    var hinted = null;
    if (m) {
      try { hinted = decodeURIComponent(m[1]); } catch (e) { hinted = null; }
      try { history.replaceState(history.state, "", location.pathname + location.search); } catch (e) { /* keep it */ }
      try { if (hinted && isAllowed(hinted)) { sessionStorage.setItem(HOST_KEY, hinted); } } catch (e) { /* storage blocked */ }
    }
    if (!hinted) {
      try { hinted = sessionStorage.getItem(HOST_KEY); } catch (e) { hinted = null; }
    }
    return hinted && isAllowed(hinted) ? hinted : null;
  }
  var hostHint = hintedOrigin();

  function targetOrigins() {
    var known = null;
    try {
      if (window.parent !== window && location.ancestorOrigins && location.ancestorOrigins.length) {
        known = location.ancestorOrigins[0];
      }
    } catch (e) { known = null; }
    if (!known && hostHint) { known = hostHint; }
    if (!known && document.referrer) {
      try { known = new URL(document.referrer).origin; } catch (e) { known = null; }
      // The wizard's own previous page (same-origin Referer) says nothing about the opener.
      if (known === window.location.origin) { known = null; }
    }
    return known && isAllowed(known) ? [known] : allowed.slice();
  }

  function post(type, payload) {
    if (!host) { return; }
    var message = { type: type };
    Object.keys(payload || {}).forEach(function (k) { message[k] = payload[k]; });
    targetOrigins().forEach(function (origin) {
      try { host.postMessage(message, origin); } catch (e) { /* a malformed origin in the list */ }
    });
  }

  function postError(code, text) {
    post("tray.configPopup.error", { err: text, error: text, code: code, data: { code: code, solutionInstanceId: instanceId } });
  }

  function watchHeight() {
    if (!host || typeof ResizeObserver === "undefined") { return; }
    var last = 0;
    var pending = false;
    var observer = new ResizeObserver(function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        // The content's own height (not the viewport's), so that a framed wizard can shrink too.
        var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
        if (height !== last) {
          last = height;
          post("tray.configPopup.resize", { data: { height: height } });
        }
      });
    });
    observer.observe(document.documentElement);
    observer.observe(body);
  }

  // -- fields ----------------------------------------------------------------------------------

  var form = document.getElementById("wizard-form");
  var messages = document.getElementById("wizard-messages");

  function fieldBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll(".field[data-slot]"));
  }

  function boxFor(slot) {
    return fieldBoxes().filter(function (b) { return b.dataset.slot === slot; })[0] || null;
  }

  function controls(box) {
    return Array.prototype.slice.call(box.querySelectorAll("input, select, textarea"));
  }

  /* The JSON value of a field as the server would read it (null: empty), read the way its slot
     type says (data-read, wizard.slot_types: SlotType.reads), never by the type's name. */
  function valueOf(box) {
    var read = box.dataset.read;
    var choices = parseJSON(box.dataset.optionValues, {});
    var els = controls(box);
    var el = els[0];
    function choice(key) { return Object.prototype.hasOwnProperty.call(choices, key) ? choices[key] : key; }
    if (read === "checkbox") { return !!(el && el.checked); }
    if (read === "checked") {
      var picked = els.filter(function (c) { return c.checked; }).map(function (c) { return choice(c.value); });
      return picked.length ? picked : null;
    }
    if (read === "choice") { return el && el.value !== "" ? choice(el.value) : null; }
    if (read === "radio") {
      var on = els.filter(function (c) { return c.type === "radio" && c.checked; })[0];
      return on ? on.value : null;
    }
    if (read === "rows") {
      var rows = [];
      Array.prototype.forEach.call(box.querySelectorAll("tbody tr"), function (tr) {
        var lhs = tr.querySelector("[name$='-lhs']");
        var rhs = tr.querySelector("[name$='-rhs']");
        var l = lhs ? lhs.value.trim() : "";
        var r = rhs ? rhs.value.trim() : "";
        if (l || r) { rows.push({ lhs: l, rhs: r }); }
      });
      return rows.length ? rows : null;
    }
    if (!el) { return null; }
    var text = read === "text" ? el.value : el.value.trim();
    if (text === "") { return null; }
    if (read === "number") {
      var n = Number(text);
      return isFinite(n) ? n : text;
    }
    if (read === "json") { return parseJSON(text, text); }
    return text;
  }

  function isVisible(box) { return !box.hidden; }

  /* showIf: conditions on slots of this screen are re-evaluated as the user types. */
  function applyConditions() {
    var boxes = fieldBoxes();
    var changed = true;
    var rounds = 0;
    while (changed && rounds < boxes.length + 1) {
      changed = false;
      rounds += 1;
      boxes.forEach(function (box) {
        var cond = parseJSON(box.dataset.showIf, null);
        if (!cond) { return; }
        var show = true;
        var decided = true;
        Object.keys(cond).forEach(function (other) {
          var dep = boxFor(other);
          if (!dep) { decided = false; return; }  // on another screen: the server decided
          var current = isVisible(dep) ? valueOf(dep) : null;
          var allowedValues = cond[other];
          var hit = Array.isArray(current)
            ? current.some(function (v) { return allowedValues.indexOf(v) !== -1; })
            : allowedValues.indexOf(current) !== -1;
          if (!hit) { show = false; }
        });
        if (decided && box.hidden === show) {
          box.hidden = !show;
          changed = true;
        }
      });
    }
  }

  function describe(el, id, on) {
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean)
      .filter(function (x) { return x !== id; });
    if (on) { ids.push(id); }
    if (ids.length) { el.setAttribute("aria-describedby", ids.join(" ")); } else { el.removeAttribute("aria-describedby"); }
  }

  function clearClientErrors() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-client-error]"), function (el) {
      var box = el.closest(".field");
      if (box) {
        box.classList.remove("field--invalid");
        controls(box).forEach(function (c) { c.removeAttribute("aria-invalid"); describe(c, el.id, false); });
        var fs = box.querySelector("fieldset");
        if (fs) { describe(fs, el.id, false); }
      }
      el.parentNode.removeChild(el);
    });
  }

  function makeAlert(kind, id) {
    var old = document.getElementById(id);
    if (old) { old.parentNode.removeChild(old); }
    var div = document.createElement("div");
    div.className = "alert alert--" + kind;
    div.id = id;
    div.setAttribute("role", kind === "error" ? "alert" : "status");
    div.tabIndex = -1;
    (messages || form).insertBefore(div, (messages || form).firstChild);
    return div;
  }

  /* Errors from the embedding page: beside their fields, and a summary at the top. */
  function showErrors(errors) {
    clearClientErrors();
    var summary = makeAlert("error", "error-summary");
    summary.setAttribute("data-client-error", "");
    var h = document.createElement("h2");
    h.textContent = t("Please check these fields");
    summary.appendChild(h);
    var list = document.createElement("ul");
    summary.appendChild(list);
    var first = null;
    Object.keys(errors).forEach(function (slot) {
      var text = String(errors[slot]);
      var box = boxFor(slot);
      var li = document.createElement("li");
      if (box) {
        var name = box.dataset.fieldName;
        var p = document.createElement("p");
        p.className = "field-error";
        p.id = name + "-client-error";
        p.setAttribute("data-client-error", "");
        p.textContent = text;
        var fs = box.querySelector("fieldset");
        (fs || box).appendChild(p);
        box.classList.add("field--invalid");
        box.hidden = false;
        controls(box).forEach(function (c) { c.setAttribute("aria-invalid", "true"); describe(c, p.id, true); });
        if (fs) { describe(fs, p.id, true); }
        var a = document.createElement("a");
        a.href = "#field-" + name;
        a.textContent = text;
        li.appendChild(a);
        if (!first) { first = controls(box)[0] || null; }
      } else {
        li.textContent = text;
      }
      list.appendChild(li);
    });
    if (first) { first.focus(); } else { summary.focus(); }
  }

  function focusFirstError() {
    var box = document.querySelector(".field--invalid");
    var target = box ? controls(box).filter(function (c) { return c.type !== "hidden"; })[0] : null;
    if (target) { target.focus(); return; }
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  // -- customValidation --------------------------------------------------------------------------

  var validation = null;  // {submitter, timer} while waiting for the embedding page

  function setBusy(on) {
    if (!form) { return; }
    var note = document.getElementById("wizard-busy");
    if (on) {
      form.setAttribute("aria-busy", "true");
      Array.prototype.forEach.call(form.querySelectorAll("button, input, select, textarea"), function (el) {
        if (!el.disabled) { el.disabled = true; el.setAttribute("data-busy-disabled", ""); }
      });
      if (!note) {
        note = document.createElement("p");
        note.id = "wizard-busy";
        note.className = "busy-note";
        note.setAttribute("role", "status");
        note.textContent = t("Checking your answers with the application…");
        (messages || form).appendChild(note);
      }
    } else {
      form.removeAttribute("aria-busy");
      Array.prototype.forEach.call(form.querySelectorAll("[data-busy-disabled]"), function (el) {
        el.disabled = false;
        el.removeAttribute("data-busy-disabled");
      });
      if (note) { note.parentNode.removeChild(note); }
    }
  }

  function timeoutMs() {
    var n = parseInt(cfg.validationTimeout, 10);
    return isFinite(n) && n > 0 ? n : 10000;
  }

  function armTimer() {
    if (!validation) { return; }
    window.clearTimeout(validation.timer);
    validation.timer = window.setTimeout(onValidationTimeout, timeoutMs());
  }

  function screenPayload() {
    var review = form && form.dataset.reviewValues;
    if (review) { return parseJSON(review, { visibleValues: [], configValues: {} }); }
    var visible = [];
    var values = {};
    fieldBoxes().forEach(function (box) {
      if (!isVisible(box) || box.dataset.kind === "auth") { return; }  // an account, not a config value
      visible.push(box.dataset.slot);
      // A typed secret never leaves the wizard's origin: the page sees that it is visible only.
      if (box.dataset.secret === "true") { return; }
      var v = valueOf(box);
      if (v !== null) { values[box.dataset.slot] = v; }
    });
    return { visibleValues: visible, configValues: values };
  }

  function startValidation(submitter) {
    var old = document.getElementById("validation-timeout");
    if (old) { old.parentNode.removeChild(old); }
    validation = { submitter: submitter, timer: null };
    setBusy(true);
    armTimer();
    post("tray.configPopup.validate", { data: screenPayload() });
  }

  function onValidationTimeout() {
    if (!validation) { return; }
    var submitter = validation.submitter;
    validation = null;
    setBusy(false);
    var text = t("The application did not answer in time, so your answers could not be checked. Nothing was lost.");
    var alert = makeAlert("error", "validation-timeout");
    var p = document.createElement("p");
    p.textContent = text;
    alert.appendChild(p);
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "button";
    retry.id = "validation-retry";
    retry.textContent = t("Retry");
    retry.addEventListener("click", function () { startValidation(submitter); });
    alert.appendChild(retry);
    retry.focus();
    postError("validation_timeout", text);
  }

  function onValidationAnswer(data) {
    if (!validation || !data) { return; }
    if (data.inProgress) { armTimer(); return; }  // the page is working on it
    var submitter = validation.submitter;
    window.clearTimeout(validation.timer);
    validation = null;
    setBusy(false);
    var errors = data.errors && typeof data.errors === "object" ? data.errors : {};
    if (Object.keys(errors).length) {
      showErrors(errors);
      return;
    }
    clearClientErrors();
    submitForReal(submitter);
  }

  var bypass = false;

  function submitForReal(submitter) {
    bypass = true;
    if (form.requestSubmit) {
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    } else {
      if (submitter && submitter.name) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = submitter.name;
        hidden.value = submitter.value;
        form.appendChild(hidden);
      }
      form.submit();
    }
  }

  function onSubmit(event) {
    if (bypass || cfg.customValidation !== "true") { return; }
    var submitter = event.submitter || null;
    var action = submitter ? submitter.value : "next";
    if (action !== "next" && action !== "finish") { return; }  // Back, Add row, Remove go straight on
    event.preventDefault();
    if (validation) { return; }
    startValidation(submitter);
  }

  // -- messages from the embedding page -----------------------------------------------------------

  window.addEventListener("message", function (event) {
    if (!isAllowed(event.origin) || !host || event.source !== host) { return; }
    var msg = event.data;
    if (!msg || typeof msg !== "object") { return; }
    if (msg.type === "tray.configPopup.client.validation") { onValidationAnswer(msg.data); }
  });

  // -- connecting an account in a popup -------------------------------------------------------------

  // Per auth slot: the one connect flow that is listening (Connect and each account's Reconnect
  // share the slot and the popup window), and the attempts whose failure was already shown.
  var activeFlow = {};
  var reportedBySlot = {};

  function connectFlow(link) {
    var slot = link.dataset.connectSlot;
    var statusUrl = link.dataset.statusUrl;
    var box = boxFor(slot);
    // A Reconnect in an options note says how it went beside itself (the slot may be elsewhere).
    var statusEl = (link.dataset.statusEl && document.getElementById(link.dataset.statusEl)) ||
      (box ? box.querySelector(".connect-status") : null);
    var state = { popup: null, poll: null, closedAt: null, over: false, lastError: null };
    // A poll that reads a failure already shown (the previous try, before the new popup has
    // started its own) is not news.
    var reported = reportedBySlot[slot] = reportedBySlot[slot] || {};

    function say(text, withRetry, isError) {
      if (!statusEl) { return; }
      statusEl.textContent = text;
      // A failure looks like the wizard's other errors (still announced by the status region).
      statusEl.classList.toggle("alert", !!isError);
      statusEl.classList.toggle("alert--error", !!isError);
      if (withRetry) {
        var again = document.createElement("button");
        again.type = "button";
        again.className = "button button--small connect-retry";
        again.textContent = t("Try again");
        again.addEventListener("click", function () { open(); });
        statusEl.appendChild(document.createTextNode(" "));
        statusEl.appendChild(again);
      }
    }

    function stop() {
      state.over = true;
      window.clearInterval(state.poll);
      window.removeEventListener("message", onMessage);
    }

    function finished(authId, error, attempt) {
      if (state.over) { return; }
      if (authId && !error) {
        stop();
        say(t("Account connected. Updating…"), false);
        // The page comes back with the new account; `connected` tells it which one to focus and
        // announce (dropped from the address at once: a reload does not announce it again).
        var back = new URL(form ? form.getAttribute("action") : window.location.href, window.location.href);
        back.search = window.location.search;
        back.searchParams.set(CONNECTED, authId);
        window.location.assign(back.href);
        return;
      }
      if (attempt ? reported[attempt] : state.lastError === error) { return; }
      if (attempt) { reported[attempt] = true; }
      state.lastError = error;
      say(error ? t("The account could not be connected: %(reason)s", {reason: error}) : t("The account could not be connected."), true, true);
      postError("auth_failed", t("The account could not be connected."));
      // Keep listening: the popup offers its own "Try again", which may still succeed.
    }

    function onMessage(event) {
      if (event.origin !== window.location.origin || !state.popup || event.source !== state.popup) { return; }
      var msg = event.data;
      if (!msg || msg.type !== "wizard.connect.done" || msg.slot !== slot) { return; }
      finished(msg.authId, msg.error, msg.attempt);
    }

    function check() {
      if (state.over) { return; }
      var closed = false;
      try { closed = !state.popup || state.popup.closed; } catch (e) { closed = true; }
      if (closed && !state.closedAt) {
        // A provider's Cross-Origin-Opener-Policy makes the popup look closed while the user is
        // still there: keep asking the server, and offer a way out meanwhile.
        state.closedAt = Date.now();
        if (!state.lastError) {
          say(t("Still waiting for the account. If you closed the window before finishing, try again."), true);
        }
      }
      if (state.closedAt && Date.now() - state.closedAt > 10 * 60 * 1000) { stop(); return; }
      if (!statusUrl) { return; }
      fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s || state.over || (s.status === "error" && s.attempt && reported[s.attempt])) { return; }
          if (s.status === "done") { finished(s.authId || "yes", null, s.attempt); }
          else if (s.status === "error") { finished(null, s.message || "the service refused", s.attempt); }
        })
        .catch(function () { /* the next poll tries again */ });
    }

    function open() {
      // Opened synchronously in the click handler, so that popup blockers allow it.
      var popup = window.open(link.href, "wizard-connect", "width=520,height=680");
      if (!popup) {
        say(t("Your browser blocked the window. Allow pop-ups for this site, then try again."), true, true);
        return;
      }
      stop();
      if (activeFlow[slot] && activeFlow[slot] !== stop) { activeFlow[slot](); }  // another link's flow for this slot
      activeFlow[slot] = stop;
      state = { popup: popup, poll: null, closedAt: null, over: false, lastError: null };
      window.addEventListener("message", onMessage);
      say(t("Finish connecting in the window that opened…"), false);
      state.poll = window.setInterval(check, 1000);
      try { popup.focus(); } catch (e) { /* ignore */ }
    }

    return open;
  }

  // -- back from connecting an account -------------------------------------------------------------

  var CONNECTED = "connected";

  /* After the reload that follows a connected account: focus that account's radio button and
     say so in its slot's status region, instead of leaving focus on <body> in silence. */
  function announceConnected() {
    var params = new URLSearchParams(window.location.search);
    var authId = params.get(CONNECTED);
    if (!authId) { return false; }
    params.delete(CONNECTED);
    var query = params.toString();
    try { history.replaceState(history.state, "", window.location.pathname + (query ? "?" + query : "")); } catch (e) { /* keep it */ }
    var radio = Array.prototype.filter.call(document.querySelectorAll("input[type=radio]"), function (r) {
      return r.value === authId && r.closest(".field[data-slot]");
    })[0];
    if (!radio) { return false; }
    var box = radio.closest(".field[data-slot]");
    var label = document.querySelector("label[for='" + radio.id + "']");
    var status = box.querySelector(".connect-status");
    radio.focus();
    if (status && label) {
      var name = label.cloneNode(true);
      Array.prototype.forEach.call(name.querySelectorAll(".badge"), function (b) { b.parentNode.removeChild(b); });
      // After a moment: a live region that changes after the page settled is read out.
      window.setTimeout(function () {
        // The account's name (the service's or the user's words) direction-isolated in the sentence.
        var parts = t("Account connected: %(account)s").split("%(account)s");
        var bdi = document.createElement("bdi");
        bdi.textContent = name.textContent.trim();
        status.textContent = "";
        status.appendChild(document.createTextNode(parts[0]));
        status.appendChild(bdi);
        status.appendChild(document.createTextNode(parts.slice(1).join("")));
      }, 150);
    }
    return true;
  }

  /* A link to a field (the review's list of what is still needed: screen/<n>?field=<name>) puts
     the focus in that field. Not a #fragment: Chromium moves the focus off a control to a
     fragment's element (or to the page) once the page has loaded. */
  function focusLinkedField() {
    var params = new URLSearchParams(window.location.search);
    var name = params.get("field");
    if (!name) { return false; }
    params.delete("field");
    var query = params.toString();
    try { history.replaceState(history.state, "", window.location.pathname + (query ? "?" + query : "")); } catch (e) { /* keep it */ }
    var box = document.getElementById("field-" + name);
    var target = box ? controls(box).filter(function (c) { return c.type !== "hidden"; })[0] : null;
    if (!target) { return false; }
    target.focus();
    return true;
  }

  // -- set-up -----------------------------------------------------------------------------------------

  function init() {
    if (page === "error") {
      postError(cfg.errorCode || "error", cfg.errorMessage || t("Something went wrong."));
    } else if (page === "done") {
      post("tray.configPopup.finish", { data: { solutionInstanceId: instanceId, enabled: cfg.enabled === "true",
                                                version: Number(cfg.version) || null, upgraded: cfg.upgraded === "true" } });
    } else if (page === "cancel") {
      post("tray.configPopup.cancel", { data: { solutionInstanceId: instanceId, reason: "cancel" } });
    } else if (page === "screen" || page === "review") {
      if (cfg.announceReady === "true") { post("tray.configPopup.ready", { data: { solutionInstanceId: instanceId } }); }
      if (cfg.errorCode) { postError(cfg.errorCode, cfg.errorMessage || t("Something went wrong.")); }
    }

    if (form) {
      form.addEventListener("submit", onSubmit);
      form.addEventListener("input", applyConditions);
      form.addEventListener("change", applyConditions);
    }
    applyConditions();

    Array.prototype.forEach.call(document.querySelectorAll("a.connect-link[data-connect-slot]"), function (link) {
      var open = connectFlow(link);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        open();
      });
    });

    // Enter in an account's new name saves that name (the form's default button is Next).
    Array.prototype.forEach.call(document.querySelectorAll(".rename input"), function (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") { return; }
        var save = input.parentNode.querySelector("button[value^='rename:']");
        if (save) { event.preventDefault(); save.click(); }
      });
    });

    var close = document.getElementById("wizard-close");
    if (close && window.opener) {
      close.hidden = false;
      close.addEventListener("click", function () { window.close(); });
    }

    var focus = form && form.dataset.focus;
    if (focus && focus.indexOf("add_row:") === 0) {
      var box = boxFor(focus.slice(8));
      var rows = box ? box.querySelectorAll("tbody tr") : [];
      var last = rows.length ? rows[rows.length - 1].querySelector("input, select") : null;
      if (last) { last.focus(); }
    } else if (focus && focus.indexOf("remove_row:") === 0) {
      var b = boxFor(focus.split(":")[1]);
      var add = b ? b.querySelector("button[value^='add_row:']") : null;
      if (add) { add.focus(); }
    } else if (!announceConnected() && !focusLinkedField()) {
      focusFirstError();
    }

    // Esc, whatever has focus in the wizard: the host decides (the SDK closes a modal or popup
    // and reports a cancel with reason "escape"). Esc that a control used (a select's list, an
    // input method) is not the user leaving.
    document.addEventListener("keydown", function (event) {
      if ((event.key !== "Escape" && event.key !== "Esc") || event.defaultPrevented || event.isComposing) { return; }
      post("tray.configPopup.escape", { data: { solutionInstanceId: instanceId } });
    });

    watchHeight();
    body.setAttribute("data-wizard-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
