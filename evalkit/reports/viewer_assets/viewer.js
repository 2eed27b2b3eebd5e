
(function () {
"use strict";
var D = JSON.parse(document.getElementById("evalkit-data").textContent);
var OUT = {r: "right", w: "wrong", u: "unparsed", f: "failed", n: "unscored"};
var CODE = {right: "r", wrong: "w", unparsed: "u", failed: "f", unscored: "n"};
var FLIPS = {down: "right in A, wrong in B (B lower)", up: "wrong in A, right in B (B higher)", either: "either way"};
var RESERVED = %RESERVED%;
var N = D.samples.length, R = D.runs.length;
var $ = function (id) { return document.getElementById(id); };
var state;

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function fresh() {
  return {task: "", protocol: "", facets: {}, run: R > 0 ? "0" : "", outcome: "", a: "0", b: R > 1 ? "1" : "0",
          flip: "", q: "", id: "", page: 0};
}
function proto(s) {
  var t = D.tasks[s.t];
  for (var i = 0; i < t.protocols.length; i++) if (t.protocols[i].name === state.protocol) return state.protocol;
  return t.headline;
}
function value(row, p) {
  if (!row) return null;
  var v = row.v ? row.v[p] : row.s[p];
  return v === undefined ? null : v;
}
function flipOf(s, p) {
  var a = value(s.R[+state.a], p), b = value(s.R[+state.b], p);
  if (a === null || b === null || a === b) return "";
  return b < a ? "down" : "up";
}
function outcomeOk(s, p, want) {
  var code = CODE[want];
  if (state.run === "any" || state.run === "all") {
    var any = false, all = true, present = 0;
    for (var j = 0; j < R; j++) {
      var row = s.R[j];
      if (!row) continue;
      present++;
      if ((row.o[p] || "n") === code) any = true; else all = false;
    }
    return state.run === "any" ? any : (present > 0 && all);
  }
  var r = s.R[+state.run];
  return !!r && (r.o[p] || "n") === code;
}
var hay = null;
function haystack(i) {
  if (hay === null) {
    hay = D.samples.map(function (s) {
      var parts = [s.id, s.q || "", s.g || ""];
      (s.o || []).forEach(function (o) { parts.push(o[1]); });
      s.R.forEach(function (r) { if (r) { parts.push(r.x || ""); parts.push(r.e || ""); } });
      return parts.join("\n").toLowerCase();
    });
  }
  return hay[i];
}
function passes(i, skip) {
  var s = D.samples[i], p = proto(s);
  if (state.id && s.id !== state.id) return false;
  if (skip !== "task" && state.task && D.tasks[s.t].name !== state.task) return false;
  for (var k in state.facets) {
    if (skip === "f:" + k || !state.facets[k]) continue;
    var have = s.f[k], want = state.facets[k];
    if (have === undefined) return false;
    if (Array.isArray(have) ? have.indexOf(want) < 0 : have !== want) return false;
  }
  if (skip !== "outcome" && state.outcome && !outcomeOk(s, p, state.outcome)) return false;
  if (skip !== "flip" && state.flip && R > 1) {
    var f = flipOf(s, p);
    if (state.flip === "either" ? !f : f !== state.flip) return false;
  }
  if (skip !== "q" && state.q && haystack(i).indexOf(state.q) < 0) return false;
  return true;
}
function fill(select, options, current) {
  // options: [[value, label, count or null]]
  select.textContent = "";
  options.forEach(function (o) {
    var opt = el("option", null, o[2] === null || o[2] === undefined ? o[1] : o[1] + " (" + o[2] + ")");
    opt.value = o[0];
    if (o[2] === 0 && o[0] !== current) opt.disabled = true;
    select.appendChild(opt);
  });
  select.value = current;
}
function counts(skip, keyOf) {
  var c = {}, total = 0;
  for (var i = 0; i < N; i++) {
    if (!passes(i, skip)) continue;
    total++;
    var ks = keyOf(D.samples[i]);
    if (ks === null || ks === undefined) continue;
    if (!Array.isArray(ks)) ks = [ks];
    for (var j = 0; j < ks.length; j++) c[ks[j]] = (c[ks[j]] || 0) + 1;
  }
  c[""] = total;
  return c;
}
var facetSelects = {};
function buildControls() {
  $("f-facets").textContent = "";
  D.facets.forEach(function (f) {
    var label = el("label", null, f.key + " ");
    var sel = el("select");
    sel.id = "f-facet-" + D.facets.indexOf(f);
    sel.addEventListener("change", function () { state.facets[f.key] = sel.value; state.page = 0; update(); });
    label.appendChild(sel);
    $("f-facets").appendChild(label);
    facetSelects[f.key] = sel;
  });
  var runsOpts = D.runs.map(function (r, j) { return [String(j), r.name]; });
  fill($("f-run"), (R > 1 ? [["any", "any run"], ["all", "every run"]] : []).concat(runsOpts), state.run);
  fill($("f-a"), runsOpts, state.a);
  fill($("f-b"), runsOpts, state.b);
  $("flipbox").hidden = R < 2;
  var protos = [];
  D.tasks.forEach(function (t) { t.protocols.forEach(function (p) { if (protos.indexOf(p.name) < 0) protos.push(p.name); }); });
  fill($("f-protocol"), [["", "each task's headline"]].concat(protos.map(function (p) { return [p, p]; })), state.protocol);
  [["f-task", "task"], ["f-protocol", "protocol"], ["f-run", "run"], ["f-outcome", "outcome"], ["f-a", "a"],
   ["f-b", "b"], ["f-flip", "flip"]].forEach(function (x) {
    $(x[0]).addEventListener("change", function () { state[x[1]] = $(x[0]).value; state.page = 0; update(); });
  });
  var timer = null;
  $("f-q").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = $("f-q").value.trim().toLowerCase(); state.page = 0; update(); }, 120);
  });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  $("f-reset").addEventListener("click", function () { state = fresh(); $("f-q").value = ""; update(); });
}
function refreshControls() {
  var c = counts("task", function (s) { return D.tasks[s.t].name; });
  fill($("f-task"), [["", "all tasks", c[""]]].concat(D.tasks.map(function (t) { return [t.name, t.name, c[t.name] || 0]; })), state.task);
  D.facets.forEach(function (f) {
    var fc = counts("f:" + f.key, function (s) { return s.f[f.key]; });
    var cur = state.facets[f.key] || "";
    var opts = [["", "all", fc[""]]].concat(f.values.map(function (v) { return [v, v, fc[v] || 0]; }));
    if (cur && f.values.indexOf(cur) < 0) opts.push([cur, cur, 0]);
    fill(facetSelects[f.key], opts, cur);
  });
  var oc = counts("outcome", function (s) {
    var p = proto(s), out = [];
    for (var o in CODE) { if (outcomeOk(s, p, o)) out.push(o); }
    return out;
  });
  fill($("f-outcome"), [["", "any outcome", oc[""]]].concat(Object.keys(CODE).map(function (o) { return [o, o, oc[o] || 0]; })), state.outcome);
  if (R > 1) {
    var flc = counts("flip", function (s) { var f = flipOf(s, proto(s)); return f ? [f, "either"] : null; });
    fill($("f-flip"), [["", "no flip filter", flc[""]]].concat(["down", "up", "either"].map(function (f) { return [f, FLIPS[f], flc[f] || 0]; })), state.flip);
  }
  $("f-run").value = state.run;
  $("f-a").value = state.a;
  $("f-b").value = state.b;
  $("f-idbox").hidden = !state.id;
  $("f-id").textContent = state.id;
}
function readHash() {
  state = fresh();
  var h = location.hash.replace(/^#/, "");
  if (!h) return;
  h.split("&").forEach(function (kv) {
    var i = kv.indexOf("="), k, v;
    try {
      k = decodeURIComponent((i < 0 ? kv : kv.slice(0, i)).replace(/\+/g, " "));
      v = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
    } catch (e) { return; }
    var runIndex = function (name) {
      for (var j = 0; j < R; j++) if (D.runs[j].name === name) return String(j);
      return null;
    };
    if (k === "task" || k === "protocol" || k === "id") state[k] = v;
    else if (k === "run") { state.run = (v === "any" || v === "all") ? v : (runIndex(v) || state.run); }
    else if (k === "a" || k === "b") { var ri = runIndex(v); if (ri !== null) state[k] = ri; }
    else if (k === "outcome") { if (CODE[v]) state.outcome = v; }
    else if (k === "flip") { if (FLIPS[v]) state.flip = v; }
    else if (k === "q") { state.q = v.trim().toLowerCase(); $("f-q").value = v; }
    else if (k === "page") { state.page = Math.max(0, (parseInt(v, 10) || 1) - 1); }
    else {
      var key = k.indexOf("f.") === 0 ? k.slice(2) : k;
      if (facetSelects[key]) state.facets[key] = v;
    }
  });
}
function writeHash() {
  var parts = [];
  var add = function (k, v) { if (v !== "" && v !== null && v !== undefined) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v)); };
  add("task", state.task);
  add("protocol", state.protocol);
  for (var k in state.facets) add(RESERVED.indexOf(k) >= 0 ? "f." + k : k, state.facets[k]);
  if (state.outcome) { add("outcome", state.outcome); add("run", /^\d+$/.test(state.run) ? D.runs[+state.run].name : state.run); }
  if (state.flip && R > 1) { add("flip", state.flip); add("a", D.runs[+state.a].name); add("b", D.runs[+state.b].name); }
  add("q", state.q);
  add("id", state.id);
  if (state.page > 0) add("page", state.page + 1);
  if (("#" + parts.join("&")) === (location.hash || "#")) return;
  try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { /* a browser refusing it keeps the old URL */ }
}
function fmtTime(t) {
  if (t === null || t === undefined) return "";
  if (t < 60) return t.toFixed(2) + "s";
  var m = Math.floor(t / 60), s = t - 60 * m;
  return m + ":" + (s < 10 ? "0" : "") + s.toFixed(0);
}
function strip(idx, runs, s) {
  var st = D.strips[idx], box = el("div", "strip");
  var who = runs.length === R ? (R > 1 ? "every run" : "") : runs.map(function (j) { return D.runs[j].name; }).join(", ");
  var cap = st.ctx ? st.ws.length + " frames for context: the model read no pixels"
                   : (st.t[0] === null ? st.ws.length + " image(s)" : (st.ws.length < st.n ? st.ws.length + " of " + st.n : st.n) + " frames the model saw");
  box.appendChild(el("div", "cap", cap + (who ? " (" + who + ")" : "")));
  var sc = el("div", "scroll"), img = el("img");
  var width = st.ws.reduce(function (a, b) { return a + b; }, 0) + st.gap * (st.ws.length - 1);
  img.loading = "lazy"; img.decoding = "async"; img.width = width; img.height = st.h;
  img.alt = "frames of " + s.id;
  img.src = st.src;
  sc.appendChild(img);
  if (st.t.length && st.t[0] !== null) {
    var times = el("div", "times");
    times.style.width = width + "px";
    st.ws.forEach(function (w, k) {
      var sp = el("span", null, fmtTime(st.t[k]));
      sp.style.width = w + "px";
      if (k < st.ws.length - 1) sp.style.marginRight = st.gap + "px";
      times.appendChild(sp);
    });
    sc.appendChild(times);
  }
  box.appendChild(sc);
  return box;
}
function card(i) {
  var s = D.samples[i], t = D.tasks[s.t], p = proto(s), c = el("article", "card");
  c.dataset.id = s.id;
  c.dataset.task = t.name;
  var head = el("div", "head");
  head.appendChild(el("span", "task", t.name));
  head.appendChild(el("span", "sid", s.id));
  Object.keys(s.f).forEach(function (k) {
    head.appendChild(el("span", "chip", k + ": " + (Array.isArray(s.f[k]) ? s.f[k].join(", ") : s.f[k])));
  });
  if (s.vid) head.appendChild(el("span", "vid", s.vid));
  if (s.x) head.appendChild(el("span", "extra", Object.keys(s.x).map(function (k) { return k + "=" + s.x[k]; }).join("  ")));
  c.appendChild(head);
  if (s.q !== undefined) c.appendChild(el("div", "q", s.q));
  if (s.o) {
    var ol = el("ol", "opts");
    s.o.forEach(function (o, k) {
      var li = el("li", k === s.gi ? "gold" : null, (o[0] ? o[0] + ". " : "") + o[1]);
      if (k === s.gi) li.appendChild(el("span", "gold-mark", "\u2713 gold"));
      ol.appendChild(li);
    });
    c.appendChild(ol);
    if (s.gi === null && s.g) c.appendChild(el("div", "answer", "gold: " + s.g));
  } else if (s.g) {
    c.appendChild(el("div", "answer", "answer: " + s.g));
  }
  s.R.forEach(function (r, j) {
    if (!r) return;
    var row = el("div", "runrow");
    row.dataset.run = D.runs[j].name;
    if (state.flip && R > 1) { if (String(j) === state.a) row.className += " is-a"; else if (String(j) === state.b) row.className += " is-b"; }
    var name = el("div", "rname", D.runs[j].name);
    var code = r.o[p] || "n";
    var badge = el("span", "badge o-" + code, OUT[code]);
    badge.dataset.outcome = OUT[code];
    name.appendChild(badge);
    row.appendChild(name);
    var body = el("div");
    if (r.x !== null && r.x !== undefined) body.appendChild(el("pre", "resp", r.x === "" ? "(empty response)" : r.x));
    if (r.e) body.appendChild(el("div", "err", "failed: " + r.e));
    var read = el("div", "meta");
    t.protocols.forEach(function (pr, k) {
      if (k) read.appendChild(document.createTextNode("   "));
      read.appendChild(el("b", null, pr.name + (pr.name === t.headline ? "*" : "")));
      var sc = r.s[pr.name];
      read.appendChild(document.createTextNode(": read " + JSON.stringify(r.p[pr.name] || "") + " \u2192 " +
        (sc === null || sc === undefined ? "not scored" : sc) + " (" + OUT[r.o[pr.name] || "n"] + ")"));
    });
    body.appendChild(read);
    (r.j || []).forEach(function (v) {
      body.appendChild(el("div", "verdict", "judge " + v[0] + ": " + (v[4] ? "failed: " + v[4] :
        (v[1] === null ? "-" : v[1]) + ", score " + (v[2] === null ? "-" : v[2]) + (v[3] ? "; reason: " + v[3] : ""))));
    });
    var m = el("div", "meta", "media: " + r.m);
    body.appendChild(m);
    if (r.k) body.appendChild(el("div", "meta", "model: " + Object.keys(r.k).map(function (k) { return k + "=" + r.k[k]; }).join(", ")));
    if (r.w) body.appendChild(el("div", "meta mismatch", "input warnings: " + r.w.join("; ")));
    row.appendChild(body);
    c.appendChild(row);
  });
  (s.S || []).forEach(function (x) { c.appendChild(strip(x[0], x[1], s)); });
  var seenSb = {}, seenPr = {};
  s.R.forEach(function (r, j) {
    if (!r) return;
    if (r.sb !== undefined && !seenSb[r.sb]) {
      seenSb[r.sb] = 1;
      var lines = D.subs[r.sb], d = el("details");
      d.appendChild(el("summary", null, "subtitles the model got: " + lines.length + " line(s)" + (R > 1 ? " (" + whoHas(s, "sb", r.sb) + ")" : "")));
      d.appendChild(el("pre", null, lines.length ? lines.join("\n") : "(none at these frames)"));
      c.appendChild(d);
    }
    if (r.pr !== undefined && !seenPr[r.pr]) {
      seenPr[r.pr] = 1;
      var dp = el("details");
      var sum = el("summary", r.pm === false ? "mismatch" : null, "prompt, rebuilt from the data" +
        (r.pm === true ? " (matches the recorded hash)" : r.pm === false ? " (differs from the recorded prompt)" : "") +
        (R > 1 ? " (" + whoHas(s, "pr", r.pr) + ")" : ""));
      dp.appendChild(sum);
      dp.appendChild(el("pre", null, D.prompts[r.pr]));
      c.appendChild(dp);
    }
  });
  return c;
}
function whoHas(s, key, v) {
  var names = [];
  s.R.forEach(function (r, j) { if (r && r[key] === v) names.push(D.runs[j].name); });
  return names.length === R ? "every run" : names.join(", ");
}
function pager(nav, total, pages) {
  nav.textContent = "";
  var prev = el("button", null, "\u2039 previous"), next = el("button", null, "next \u203a");
  prev.type = next.type = "button";
  prev.disabled = state.page <= 0;
  next.disabled = state.page >= pages - 1;
  prev.addEventListener("click", function () { state.page--; update(true); });
  next.addEventListener("click", function () { state.page++; update(true); });
  var from = total ? state.page * D.page + 1 : 0, to = Math.min(total, (state.page + 1) * D.page);
  nav.appendChild(prev);
  nav.appendChild(el("span", "range", "samples " + from + "\u2013" + to + " of " + total + " (page " + (pages ? state.page + 1 : 0) + " of " + pages + ")"));
  nav.appendChild(next);
}
function summary(shown) {
  var box = $("summary");
  box.textContent = "";
  var head = el("span", "count", shown.length + " of " + N + " samples");
  head.id = "count";
  head.dataset.n = shown.length;
  box.appendChild(head);
  box.appendChild(document.createTextNode(" \u2014 accuracy on them: "));
  D.runs.forEach(function (run, j) {
    var right = 0, scored = 0, kinds = {};
    shown.forEach(function (i) {
      var s = D.samples[i], r = s.R[j];
      if (!r) return;
      var p = proto(s), sc = r.s[p];
      kinds[r.o[p] || "n"] = (kinds[r.o[p] || "n"] || 0) + 1;
      if (sc !== null && sc !== undefined && s.g) { scored++; right += sc; }
    });
    var present = Object.keys(OUT).filter(function (k) { return kinds[k]; });
    var txt = run.name + ": " + (!present.length ? "no sample" : (scored ? (100 * right / scored).toFixed(1) + "% of " + scored :
      "none scored") + " [" + present.map(function (k) { return OUT[k] + " " + kinds[k]; }).join(", ") + "]");
    box.appendChild(el("span", "acc", txt));
  });
}
var lastShown = [], timing = {};
function update(pageOnly) {
  var t0 = performance.now();
  if (!pageOnly) {
    lastShown = [];
    for (var i = 0; i < N; i++) if (passes(i, null)) lastShown.push(i);
    timing.filter_ms = performance.now() - t0;
    refreshControls();
    summary(lastShown);
    timing.counts_ms = performance.now() - t0 - timing.filter_ms;
  }
  var t1 = performance.now();
  var pages = Math.ceil(lastShown.length / D.page);
  if (state.page >= pages) state.page = Math.max(0, pages - 1);
  var list = $("list");
  list.textContent = "";
  var slice = lastShown.slice(state.page * D.page, (state.page + 1) * D.page);
  var frag = document.createDocumentFragment();
  slice.forEach(function (k) { frag.appendChild(card(k)); });
  list.appendChild(frag);
  if (!slice.length) list.appendChild(el("p", "empty", "No sample matches these filters."));
  pager($("pager-top"), lastShown.length, pages);
  pager($("pager-bottom"), lastShown.length, pages);
  if (pageOnly) window.scrollTo(0, 0);
  timing.render_ms = performance.now() - t1;
  writeHash();
  document.body.dataset.ready = "1";
}
function header() {
  D.runs.forEach(function (r, j) {
    var sp = el("span", null, (R > 1 ? String.fromCharCode(65 + (j % 26)) + ": " : "") + r.name + " (" + r.model + (r.untrained ? ", untrained" : "") + (r.toy ? ", toy" : "") + "; " + r.sampling + ")");
    sp.title = r.dir;
    $("runs").appendChild(sp);
  });
  D.notes.forEach(function (n) { $("notes").appendChild(el("li", null, n)); });
}
state = fresh();
header();
buildControls();
readHash();
update();
window.addEventListener("hashchange", function () { readHash(); update(); });
window.evalkitViewer = {state: function () { return JSON.parse(JSON.stringify(state)); },
                        shown: function () { return lastShown.slice(); },
                        timing: function () { return JSON.parse(JSON.stringify(timing)); }};
})();
