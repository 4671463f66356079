/*
 * ConfigWizard: the host SDK of the configuration wizard server. One file, no dependencies, no
 * build step. An ISV page includes it and opens the wizard in a popup, in a modal iframe or in an
 * iframe inside an element of its own:
 *
 *   <script src="https://wizard.example.com/static/embed.js"></script>
 *   button.addEventListener("click", function () {
 *     ConfigWizard.open({
 *       getUrl: function () { return fetch("/my-backend/wizard-url", {method: "POST"})
 *                                      .then(function (r) { return r.json(); })
 *                                      .then(function (j) { return j.url; }); },
 *       mode: "popup",                    // or "modal", or "iframe" with `container`
 *       lang: "de",                       // optional: en, de, fr, es, ar (else the browser's)
 *       onFinish: function (data) { ... data.solutionInstanceId, data.enabled, data.version, data.upgraded ... },
 *       onCancel: function (data) { ... },
 *       onError: function (err) { ... err.code, err.message ... },
 *       onValidate: function (data) { return {}; }   // only with customValidation=true
 *     });
 *   });
 *
 * ConfigWizard.update(options) takes the same options and opens the wizard in upgrade mode (the
 * counterpart of Alloy's update()): only what the instance's newest version needs is asked, and
 * onFinish gets the version the instance now runs ({..., version, upgraded: true}).
 *
 * Security rules (docs/events.md): a message is used only when its origin is the wizard's origin
 * (taken from the wizard URL) and its source is the window this SDK opened; answers are posted to
 * that origin only, never to "*".
 */
