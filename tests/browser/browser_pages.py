"""Pages for the host SDK tests, served by the second server: a host page that uses embed.js the
way an ISV does, and a scripted peer on another origin that speaks the wizard's side of docs/events.md
(so every branch of the SDK can be driven, including what the real wizard never sends)."""

HOST = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SDK host</title>
<script src="{live}/static/embed.js"></script></head>
<body><main>
<button id="popup">Open popup</button>
<button id="modal">Open modal</button>
<button id="inline">Open inline</button>
<button id="auth">Connect account</button>
<div id="box"></div>
<ol id="log"></ol>
</main>
<script>
  window.PEER = "{peer}";
  window.holdUrl = false;
  window.validationAnswer = function () {{ return {{}}; }};
  function log(type, data) {{
    var li = document.createElement("li");
    li.dataset.type = type;
    li.textContent = type + " " + JSON.stringify(data || {{}});
    document.getElementById("log").appendChild(li);
  }}
  function options(mode, extra) {{
    return Object.assign({{
      mode: mode,
      getUrl: function () {{
        return new Promise(function (resolve, reject) {{
          window.releaseUrl = function () {{ resolve(window.PEER + "?mode=" + mode); }};
          window.failUrl = function () {{ reject(new Error("backend said no")); }};
          if (!window.holdUrl) window.releaseUrl();
        }});
      }},
      onReady: function (d) {{ log("ready", d); }},
      onFinish: function (d) {{ log("finish", d); }},
      onCancel: function (d) {{ log("cancel", d); }},
      onError: function (e) {{ log("error", e); }},
      onValidate: function (d) {{ log("validate", d); return window.validationAnswer(d); }},
      onResize: function (d) {{ log("resize", d); }}
    }}, extra || {{}});
  }}
  document.getElementById("popup").addEventListener("click", function () {{
    window.handle = ConfigWizard.open(options("popup"));
    window.openedInClick = !!window.handle.window();  // before the URL is known
  }});
  document.getElementById("modal").addEventListener("click", function () {{
    window.handle = ConfigWizard.open(options("modal", {{title: "Configure Peer"}}));
  }});
  document.getElementById("inline").addEventListener("click", function () {{
    window.handle = ConfigWizard.open(options("iframe", {{container: "#box"}}));
  }});
  document.getElementById("auth").addEventListener("click", function () {{
    window.handle = ConfigWizard.openAuth(options("popup"));
  }});
</script>
</body></html>"""

PEER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>peer</title></head>
<body><main><h1>Peer</h1><button type="button">Peer action</button><ol id="got"></ol></main>
<script>
  var target = window.opener || window.parent;
  var HOST = "{host_origin}";
  window.send = function (msg) {{ target.postMessage(msg, HOST); }};
  window.addEventListener("message", function (e) {{
    var li = document.createElement("li");
    li.dataset.origin = e.origin;
    li.textContent = JSON.stringify(e.data);
    document.getElementById("got").appendChild(li);
  }});
  if (!/auth/.test(location.search)) send({{type: "tray.configPopup.ready", data: {{solutionInstanceId: "inst-1"}}}});
</script>
</body></html>"""

# A window of the host's origin that is not the wizard, or of another origin: it tries to talk
# to the host page as if it were the wizard.
SPOOF = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>spoof</title></head>
<body><p>spoof</p>
<script>
  var victim = window.parent !== window ? window.parent : window.opener;
  window.spoof = function (msg) {{ victim.postMessage(msg, "*"); }};
</script>
</body></html>"""
