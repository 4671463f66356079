/* Connect popup and auth-only dialog (no dependencies, no inline script: pages pass their data
 * in data-* attributes).
 *
 * - finish page: posts {type: "wizard.connect.done", slot, authId, error, notice} to window.opener
 *   with our own origin as target (the opener is the wizard or the dialog, both on this origin),
 *   then closes on success, unless there is a notice to read (an account connected again).
 *   Without an opener (a provider page cut it) it says "You can close this window"; the wizard
 *   then learns the result from the status endpoint.
 * - dialog page: opens the connect popup, relays the result to the ISV page as
 *   tray.authpopup.finish / tray.authPopup.error / tray.authpopup.close, posted once per
 *   allowed origin (never "*": a non-matching target origin is dropped by the browser).
 */
(function () {
  "use strict";
  var body = document.body;
  var page = body.getAttribute("data-connect-page");

  function json(attr, fallback) {
    try { return JSON.parse(body.getAttribute(attr)); } catch (e) { return fallback; }
  }

  // The page's language: translations by English text, from <body data-texts> (base.html).
  var texts = json("data-texts", {}) || {};
  function t(text) { return texts[text] || text; }

  function show(selector) {
    var el = document.querySelector(selector);
    if (el) { el.hidden = false; }
    return el;
  }

  function host() {
    if (window.opener && !window.opener.closed) { return window.opener; }
    if (window.parent && window.parent !== window) { return window.parent; }
    return null;
  }

  function tellHost(message) {
    var target = host();
    if (!target) { return; }
    json("data-allowed-origins", []).forEach(function (origin) {
      try { target.postMessage(message, origin); } catch (e) { /* closed meanwhile */ }
    });
  }

  if (page === "finish") {
    var message = json("data-message", null);
    var opener = window.opener && !window.opener.closed ? window.opener : null;
    var closeButton = document.querySelector("[data-close-window]");
    if (closeButton) { closeButton.addEventListener("click", function () { window.close(); }); }
    if (opener && message) {
      try { opener.postMessage(message, window.location.origin); } catch (e) { opener = null; }
    }
    if (!opener) {
      show("[data-no-opener]");
    } else if (message && message.authId && !message.notice) {
      window.setTimeout(function () { window.close(); }, 300);
    } else {  // a failure, or a notice to read (the account was already connected): the user closes
      show("[data-close-window]");
    }
    return;
  }

  if (page === "dialog-error") {
    var text = body.getAttribute("data-error-message") || t("Something went wrong.");
    var code = body.getAttribute("data-error-code") || "error";
    tellHost({type: "tray.authPopup.error", error: text, err: text, code: code});
    return;
  }

  if (page !== "dialog") { return; }

  var startUrl = body.getAttribute("data-start-url");
  var statusUrl = body.getAttribute("data-status-url");
  var authType = body.getAttribute("data-auth-type");
  var connectButton = document.getElementById("dialog-connect");
  var cancelButton = document.getElementById("dialog-cancel");
  var statusLine = document.getElementById("dialog-status");
  var popup = null;
  var poll = null;
  var finished = false;

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.className = isError ? "field-error" : "muted";
  }

  function finish(result) {
    if (finished) { return; }
    if (result.authId || result.error) { stopStatusPoll(); }
    if (result.authId) {
      finished = true;
      window.clearInterval(poll);
      say(t("Connected."), false);
      connectButton.disabled = true;
      tellHost({type: "tray.authpopup.finish", authType: authType, authId: result.authId});
      if (window.opener) { window.setTimeout(function () { window.close(); }, 300); }
    } else if (result.error) {
      say(result.error, true);
      connectButton.textContent = t("Try again");
      tellHost({type: "tray.authPopup.error", error: result.error, err: result.error, code: "auth_failed"});
    }
  }

  // A provider page with Cross-Origin-Opener-Policy makes popup.closed true while the person is
  // still signing in there, so "closed" is not "cancelled": keep asking the server until the
  // attempt ends (or the person starts again or cancels).
  var statusPoll = null;
  var statusDeadline = 0;

  function stopStatusPoll() { window.clearInterval(statusPoll); statusPoll = null; }

  function checkStatus() {
    return fetch(statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status === "done") { stopStatusPoll(); finish({authId: s.authId}); }
        else if (s.status === "error") { stopStatusPoll(); finish({error: s.message}); }
        else if (Date.now() > statusDeadline) {
          stopStatusPoll();
          say(t("The sign-in window was closed before the account was connected."), false);
        }
      })
      .catch(function () { /* a network blip: the next round asks again */ });
  }

  function watchStatus() {
    stopStatusPoll();
    statusDeadline = Date.now() + 15 * 60 * 1000;
    say(t("Waiting for the sign-in to finish… If you closed that window, press Connect again."), false);
    checkStatus();
    statusPoll = window.setInterval(checkStatus, 1500);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !popup || event.source !== popup) { return; }
    var data = event.data || {};
    if (data.type !== "wizard.connect.done") { return; }
    finish({authId: data.authId, error: data.error});
  });

  connectButton.addEventListener("click", function () {
    popup = window.open(startUrl, "wizard-connect", "popup,width=520,height=680");
    if (!popup) { say(t("Your browser blocked the sign-in window. Allow pop-ups and try again."), true); return; }
    say(t("Waiting for the sign-in window…"), false);
    window.clearInterval(poll);
    stopStatusPoll();
    poll = window.setInterval(function () {
      if (popup.closed) { window.clearInterval(poll); if (!finished) { watchStatus(); } }
    }, 500);
  });

  cancelButton.addEventListener("click", function () {
    finished = true;
    stopStatusPoll();
    tellHost({type: "tray.authpopup.close"});
    if (popup && !popup.closed) { popup.close(); }
    if (window.opener) { window.close(); }
  });
})();
