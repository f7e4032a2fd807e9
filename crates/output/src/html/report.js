// httpscope HTML report: parses the data once, then renders the summary, the findings and a
// virtually scrolled request list (only the visible rows exist in the DOM).
(function () {
  "use strict";

  var ROW = 22; // px; must match --row in the CSS
  var OVERSCAN = 15;
  var PHASES = ["blocked", "dns", "connect", "ssl", "send", "wait", "receive"];
  var PHASE_LABEL = {
    blocked: "Blocked", dns: "DNS lookup", connect: "Connect (TCP)", ssl: "TLS handshake",
    send: "Send", wait: "Wait (TTFB)", receive: "Receive"
  };
  var CACHE_HEADERS = ["cache-control", "etag", "last-modified", "age", "expires", "vary", "pragma"];
  var FILTER_KEYS = ["q", "host", "status", "protocol", "process", "findings"];

  function $(id) { return document.getElementById(id); }

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function parseScript(id) {
    var el = $(id);
    if (!el) return null;
    var v = null;
    try { v = JSON.parse(el.textContent); } catch (e) { v = null; }
    el.textContent = ""; // the parsed copy is all we need: free the text
    return v;
  }

  function bytes(n) {
    if (n == null || isNaN(n)) return "";
    if (n < 1024) return n + " B";
    var u = ["kB", "MB", "GB", "TB"], i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return (n < 10 ? n.toFixed(1) : Math.round(n)) + " " + u[i];
  }

  function ms(ns) {
    if (ns == null || isNaN(ns)) return "";
    var m = ns / 1e6;
    if (m >= 10000) return (m / 1000).toFixed(1) + " s";
    if (m >= 1000) return (m / 1000).toFixed(2) + " s";
    if (m >= 100) return Math.round(m) + " ms";
    if (m >= 1) return m.toFixed(1) + " ms";
    return m.toFixed(2) + " ms";
  }

  function isoTime(ns) {
    if (ns == null) return "";
    try { return new Date(ns / 1e6).toISOString(); } catch (e) { return String(ns); }
  }

  function header(headers, name) {
    if (!headers) return null;
    for (var i = 0; i < headers.length; i++) {
      if (headers[i].name.toLowerCase() === name) return headers[i].value;
    }
    return null;
  }

  // ---- data ------------------------------------------------------------------------------

  var records = parseScript("data") || [];
  var report = parseScript("report") || {};
  var tx = [], conns = [], lookups = [];
  for (var r = 0; r < records.length; r++) {
    var rec = records[r];
    if (!rec || typeof rec !== "object") continue;
    if (rec._connection) conns.push(rec._connection);
    else if (rec._dns) lookups.push(rec._dns);
    else tx.push(rec);
  }
  records = null;

  var N = tx.length;
  var col = {
    id: new Float64Array(N), status: new Uint16Array(N), start: new Float64Array(N),
    time: new Float64Array(N), transferred: new Float64Array(N), size: new Float64Array(N),
    flags: new Uint8Array(N), method: new Array(N), host: new Array(N), path: new Array(N),
    protocol: new Array(N), process: new Array(N), url: new Array(N)
  };
  var byId = new Map();
  var t0 = Infinity, tEnd = 0;

  function hostOf(t) {
    var req = t.request;
    var h = req && (header(req.headers, "host") || header(req.headers, ":authority"));
    return h || String(t.server || "");
  }

  function pathOf(t) {
    var u = String(t.url || "");
    var i = u.indexOf("://");
    if (i >= 0) {
      var j = u.indexOf("/", i + 3);
      return j >= 0 ? u.slice(j) : "/";
    }
    return (t.request && t.request.target) || u;
  }

  // `comm[pid]`, as Process::label() writes it; "" without a process.
  function processLabel(p) {
    return p && typeof p === "object" ? String(p.comm || "") + "[" + p.pid + "]" : "";
  }

  // The command line, else the executable, else comm (Process::command()).
  function processCommand(p) {
    if (!p || typeof p !== "object") return "";
    if (p.cmdline && p.cmdline.length) return p.cmdline.join(" ");
    return p.exe || p.comm || "";
  }

  function totalNs(tm) {
    if (!tm) return 0;
    return (tm.blocked || 0) + (tm.dns || 0) + (tm.connect || 0) + (tm.send || 0) +
      (tm.wait || 0) + (tm.receive || 0);
  }

  for (var i = 0; i < N; i++) {
    var t = tx[i];
    var resp = t.response;
    col.id[i] = t.id;
    col.status[i] = resp ? resp.status : 0;
    col.start[i] = Number(t.start) || 0;
    col.time[i] = totalNs(t.timings);
    if (resp) {
      var interim = 0;
      (resp.interim || []).forEach(function (x) { interim += x.header_bytes || 0; });
      col.transferred[i] = (resp.header_bytes || 0) + ((resp.body && resp.body.wire) || 0) + interim;
      var body = resp.body || {};
      col.size[i] = body.decoded != null ? body.decoded : (body.encoded || 0);
    }
    col.flags[i] = (t.findings && t.findings.length ? 1 : 0) | (t.incomplete && t.incomplete.length ? 2 : 0);
    col.method[i] = (t.request && t.request.method) || "";
    col.host[i] = hostOf(t);
    col.path[i] = pathOf(t);
    col.protocol[i] = t.protocol || "";
    col.process[i] = processLabel(t.process);
    col.url[i] = String(t.url || "").toLowerCase();
    byId.set(t.id, i);
    if (col.start[i] < t0) t0 = col.start[i];
  }
  if (!isFinite(t0)) t0 = 0;
  for (i = 0; i < N; i++) {
    col.start[i] -= t0; // relative: keeps the arithmetic exact enough
    var end = col.start[i] + col.time[i];
    if (end > tEnd) tEnd = end;
  }
  var span = tEnd > 0 ? tEnd : 1;

  // Report findings per transaction id.
  var findings = report.findings || [];
  var findingsOf = new Map();
  findings.forEach(function (f, k) {
    (f.transactions || []).forEach(function (id) {
      var l = findingsOf.get(id);
      if (!l) findingsOf.set(id, l = []);
      l.push(k);
    });
  });

  // ---- state -----------------------------------------------------------------------------

  var filter = { q: "", host: "", status: "", protocol: "", process: "", findings: "" };
  var sort = { key: "start", dir: 1 };
  var view = new Int32Array(0);
  var selected = -1; // index into tx
  var detailOpen = false;
  var lastRange = "";
  var list = $("list"), rowsEl = $("rows"), detailEl = $("detail");

  function statusClass(s) {
    if (s === 0) return "failed";
    if (s >= 100 && s < 600) return ((s / 100) | 0) + "xx";
    return "other";
  }

  function applyFilters() {
    var q = filter.q.toLowerCase(), host = filter.host, st = filter.status;
    var proto = filter.protocol, proc = filter.process, fl = filter.findings === "1";
    var out = new Int32Array(N), n = 0;
    for (var i = 0; i < N; i++) {
      if (q && col.url[i].indexOf(q) < 0 && col.host[i].toLowerCase().indexOf(q) < 0 &&
        col.process[i].toLowerCase().indexOf(q) < 0) continue;
      if (host && col.host[i] !== host) continue;
      if (st && statusClass(col.status[i]) !== st) continue;
      if (proto && col.protocol[i] !== proto) continue;
      if (proc && col.process[i] !== proc) continue;
      if (fl && !(col.flags[i] & 1)) continue;
      out[n++] = i;
    }
    view = out.subarray(0, n);
    sortView();
  }

  function sortView() {
    var key = sort.key, dir = sort.dir, c = col[key] || col.start;
    var numeric = !Array.isArray(c);
    var arr = Array.prototype.slice.call(view);
    arr.sort(function (a, b) {
      var x = c[a], y = c[b];
      if (x !== y) {
        if (numeric) return (x - y) * dir;
        return (x < y ? -1 : 1) * dir;
      }
      return (col.start[a] - col.start[b]) || (col.id[a] - col.id[b]);
    });
    view = Int32Array.from(arr);
    lastRange = "";
  }

  // ---- request list ----------------------------------------------------------------------

  function bars(i) {
    var tm = tx[i].timings || {};
    var pos = col.start[i], out = "";
    PHASES.forEach(function (p) {
      var d = tm[p];
      if (p === "connect" && d != null && tm.ssl != null) d = Math.max(0, d - tm.ssl);
      if (d == null || d <= 0) return;
      out += '<span class="bar" data-phase="' + p + '" style="left:' + (pos / span * 100).toFixed(3) +
        "%;width:" + (d / span * 100).toFixed(3) + '%" title="' + PHASE_LABEL[p] + " " + ms(d) + '"></span>';
      pos += d;
    });
    return out;
  }

  function rowHtml(i, pos) {
    var t = tx[i], s = col.status[i], fl = col.flags[i];
    var sel = i === selected;
    var statusText = s ? String(s) : "failed";
    return '<tr class="req s' + ((s / 100) | 0) + '" data-id="' + t.id + '" id="r-' + t.id +
      '" role="row" aria-rowindex="' + (pos + 2) + '" aria-selected="' + sel + '">' +
      '<td class="st" title="' + esc(s ? s + " " + ((t.response && t.response.reason) || "") : (t.incomplete && t.incomplete[0] ? t.incomplete[0].detail : "no response")) + '">' +
      esc(statusText) + (fl & 1 ? '<span class="flag" title="findings">&#9873;</span>' : "") + "</td>" +
      "<td>" + esc(col.method[i]) + "</td>" +
      '<td title="' + esc(col.host[i]) + '">' + esc(col.host[i]) + "</td>" +
      '<td title="' + esc(t.url) + '">' + esc(col.path[i]) + "</td>" +
      "<td>" + esc(col.protocol[i]) + "</td>" +
      '<td title="' + esc(processCommand(t.process)) + '">' + esc(col.process[i] || "-") + "</td>" +
      '<td class="num">' + (t.response ? bytes(col.transferred[i]) : "") + "</td>" +
      '<td class="num">' + (t.response ? bytes(col.size[i]) : "") + "</td>" +
      '<td class="num">' + ms(col.time[i]) + "</td>" +
      '<td class="wf"><div class="track">' + bars(i) + "</div></td></tr>";
  }

  function render(force) {
    var n = view.length;
    var h = list.clientHeight || 600;
    var top = Math.max(0, list.scrollTop - 26);
    var first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    var last = Math.min(n, Math.ceil((top + h) / ROW) + OVERSCAN);
    var range = first + ":" + last + ":" + n + ":" + selected;
    if (!force && range === lastRange) return;
    lastRange = range;
    var html = '<tr class="spacer" aria-hidden="true"><td colspan="10" style="height:' + first * ROW + 'px"></td></tr>';
    for (var p = first; p < last; p++) html += rowHtml(view[p], p);
    html += '<tr class="spacer" aria-hidden="true"><td colspan="10" style="height:' + (n - last) * ROW + 'px"></td></tr>';
    rowsEl.innerHTML = html;
    $("empty").hidden = n > 0 || N === 0;
    list.setAttribute("aria-rowcount", String(n + 1));
    if (selected >= 0 && $("r-" + tx[selected].id)) list.setAttribute("aria-activedescendant", "r-" + tx[selected].id);
    else list.removeAttribute("aria-activedescendant");
  }

  var framePending = false;
  list.addEventListener("scroll", function () {
    if (framePending) return;
    framePending = true;
    requestAnimationFrame(function () { framePending = false; render(false); });
  });
  window.addEventListener("resize", function () { render(false); });

  function renderAxis() {
    var html = "";
    html += '<span style="left:0">0</span><span style="left:50%">' + ms(span / 2) + "</span>" +
      '<span style="right:0;transform:none">' + ms(span) + "</span>";
    $("axis").innerHTML = N ? html : "";
    $("legend").innerHTML = PHASES.map(function (p) {
      return '<span><i class="' + p + '"></i>' + PHASE_LABEL[p] + "</span>";
    }).join("");
  }

  function updateCount() {
    $("count").textContent = view.length === N ? N + " requests" : view.length + " of " + N + " requests";
  }

  function refresh() {
    applyFilters();
    updateCount();
    var pos = selected >= 0 ? view.indexOf(selected) : -1;
    if (pos < 0 && selected >= 0) { selected = -1; closeDetail(); }
    render(true);
  }

  // ---- selection and keyboard ------------------------------------------------------------

  function ensureVisible(pos) {
    var y = pos * ROW + 26, h = list.clientHeight || 600;
    if (y - 26 < list.scrollTop) list.scrollTop = y - 26;
    else if (y + ROW > list.scrollTop + h) list.scrollTop = y + ROW - h;
  }

  function selectPos(pos, open) {
    if (!view.length) return;
    pos = Math.max(0, Math.min(view.length - 1, pos));
    selected = view[pos];
    ensureVisible(pos);
    render(true);
    if (open || detailOpen) openDetail(selected);
    writeHash();
  }

  function selectId(id, open) {
    var i = byId.get(id);
    if (i == null) return false;
    var pos = view.indexOf(i);
    if (pos < 0) { // hidden by the filters: clear them so it can be shown
      FILTER_KEYS.forEach(function (k) { filter[k] = ""; });
      syncControls();
      applyFilters();
      updateCount();
      pos = view.indexOf(i);
    }
    selectPos(pos, open);
    list.focus({ preventScroll: true });
    return true;
  }

  list.addEventListener("keydown", function (e) {
    var pos = selected >= 0 ? view.indexOf(selected) : -1;
    var page = Math.max(1, Math.floor((list.clientHeight - 26) / ROW) - 1);
    switch (e.key) {
      case "ArrowDown": selectPos(pos + 1, false); break;
      case "ArrowUp": selectPos(pos < 0 ? 0 : pos - 1, false); break;
      case "PageDown": selectPos(pos + page, false); break;
      case "PageUp": selectPos(pos - page, false); break;
      case "Home": selectPos(0, false); break;
      case "End": selectPos(view.length - 1, false); break;
      case "Enter": if (pos >= 0) openDetail(selected); else selectPos(0, true); break;
      case "Escape": closeDetail(); break;
      default: return;
    }
    e.preventDefault();
  });

  rowsEl.addEventListener("click", function (e) {
    var tr = e.target.closest && e.target.closest("tr.req");
    if (!tr) return;
    var i = byId.get(Number(tr.getAttribute("data-id")));
    if (i == null) return;
    selectPos(view.indexOf(i), true);
    list.focus({ preventScroll: true });
  });

  // ---- sorting ---------------------------------------------------------------------------

  var ths = document.querySelectorAll("#requests th[data-key]");
  function syncSortHeaders() {
    Array.prototype.forEach.call(ths, function (th) {
      var k = th.getAttribute("data-key");
      th.setAttribute("aria-sort", k === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none");
    });
  }
  Array.prototype.forEach.call(ths, function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var k = th.getAttribute("data-key");
      if (sort.key === k) sort.dir = -sort.dir;
      else { sort.key = k; sort.dir = /^(time|size|transferred)$/.test(k) ? -1 : 1; }
      syncSortHeaders();
      sortView();
      render(true);
      writeHash();
    });
  });

  // ---- filters and the URL fragment ------------------------------------------------------

  var controls = {
    q: $("filter-text"), host: $("filter-host"), status: $("filter-status"),
    protocol: $("filter-protocol"), process: $("filter-process"), findings: $("filter-findings")
  };

  function fillSelect(sel, values) {
    var counts = new Map();
    values.forEach(function (v) { if (v) counts.set(v, (counts.get(v) || 0) + 1); });
    var keys = Array.from(counts.keys()).sort(function (a, b) { return counts.get(b) - counts.get(a) || (a < b ? -1 : 1); });
    var html = '<option value="">all</option>';
    keys.forEach(function (k) { html += '<option value="' + esc(k) + '">' + esc(k) + " (" + counts.get(k) + ")</option>"; });
    sel.innerHTML = html;
    sel.disabled = keys.length === 0;
  }

  function ensureOption(sel, v) {
    if (!v) return;
    for (var k = 0; k < sel.options.length; k++) if (sel.options[k].value === v) return;
    var o = document.createElement("option");
    o.value = v; o.textContent = v;
    sel.appendChild(o);
  }

  function syncControls() {
    controls.q.value = filter.q;
    ["host", "status", "protocol", "process"].forEach(function (k) {
      ensureOption(controls[k], filter[k]);
      controls[k].value = filter[k];
    });
    controls.findings.checked = filter.findings === "1";
  }

  var ownHash = "";
  function writeHash() {
    var p = new URLSearchParams();
    FILTER_KEYS.forEach(function (k) { if (filter[k]) p.set(k, filter[k]); });
    if (sort.key !== "start" || sort.dir !== 1) { p.set("sort", sort.key); p.set("dir", sort.dir > 0 ? "asc" : "desc"); }
    if (selected >= 0 && detailOpen) p.set("id", String(tx[selected].id));
    var h = p.toString();
    ownHash = h;
    try { history.replaceState(null, "", h ? "#" + h : location.pathname + location.search); } catch (e) { /* file: quirks */ }
  }

  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ""));
    FILTER_KEYS.forEach(function (k) { filter[k] = p.get(k) || ""; });
    if (filter.findings && filter.findings !== "1") filter.findings = "1";
    var key = p.get("sort");
    sort.key = key && (col[key] || key === "start") ? key : "start";
    sort.dir = p.get("dir") === "desc" ? -1 : 1;
    syncControls();
    syncSortHeaders();
    refresh();
    var id = Number(p.get("id"));
    if (p.get("id") && byId.has(id)) selectId(id, true);
  }

  window.addEventListener("hashchange", function () {
    if (location.hash.replace(/^#/, "") !== ownHash) readHash();
  });

  var typing = 0;
  controls.q.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () { filter.q = controls.q.value; refresh(); writeHash(); }, N > 20000 ? 200 : 60);
  });
  ["host", "status", "protocol", "process"].forEach(function (k) {
    controls[k].addEventListener("change", function () { filter[k] = controls[k].value; refresh(); writeHash(); });
  });
  controls.findings.addEventListener("change", function () {
    filter.findings = controls.findings.checked ? "1" : "";
    refresh();
    writeHash();
  });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  $("filter-reset").addEventListener("click", function (e) {
    e.preventDefault();
    FILTER_KEYS.forEach(function (k) { filter[k] = ""; });
    syncControls();
    refresh();
    writeHash();
  });

  // ---- detail pane -----------------------------------------------------------------------

  function kv(pairs) {
    var html = '<dl class="kv">';
    pairs.forEach(function (p) {
      if (p[1] == null || p[1] === "") return;
      html += "<dt>" + esc(p[0]) + "</dt><dd>" + esc(p[1]) + "</dd>";
    });
    return html + "</dl>";
  }

  function headerTable(title, headers) {
    if (!headers || !headers.length) return "<h3>" + esc(title) + '</h3><p class="muted">none</p>';
    var html = "<h3>" + esc(title) + " (" + headers.length + ')</h3><table class="plain">';
    headers.forEach(function (h) { html += "<tr><th>" + esc(h.name) + "</th><td>" + esc(h.value) + "</td></tr>"; });
    return html + "</table>";
  }

  function timingsTable(t) {
    var tm = t.timings || {}, total = totalNs(tm) || 1, pos = 0;
    var html = '<h3>Timings</h3><table class="plain timings"><tr><th>Phase</th><th class="num">Time</th><th></th></tr>';
    PHASES.forEach(function (p) {
      var d = tm[p], shown = d;
      if (p === "connect" && d != null && tm.ssl != null) shown = Math.max(0, d - tm.ssl);
      var bar = "";
      if (shown != null && shown > 0) {
        bar = '<span class="bar" data-phase="' + p + '" style="left:' + (pos / total * 100).toFixed(2) +
          "%;width:" + (shown / total * 100).toFixed(2) + '%"></span>';
        pos += shown;
      }
      var label = PHASE_LABEL[p] + (p === "connect" && tm.ssl != null ? " (HAR connect " + ms(d) + " includes TLS)" : "");
      html += "<tr><td>" + esc(label) + '</td><td class="num">' + (d == null ? '<span class="muted">n/a</span>' : ms(shown)) +
        '</td><td class="bar-cell">' + bar + "</td></tr>";
    });
    return html + '<tr><th>Total</th><th class="num">' + ms(totalNs(tm)) + "</th><th></th></tr></table>";
  }

  function tlsFacts(tls) {
    if (!tls) return "";
    var dec = tls.decryption || {};
    var decText = dec.state + (dec.suite ? " (" + dec.suite + ")" : "") + (dec.detail ? " (" + dec.records + " records: " + dec.detail + ")" : "");
    var hs = tls.handshake_start != null && tls.handshake_end != null ? ms(tls.handshake_end - tls.handshake_start) : "";
    var html = "<h3>TLS</h3>" + kv([
      ["Version", tls.version], ["Cipher suite", tls.cipher_suite], ["SNI", tls.sni],
      ["ALPN offered", (tls.alpn_offered || []).join(", ")], ["ALPN", tls.alpn],
      ["Resumed", tls.resumed ? "yes" : "no"], ["Early data offered", tls.early_data_offered ? "yes" : ""],
      ["HelloRetryRequest", tls.hello_retry ? "yes" : ""], ["Handshake", hs], ["Decryption", decText],
      ["Alerts", (tls.alerts || []).map(function (a) { return a.level + " " + a.description + " (" + a.from + ")"; }).join("; ")],
      ["Errors", tls.errors ? tls.errors + (tls.first_error ? ": " + tls.first_error : "") : ""]
    ]);
    (tls.certificates || []).forEach(function (c, k) {
      html += "<h3>Certificate " + (k + 1) + "</h3>" + kv([
        ["Subject", c.subject], ["Issuer", c.issuer], ["SAN", (c.san || []).join(", ")],
        ["Not before", c.not_before != null ? isoTime(c.not_before) : ""],
        ["Not after", c.not_after != null ? isoTime(c.not_after) : ""]
      ]);
    });
    return html;
  }

  function cacheFacts(t) {
    var rh = t.response ? t.response.headers : null, qh = t.request ? t.request.headers : null;
    var pairs = CACHE_HEADERS.map(function (n) { return [n, header(rh, n) || "—"]; });
    pairs.push(["if-none-match (request)", header(qh, "if-none-match")]);
    pairs.push(["if-modified-since (request)", header(qh, "if-modified-since")]);
    if (t.response && t.response.status === 304) pairs.push(["revalidated", "304 Not Modified"]);
    return "<h3>Cache</h3>" + kv(pairs);
  }

  function findingBlock(f) {
    return '<div class="finding ' + esc(f.severity) + '"><span class="sev">' + esc(f.severity) + "</span><b>" +
      esc(f.rule) + "</b> " + esc(f.message) +
      ((f.evidence || []).length ? kv(f.evidence.map(function (e) { return [e[0], e[1]]; })) : "") +
      (f.hint ? '<div class="hint">' + esc(f.hint) + "</div>" : "") + "</div>";
  }

  function requestFindings(t) {
    var ks = findingsOf.get(t.id) || [];
    var seen = new Set(), html = "";
    ks.forEach(function (k) { seen.add(findings[k].rule); html += findingBlock(findings[k]); });
    (t.findings || []).forEach(function (rule) {
      if (!seen.has(rule)) html += '<div class="finding"><b>' + esc(rule) + "</b></div>";
    });
    return "<h3>Findings</h3>" + (html || '<p class="muted">none</p>');
  }

  function openDetail(i) {
    if (i < 0 || i >= N) return;
    var t = tx[i], req = t.request, resp = t.response;
    detailOpen = true;
    var html = '<button type="button" class="close" aria-label="Close details (Escape)">&#10005;</button>' +
      "<h2>" + esc(col.method[i]) + " " + esc(t.url) + "</h2>";
    html += kv([
      ["Status", resp ? resp.status + " " + (resp.reason || "") : "no response"],
      ["Protocol", t.protocol], ["Started", isoTime(t.start)],
      ["Client", t.client], ["Server", t.server],
      ["Connection", t.connection ? String(t.connection) + (t.position ? " (request " + (t.position + 1) + ", reused)" : " (first request)") : "none (the name did not resolve)"],
      ["HTTP/2 stream", t.stream != null ? String(t.stream) : ""],
      ["Process", col.process[i] || "-"],
      ["Command line", processCommand(t.process)],
      ["Executable", t.process && t.process.exe],
      ["Parent, user", t.process ? [t.process.ppid != null ? "ppid " + t.process.ppid : "", t.process.uid != null ? "uid " + t.process.uid : ""].filter(Boolean).join(", ") : ""],
      ["Cgroup", t.process && t.process.cgroup],
      ["Container", t.process && t.process.container],
      ["Request size", req ? bytes((req.header_bytes || 0) + ((req.body && req.body.wire) || 0)) : ""],
      ["Transferred", resp ? bytes(col.transferred[i]) : ""], ["Size (decoded)", resp ? bytes(col.size[i]) : ""],
      ["Redirect", t.redirect ? "from #" + t.redirect.from + " (hop " + t.redirect.hops + ")" : ""],
      ["Tunnel", t.tunnel ? t.tunnel.kind + (t.tunnel.protocol ? " " + t.tunnel.protocol : "") : ""],
      ["gRPC", t.grpc ? t.grpc.service + "/" + t.grpc.method + (t.grpc.status != null ? " status " + t.grpc.status : "") + (t.grpc.message ? " " + t.grpc.message : "") : ""],
      ["DNS", t.dns ? t.dns.name + " " + t.dns.qtype + " " + t.dns.outcome + (t.dns.end != null ? " in " + ms(t.dns.end - t.dns.start) : "") : ""]
    ]);
    if (t.incomplete && t.incomplete.length) {
      html += '<h3>Incomplete</h3><ul class="incomplete">' + t.incomplete.map(function (x) {
        return "<li>" + esc(x.reason) + ": " + esc(x.detail) + "</li>";
      }).join("") + "</ul>";
    }
    html += requestFindings(t) + timingsTable(t);
    html += headerTable("Request headers", req && req.headers);
    if (req && req.trailers && req.trailers.length) html += headerTable("Request trailers", req.trailers);
    html += headerTable("Response headers", resp && resp.headers);
    if (resp && resp.trailers && resp.trailers.length) html += headerTable("Response trailers", resp.trailers);
    html += cacheFacts(t) + tlsFacts(t.tls);
    detailEl.innerHTML = html;
    detailEl.hidden = false;
    $("split").classList.add("with-detail");
    detailEl.scrollTop = 0;
    detailEl.querySelector(".close").addEventListener("click", function () { closeDetail(); list.focus(); });
    writeHash();
  }

  function closeDetail() {
    if (!detailOpen) return;
    detailOpen = false;
    detailEl.hidden = true;
    $("split").classList.remove("with-detail");
    render(true);
    detailEl.innerHTML = "";
    writeHash();
  }

  detailEl.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { closeDetail(); list.focus(); }
  });

  // ---- summary, findings, extra ----------------------------------------------------------

  function card(label, value) { return '<div class="card"><b>' + esc(value) + "</b><span>" + esc(label) + "</span></div>"; }

  function renderSummary() {
    var s = report.summary || {};
    document.title = "httpscope: " + (report.input || "report");
    $("input-name").textContent = report.input ? "— " + report.input : "";
    if (report.first_packet != null) {
      $("capture-span").textContent = isoTime(report.first_packet) + " → " + isoTime(report.last_packet) +
        " (" + ms((report.last_packet || report.first_packet) - report.first_packet) + ")";
    }
    var sc = s.status_classes || {};
    var sev = { error: 0, warning: 0, info: 0 };
    findings.forEach(function (f) { sev[f.severity] = (sev[f.severity] || 0) + 1; });
    var html = '<div class="cards">' +
      card("requests", s.requests != null ? s.requests : N) +
      card("transferred (responses)", bytes(s.response_bytes || 0)) +
      card("sent (requests)", bytes(s.request_bytes || 0)) +
      card("decoded bodies", bytes(s.decoded_bytes || 0)) +
      card("connections", s.connections || 0) +
      card("reused requests", Math.round((s.reuse_ratio || 0) * 100) + "%") +
      card("over TLS", s.secure_requests || 0) +
      card("incomplete", s.incomplete || 0) +
      card("2xx / 3xx / 4xx / 5xx", [sc["2xx"] || 0, sc["3xx"] || 0, sc["4xx"] || 0, sc["5xx"] || 0].join(" / ")) +
      card("no response", sc.none || 0) +
      card("findings (errors / warnings / info)", sev.error + " / " + sev.warning + " / " + sev.info) +
      "</div>";
    var pairs = function (l) { return (l || []).map(function (p) { return p[0] + " " + p[1]; }).join(", "); };
    html += kv([["Protocols", pairs(s.protocols)], ["TLS versions", pairs(s.tls_versions)],
      ["Incomplete reasons", pairs(s.incomplete_reasons)]]);
    if ((report.warnings || []).length) {
      html += '<h3>Warnings</h3><ul class="warnings">' + report.warnings.map(function (w) { return "<li>" + esc(w) + "</li>"; }).join("") + "</ul>";
    }
    var origins = s.origins || [];
    if (origins.length) {
      html += "<details" + (origins.length <= 8 ? " open" : "") + "><summary>Origins (" + origins.length + ')</summary><table class="plain"><tr><th>Origin</th><th class="num">Requests</th><th class="num">Connections</th><th class="num">Reused</th><th class="num">Sent</th><th class="num">Received</th><th class="num">4xx</th><th class="num">5xx</th><th class="num">Failed</th><th class="num">304</th><th>Protocols</th><th>TLS</th></tr>';
      origins.forEach(function (o) {
        var st = o.statuses || {};
        html += "<tr><td>" + esc(o.origin) + '</td><td class="num">' + o.requests + '</td><td class="num">' + o.connections +
          '</td><td class="num">' + Math.round((o.reuse_ratio || 0) * 100) + '%</td><td class="num">' + bytes(o.request_bytes) +
          '</td><td class="num">' + bytes(o.response_bytes) + '</td><td class="num">' + (st["4xx"] || 0) + '</td><td class="num">' +
          (st["5xx"] || 0) + '</td><td class="num">' + (st.none || 0) + '</td><td class="num">' + (o.revalidations || 0) +
          "</td><td>" + esc(pairs(o.protocols)) + "</td><td>" + esc(pairs(o.tls_versions)) + "</td></tr>";
      });
      html += "</table></details>";
    }
    $("summary").innerHTML = "<h2>Summary</h2>" + html;
  }

  function renderFindings() {
    var el = $("findings");
    if (!findings.length) { el.innerHTML = '<h2>Findings</h2><p class="muted">No findings.</p>'; return; }
    var LIMIT = 200;
    var html = "";
    findings.slice(0, LIMIT).forEach(function (f) {
      var ids = (f.transactions || []);
      html += '<div class="finding ' + esc(f.severity) + '"><span class="sev">' + esc(f.severity) + "</span><b>" + esc(f.rule) +
        "</b> " + esc(f.message) + (f.origin ? ' <span class="muted">' + esc(f.origin) + "</span>" : "") +
        (ids.length ? '<div class="ids">requests: ' + ids.slice(0, 20).map(function (id) {
          return '<button type="button" data-goto="' + id + '">#' + id + "</button>";
        }).join("") + (ids.length > 20 ? " … " + (ids.length - 20) + " more" : "") + "</div>" : "") +
        (f.hint ? '<div class="hint">' + esc(f.hint) + "</div>" : "") + "</div>";
    });
    if (findings.length > LIMIT) html += '<p class="muted">' + (findings.length - LIMIT) + " more findings are in the JSON output.</p>";
    el.innerHTML = "<h2>Findings (" + findings.length + ")</h2>" + html;
    el.addEventListener("click", function (e) {
      var b = e.target.closest && e.target.closest("button[data-goto]");
      if (b) selectId(Number(b.getAttribute("data-goto")), true);
    });
  }

  function renderExtra() {
    var LIMIT = 500, html = "";
    if (conns.length) {
      html += "<details><summary>Connections (" + conns.length + ')</summary><table class="plain"><tr><th>Id</th><th>Client</th><th>Server</th><th>Started</th><th class="num">Duration</th><th class="num">Sent</th><th class="num">Received</th><th class="num">Requests</th><th>TLS</th><th>HTTP/2</th></tr>';
      conns.slice(0, LIMIT).forEach(function (c) {
        var tls = c.tls ? [c.tls.version, c.tls.sni, c.tls.alpn, c.tls.decryption && c.tls.decryption.state].filter(Boolean).join(" ") : "";
        var h2 = c.http2 ? c.http2.streams + " streams, max " + c.http2.max_concurrent + " concurrent" : "";
        html += "<tr><td>" + esc(c.id) + "</td><td>" + esc(c.client) + "</td><td>" + esc(c.server) + "</td><td>" + esc(c.started) +
          '</td><td class="num">' + esc(c.duration_ms != null ? c.duration_ms.toFixed(1) + " ms" : "") + '</td><td class="num">' +
          bytes(c.bytes ? c.bytes[0] : 0) + '</td><td class="num">' + bytes(c.bytes ? c.bytes[1] : 0) + '</td><td class="num">' +
          esc(c.transactions) + "</td><td>" + esc(tls) + "</td><td>" + esc(h2) + "</td></tr>";
      });
      html += "</table>" + (conns.length > LIMIT ? '<p class="muted">First ' + LIMIT + " shown.</p>" : "") + "</details>";
    }
    if (lookups.length) {
      html += "<details><summary>DNS lookups (" + lookups.length + ')</summary><table class="plain"><tr><th>Name</th><th>Type</th><th>Outcome</th><th>Started</th><th class="num">Duration</th><th class="num">Attempts</th><th>Answers</th></tr>';
      lookups.slice(0, LIMIT).forEach(function (l) {
        html += "<tr><td>" + esc(l.name) + "</td><td>" + esc(l.qtype) + "</td><td>" + esc(l.outcome) + "</td><td>" + esc(l.started) +
          '</td><td class="num">' + esc(l.duration_ms != null ? l.duration_ms.toFixed(1) + " ms" : "") + '</td><td class="num">' +
          esc(l.attempts) + "</td><td>" + esc((l.answers || []).join(", ")) + "</td></tr>";
      });
      html += "</table>" + (lookups.length > LIMIT ? '<p class="muted">First ' + LIMIT + " shown.</p>" : "") + "</details>";
    }
    var stats = report.stats || {}, rows = "";
    Object.keys(stats).forEach(function (layer) {
      var o = stats[layer] || {};
      Object.keys(o).forEach(function (k) {
        var v = o[k];
        if (v == null || v === 0) return;
        rows += "<tr><td>" + esc(layer) + "</td><td>" + esc(k) + '</td><td class="num">' + esc(v) + "</td></tr>";
      });
    });
    if (rows) html += '<details><summary>Counters</summary><table class="plain"><tr><th>Layer</th><th>Counter</th><th class="num">Value</th></tr>' + rows + "</table></details>";
    $("extra").innerHTML = html;
  }

  // ---- start -----------------------------------------------------------------------------

  fillSelect(controls.host, col.host);
  fillSelect(controls.protocol, col.protocol);
  fillSelect(controls.process, col.process);
  renderSummary();
  renderFindings();
  renderExtra();
  renderAxis();
  readHash();

  window.httpscope = {
    visibleIds: function () {
      return Array.prototype.map.call(view, function (i) { return tx[i].id; });
    },
    select: function (id) { return selectId(id, true); }
  };
  document.body.dataset.ready = "1";
})();