(function (root) {
  "use strict";

  var CONFIG_EVENTS = {
    "tray.configPopup.ready": "ready",
    "tray.configPopup.finish": "finish",
    "tray.configPopup.cancel": "cancel",
    "tray.configPopup.error": "error",
    "tray.configPopup.validate": "validate",
    "tray.configPopup.resize": "resize",
    "tray.configPopup.escape": "escape"
  };
  // Tray spells the auth dialog's error with a capital P; the other two in lower case.
  var AUTH_EVENTS = {
    "tray.authpopup.finish": "finish",
    "tray.authpopup.close": "cancel",
    "tray.authPopup.error": "error"
  };
  var POLL_MS = 250;
  var counter = 0;

  function setStyles(el, styles) {
    // CSSOM assignments are allowed under a host page's strict CSP (style-src 'self'), unlike a
    // <style> element or a style attribute.
    for (var k in styles) { if (Object.prototype.hasOwnProperty.call(styles, k)) el.style[k] = styles[k]; }
    return el;
  }

  function asErrors(value) {
    // onValidate may answer null, {}, or {externalId: "message"}; anything else means "valid".
    var out = {};
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (var k in value) {
        if (Object.prototype.hasOwnProperty.call(value, k) && value[k] !== null && value[k] !== undefined && value[k] !== "") {
          out[k] = String(value[k]);
        }
      }
    }
    return out;
  }

  function resolveContainer(container) {
    if (!container) return null;
    if (typeof container === "string") return root.document.querySelector(container);
    return container;
  }

  function launch(opts, events, kind) {
    opts = opts || {};
    var doc = root.document;
    var mode = opts.mode || "popup";
    var container = resolveContainer(opts.container);
    if (mode === "iframe" && !container) mode = "modal";
    var title = opts.title || (kind === "auth" ? "Connect an account" :
      kind === "upgrade" ? "Update the integration" : "Configuration wizard");
    var state = { done: false, origin: null, instanceId: opts.solutionInstanceId || null, validation: 0, ready: false };
    var popup = null, frame = null, overlay = null, poll = null, inerted = [];
    var returnFocus = doc.activeElement;

    var handle = {
      mode: mode,
      /** Close the wizard without calling any callback (the caller decided). */
      close: function () { teardown(); },
      isOpen: function () { return !state.done; },
      window: function () { return popup || (frame && frame.contentWindow) || null; }
    };

    function call(name) {
      var fn = opts[name];
      if (typeof fn !== "function") return undefined;
      var args = Array.prototype.slice.call(arguments, 1);
      try {
        return fn.apply(handle, args);
      } catch (err) {
        // A host callback that throws must not leave the SDK half torn down.
        if (root.console) root.console.error("ConfigWizard " + name + " failed:", err);
        return undefined;
      }
    }

    function teardown() {
      if (state.done) return false;
      state.done = true;
      root.removeEventListener("message", onMessage);
      doc.removeEventListener("keydown", onKeydown, true);
      if (poll) clearInterval(poll);
      if (popup && !popup.closed) { try { popup.close(); } catch (e) { /* already gone */ } }
      if (frame && frame.parentNode) frame.parentNode.removeChild(frame);
      if (overlay) {
        if (overlay.parentNode) overlay.parentNode.removeChild(overlay);
        for (var i = 0; i < inerted.length; i++) inerted[i].inert = false;
        if (returnFocus && typeof returnFocus.focus === "function" && doc.contains(returnFocus)) returnFocus.focus();
      }
      return true;
    }

    function end(callback, payload) {
      if (teardown()) call(callback, payload, handle);
    }

    function cancelled(reason) {
      end("onCancel", kind === "auth" ? { reason: reason } : { solutionInstanceId: state.instanceId, reason: reason });
    }

    function source() { return popup || (frame && frame.contentWindow) || null; }

    function reply(target, message) {
      // Always to the wizard's own origin: a window navigated elsewhere gets nothing.
      target.postMessage(message, state.origin);
    }

    function validate(data, target) {
      var seq = ++state.validation;
      reply(target, { type: "tray.configPopup.client.validation", data: { inProgress: true } });
      var answer;
      try {
        answer = typeof opts.onValidate === "function" ? opts.onValidate.call(handle, data, handle) : {};
      } catch (err) {
        answer = Promise.reject(err);
      }
      Promise.resolve(answer).then(function (errors) {
        // A newer request (the user pressed Retry) supersedes this one.
        if (state.done || seq !== state.validation) return;
        reply(target, { type: "tray.configPopup.client.validation", data: { inProgress: false, errors: asErrors(errors) } });
      }, function (err) {
        // No answer: the wizard's timeout shows the user a message and a retry.
        if (root.console) root.console.error("ConfigWizard onValidate failed:", err);
      });
    }

    function onMessage(event) {
      if (state.done || !state.origin) return;
      if (event.origin !== state.origin) return;
      var src = source();
      if (!src || event.source !== src) return;
      var msg = event.data;
      if (!msg || typeof msg !== "object" || typeof msg.type !== "string") return;
      var what = events[msg.type];
      if (!what) return;
      var data = msg.data && typeof msg.data === "object" ? msg.data : {};
      if (data.solutionInstanceId) state.instanceId = data.solutionInstanceId;
      call("onEvent", msg.type, msg, handle);
      if (what === "ready") {
        // The wizard says "ready" on each page it shows; the host hears it once per opening.
        if (!state.ready) { state.ready = true; call("onReady", data, handle); }
      } else if (what === "finish") {
        end("onFinish", kind === "auth" ? { authType: msg.authType, authId: msg.authId } : data);
      } else if (what === "cancel") {
        // One `reason` on every cancel: the wizard's Cancel (and Tray's auth dialog close) say "cancel".
        if (kind === "auth") { cancelled("cancel"); } else {
          var payload = {};
          for (var k in data) { if (Object.prototype.hasOwnProperty.call(data, k)) payload[k] = data[k]; }
          payload.reason = typeof data.reason === "string" && data.reason ? data.reason : "cancel";
          end("onCancel", payload);
        }
      } else if (what === "escape") {
        // Esc inside the wizard: a modal or popup closes as if Esc were pressed on this page; an
        // inline iframe is part of the page, which decides itself (onEvent).
        if (mode === "modal" || mode === "popup") cancelled("escape");
      } else if (what === "error") {
        var text = msg.err || msg.error || "The wizard reported an error.";
        call("onError", { code: data.code || "error", message: String(text), data: data }, handle);
      } else if (what === "validate") {
        validate(data, event.source);
      } else if (what === "resize") {
        var h = Number(data.height);
        if (frame && isFinite(h) && h > 0) frame.style.height = Math.ceil(h) + "px";
        call("onResize", { height: h }, handle);
      }
    }

    function onKeydown(event) {
      // Esc cancels a modal wizard (focus inside the cross-origin frame is the wizard's to handle).
      if (overlay && (event.key === "Escape" || event.key === "Esc")) {
        event.preventDefault();
        cancelled("escape");
      }
    }

    function buildModal() {
      overlay = setStyles(doc.createElement("div"), {
        position: "fixed", top: "0", right: "0", bottom: "0", left: "0", zIndex: "2147483000",
        background: "rgba(15, 23, 42, 0.55)", display: "flex", alignItems: "flex-start",
        justifyContent: "center", padding: "min(6vh, 48px) 16px 16px", boxSizing: "border-box"
      });
      overlay.setAttribute("data-config-wizard", "overlay");
      var dialog = setStyles(doc.createElement("div"), {
        background: "#ffffff", color: "#0f172a", borderRadius: "12px", width: "520px", maxWidth: "100%",
        maxHeight: "100%", display: "flex", flexDirection: "column", overflow: "hidden",
        boxShadow: "0 20px 50px rgba(15, 23, 42, 0.35)", font: "15px/1.4 system-ui, sans-serif"
      });
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-modal", "true");
      dialog.setAttribute("aria-label", title);
      var bar = setStyles(doc.createElement("div"), {
        display: "flex", alignItems: "center", justifyContent: "space-between",
        padding: "6px 6px 6px 16px", borderBottom: "1px solid #e2e8f0"
      });
      // A long title (an instance's name is up to 100 characters) ends in an ellipsis, never
      // pushing the close button out; the whole title stays the dialog's accessible name.
      var heading = setStyles(doc.createElement("span"), {
        fontWeight: "600", flex: "1 1 auto", minWidth: "0", overflow: "hidden",
        textOverflow: "ellipsis", whiteSpace: "nowrap"
      });
      heading.title = title;
      heading.textContent = title;
      var closeBtn = setStyles(doc.createElement("button"), {
        font: "inherit", fontSize: "22px", lineHeight: "1", width: "40px", height: "40px",
        border: "0", borderRadius: "8px", background: "transparent", color: "#334155", cursor: "pointer"
      });
      closeBtn.type = "button";
      closeBtn.style.flex = "0 0 auto";
      closeBtn.setAttribute("aria-label", "Close");
      closeBtn.textContent = "\u00d7";
      closeBtn.addEventListener("click", function () { cancelled("closed"); });
      bar.appendChild(heading);
      bar.appendChild(closeBtn);
      var body = setStyles(doc.createElement("div"), { overflow: "auto", flex: "1 1 auto" });
      body.appendChild(frame);
      dialog.appendChild(bar);
      dialog.appendChild(body);
      // Anchored at the top: when the wizard resizes the frame, nothing above the change moves.
      // Focus trap: the page behind is inert, and two sentinels send Tab round the dialog.
      var first = doc.createElement("div"), last = doc.createElement("div");
      first.tabIndex = 0;
      last.tabIndex = 0;
      first.addEventListener("focus", function () { frame.focus(); });
      last.addEventListener("focus", function () { closeBtn.focus(); });
      overlay.appendChild(first);
      overlay.appendChild(dialog);
      overlay.appendChild(last);
      var siblings = doc.body.children;
      for (var i = 0; i < siblings.length; i++) {
        if (!siblings[i].inert) { siblings[i].inert = true; inerted.push(siblings[i]); }
      }
      doc.body.appendChild(overlay);
      doc.addEventListener("keydown", onKeydown, true);
      closeBtn.focus();
    }

    // 1. The window or frame, synchronously: a popup must open inside the user's click.
    if (mode === "popup") {
      var w = opts.width || 500, h = opts.height || 600;
      var left = Math.max(0, (root.screenX || 0) + ((root.outerWidth || w) - w) / 2);
      var top = Math.max(0, (root.screenY || 0) + ((root.outerHeight || h) - h) / 2);
      popup = root.open("about:blank", "config-wizard-" + (++counter) + "-" + Date.now(),
        "popup=yes,width=" + w + ",height=" + h + ",left=" + Math.round(left) + ",top=" + Math.round(top));
      if (!popup) {
        state.done = true;
        call("onError", { code: "popup_blocked", message: "The browser blocked the wizard's window. Allow pop-ups for this site and try again.", data: {} }, handle);
        return handle;
      }
      try { popup.document.title = title; } catch (e) { /* not ours any more */ }
      poll = setInterval(function () { if (popup.closed) cancelled("closed"); }, POLL_MS);
    } else {
      frame = setStyles(doc.createElement("iframe"), {
        display: "block", width: "100%", border: "0", height: (opts.height || 600) + "px"
      });
      frame.title = title;
      frame.setAttribute("data-config-wizard", "frame");
      if (mode === "modal") buildModal(); else container.appendChild(frame);
    }
    root.addEventListener("message", onMessage);

    // 2. The URL, possibly from the ISV backend; then navigate the window or frame to it.
    new Promise(function (resolve) {
      resolve(typeof opts.getUrl === "function" ? opts.getUrl() : opts.url);
    }).then(function (url) {
      if (state.done) return;
      if (typeof url !== "string" || !url) throw new Error("no wizard URL was given");
      var target = new URL(url, root.location.href);
      if (target.protocol !== "https:" && target.protocol !== "http:") throw new Error("the wizard URL must be http(s)");
      if (opts.lang) target.searchParams.set("lang", String(opts.lang));  // the wizard's language
      state.origin = target.origin;
      if (kind === "upgrade") target.searchParams.set("upgrade", "true");
      // This page's origin as a hint (docs/events.md, "Origins"): the wizard posts to it alone when
      // it is one of its allowed origins, instead of once per allowed origin (each mismatch is a
      // console warning in this page). The fragment never reaches a server or a log.
      if (!target.hash) target.hash = "wizardHost=" + encodeURIComponent(root.location.origin);
      if (popup) popup.location.replace(target.href); else frame.src = target.href;
    }).catch(function (err) {
      end("onError", { code: "url_failed", message: (err && err.message) || "Could not get the wizard's address.", data: {} });
    });

    return handle;
  }

  root.ConfigWizard = {
    version: "1.2.0",
    /** Open the configuration wizard. See the comment at the top of this file. */
    open: function (opts) { return launch(opts, CONFIG_EVENTS, "config"); },
    /** Open the wizard in upgrade mode: only what the newest version needs; onFinish gets {version, upgraded}. */
    update: function (opts) { return launch(opts, CONFIG_EVENTS, "upgrade"); },
    /** Open the auth-only dialog (connect or reconnect one account); onFinish gets {authType, authId}. */
    openAuth: function (opts) { return launch(opts, AUTH_EVENTS, "auth"); }
  };
})(window);
