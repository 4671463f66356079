/* The demo ISV page: what an ISV's "Integrations" page does with the host SDK (embed.js).
   Everything shown is built with textContent: nothing from the server becomes markup. */
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var statusEl = document.getElementById("status");
  var logEl = document.getElementById("event-log");
  var logEmpty = document.getElementById("event-log-empty");
  var current = null;  // the open wizard's handle

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) { if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]); }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function say(message) { statusEl.textContent = message; }

  function api(method, path, body) {
    return fetch("/demo/api" + path, {
      method: method,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      credentials: "same-origin",
      body: body ? JSON.stringify(body) : undefined
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (json) {
        if (!resp.ok) throw new Error(json.message || ("The demo backend answered " + resp.status + "."));
        return json;
      });
    });
  }

  function log(type, detail, extra) {
    var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    var item = el("li", { "data-type": type });
    for (var k in extra || {}) { if (Object.prototype.hasOwnProperty.call(extra, k)) item.setAttribute(k, extra[k]); }
    item.appendChild(el("span", { "class": "log__time" }, time));
    item.appendChild(el("code", { "class": "log__type" }, type));
    if (detail !== undefined && detail !== null) {
      item.appendChild(el("span", { "class": "log__detail" }, typeof detail === "string" ? detail : JSON.stringify(detail)));
    }
    logEl.insertBefore(item, logEl.firstChild);
    logEmpty.hidden = true;
  }

  function mode() { return document.querySelector('input[name="mode"]:checked').value; }
  function validationMode() { return document.getElementById("validation").value; }
  function language() { return document.getElementById("language").value; }

  // The page's own rule for customValidation: an ISV checks what only it knows.
  function validateScreen(data) {
    var values = (data && data.configValues) || {};
    if (validationMode() === "silent") return new Promise(function () { /* never answers */ });
    var errors = {};
    var email = values.external_digest_email;
    if (typeof email === "string" && /@blocked\.example$/i.test(email.trim())) {
      errors.external_digest_email = "Acme does not send digests to blocked.example addresses.";
    }
    return Promise.resolve(errors);
  }

  var inlinePanel = document.getElementById("wizard-inline-panel");

  // The inline iframe lives in a panel of this page, shown while the wizard is open in it.
  function showInline(on) {
    inlinePanel.hidden = !on;
    if (on) inlinePanel.scrollIntoView({ block: "nearest" });
  }

  function closeWizard() {
    if (current && current.isOpen()) current.close();
    showInline(false);
  }

  function openWizard(getUrl, label, update) {
    closeWizard();
    var validation = validationMode() !== "off";
    var how = mode();
    say("Opening the wizard for " + label + "…");
    if (how === "iframe") showInline(true);
    // update(): upgrade mode, only what the newer version needs (docs/events.md)
    current = ConfigWizard[update ? "update" : "open"]({
      getUrl: function () {
        return getUrl(validation).then(function (j) {
          if (j.reopened) log("demo.reopened", "Configure reopened your unfinished " + label + " (" + j.instanceId + ")");
          return j.url;
        });
      },
      mode: how,
      container: how === "iframe" ? "#wizard-inline" : undefined,
      lang: language() || undefined,
      title: "Configure " + label,
      // Esc inside an inline iframe closes nothing (the SDK closes only a modal or popup): shown here.
      onEvent: function (type, message) {
        if (type === "tray.configPopup.escape" && how === "iframe") log(type, message.data);
      },
      onReady: function (data) { log("tray.configPopup.ready", data); say("The wizard is open."); },
      onValidate: function (data) {
        log("tray.configPopup.validate", { visibleValues: data.visibleValues });
        return validateScreen(data);
      },
      onFinish: function (data) {
        showInline(false);
        log("tray.configPopup.finish", data);
        // autoEnable may already have enabled it; otherwise the ISV backend does now.
        var enabled = data.enabled ? Promise.resolve({ enabled: true })
          : api("POST", "/instances/" + encodeURIComponent(data.solutionInstanceId) + "/enable");
        enabled.then(function () { say(label + (data.upgraded ? " now runs version " + data.version + "." : " is set up and enabled.")); })
          .catch(function (err) { say(label + " is saved but could not be enabled: " + err.message); })
          .then(refresh);
      },
      onCancel: function (data) {
        showInline(false);
        log("tray.configPopup.cancel", data, data && data.reason ? { "data-reason": data.reason } : {});
        say("The wizard was closed; nothing was lost. Open it again to go on.");
        refresh();
      },
      onError: function (err) {
        log("tray.configPopup.error", { code: err.code, message: err.message });
        say("The wizard reported: " + err.message);
        refresh();
      }
    });
  }

  function configure(solution) {
    openWizard(function (validation) {
      return api("POST", "/instances", { solutionId: solution.id, customValidation: validation });
    }, solution.title);
  }

  function edit(instance) {
    openWizard(function (validation) {
      return api("POST", "/instances/" + encodeURIComponent(instance.id) + "/wizard-url", { customValidation: validation });
    }, instance.name);
  }

  function update(instance) {
    openWizard(function (validation) {
      return api("POST", "/instances/" + encodeURIComponent(instance.id) + "/wizard-url", { customValidation: validation });
    }, instance.name, true);
  }

  function act(instance, what, done) {
    api("POST", "/instances/" + encodeURIComponent(instance.id) + "/" + what)
      .then(function () { say(done); }, function (err) { say(err.message); })
      .then(refresh);
  }

  function button(text, cls, label, onClick) {
    var b = el("button", { type: "button", "class": "btn " + cls }, text);
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function renderSolutions(list) {
    var box = document.getElementById("solutions");
    box.textContent = "";
    box.removeAttribute("aria-busy");
    if (!list.length) {
      box.appendChild(el("li", { "class": "muted" }, "No solution is published yet. Run: flask --app app demo setup"));
      return;
    }
    list.forEach(function (s) {
      var card = el("li", { "class": "card", "data-solution": s.id });
      card.appendChild(el("h3", {}, s.title));
      card.appendChild(el("p", { "class": "muted" }, s.description || ""));
      card.appendChild(button("Configure", "btn--primary", "Configure " + s.title, function () { configure(s); }));
      box.appendChild(card);
    });
  }

  function renderInstances(list) {
    var box = document.getElementById("instances");
    box.textContent = "";
    box.removeAttribute("aria-busy");
    if (!list.length) {
      box.appendChild(el("li", { "class": "muted" }, "Nothing set up yet. Press Configure above."));
      return;
    }
    list.forEach(function (i) {
      var row = el("li", { "class": "row", "data-instance": i.id });
      var text = el("div", { "class": "row__text" });
      text.appendChild(el("span", { "class": "row__name" }, i.name));
      var meta = el("span", { "class": "row__meta" });
      meta.appendChild(el("span", { "class": "badge " + (i.enabled ? "badge--on" : "badge--off") }, i.enabled ? "Enabled" : "Not enabled"));
      meta.appendChild(document.createTextNode(" " + i.solutionTitle + " · v" + i.version + (i.hasNewerVersion ? " (update available)" : "")));
      text.appendChild(meta);
      row.appendChild(text);
      var actions = el("div", { "class": "row__actions" });
      if (i.hasNewerVersion) {
        actions.appendChild(button("Update", "btn--primary", "Update " + i.name, function () { update(i); }));
      }
      actions.appendChild(button("Edit", "btn--secondary", "Edit " + i.name, function () { edit(i); }));
      if (i.enabled) {
        actions.appendChild(button("Disable", "btn--secondary", "Disable " + i.name, function () { act(i, "disable", i.name + " is disabled."); }));
      } else {
        actions.appendChild(button("Enable", "btn--secondary", "Enable " + i.name, function () { act(i, "enable", i.name + " is enabled."); }));
      }
      actions.appendChild(button("Delete", "btn--danger", "Delete " + i.name, function () { act(i, "delete", i.name + " was deleted."); }));
      row.appendChild(actions);
      box.appendChild(row);
    });
  }

  function refresh() {
    return api("GET", "/state").then(function (state) {
      renderSolutions(state.solutions);
      renderInstances(state.instances);
      document.body.setAttribute("data-loaded", "true");
    }, function (err) { say("Could not load the integrations: " + err.message); });
  }

  document.getElementById("inline-close").addEventListener("click", function () {
    closeWizard();
    log("demo.closed", "This page closed the inline wizard (handle.close(): no callback runs).");
    say("The wizard was closed; nothing was lost. Open it again to go on.");
    refresh();
  });
  document.getElementById("clear-log").addEventListener("click", function () {
    logEl.textContent = "";
    logEmpty.hidden = false;
  });
  refresh();
})();
