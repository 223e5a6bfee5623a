/* The report's only script: draws the charts from the embedded data and wires the selectors. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  // a short toolbar (save, zoom, pan, reset), so it stays clear of the titles on the left
  var CONFIG = {displaylogo: false, responsive: true,
                modeBarButtonsToRemove: ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d",
                                         "autoScale2d", "toggleSpikelines",
                                         "hoverClosestCartesian", "hoverCompareCartesian"]};
  var scenarioSelect = document.getElementById("scenario-select");

  var pending = [];
  var S_WIDE = 1500;  // px: below this the value-stream map leaves its hubs unlabelled
  var S_NARROW = 1000;  // px: below this node names are cut to S_SHORT characters, else S_LONG
  var S_SHORT = 26, S_LONG = 44;

  // a node's name cut to `limit` characters at a word; its place (after the last comma) is kept
  // whole where at least 20 characters of the rest still fit, else left to the hover:
  // "NdFeB magnets from the sintering plant, Birmingham" -> "NdFeB magnets from the…, Birmingham"
  // (44) or "NdFeB magnets from the…" (26)
  function shorten(text, limit) {
    if (text.length <= limit) { return text; }
    var comma = text.lastIndexOf(", ");
    var tail = comma > 0 ? text.slice(comma) : "";
    if (limit - tail.length - 1 < 20) { tail = ""; }
    var head = comma > 0 ? text.slice(0, comma) : text;
    var room = limit - tail.length - 1;
    if (head.length > room) {
      var space = head.lastIndexOf(" ", room);
      head = head.slice(0, space > room / 2 ? space : room);
    }
    return head.replace(/[\s,;:-]+$/, "") + "\u2026" + tail;
  }

  function draw(id, figure) {
    var element = document.getElementById(id);
    if (element && figure) {
      pending.push(Plotly.react(element, figure.data, figure.layout, CONFIG));
    }
  }

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

  // a node is labelled (name and tonnes) when it carries at least S.label_share of the
  // largest node's tonnes; every node's name shows on hover
  function sankeyTrace(view, mode, width) {
    var narrow = width < S_WIDE;
    var S = D.sankey, colours = S.colours[mode], labels = S.labels[mode];
    var node = {label: [], color: [], customdata: [], pad: 10,
                thickness: 14, line: {width: 0.5, color: "#51606f"},
                hovertemplate: "%{customdata}<br>%{value:,.1f} t<extra></extra>"};
    var largest = Math.max.apply(null, view.t.concat([0]));
    view.n.forEach(function (g, k) {
      var n = S.nodes[g], t = view.t[k];
      // on a narrow page the commodity hubs between the stages go unlabelled (hover names them)
      var named = (t >= S.label_share * largest && !(narrow && n[1] === "hub")) ||
                  n[1] === "unmet";
      // on a narrower page long names are shortened (hover shows them whole)
      var text = narrow ? shorten(n[0], width < S_NARROW ? S_SHORT : S_LONG) : n[0];
      node.label.push(named ? text + " \u00b7 " + Math.round(t).toLocaleString("en-GB") + " t"
                            : "");
      node.customdata.push(n[0] + "<br>" + n[4]);
      var key = mode === "loop" ? n[3] : n[2];
      var i = labels.indexOf(key);
      node.color.push(i >= 0 ? colours[i] : S.neutral[n[1]] || "#9aa5b1");
    });
    var link = {source: [], target: [], value: [], color: [], label: [],
                hovertemplate: "%{source.label} \u2192 %{target.label}<br>%{value:,.2f} t" +
                               "<br>%{label}<extra></extra>"};
    view[mode].forEach(function (b) {
      link.source.push(b[0]); link.target.push(b[1]); link.value.push(b[2]);
      var gap = labels[b[3]] === "unmet";
      link.color.push(gap ? S.gap_band : alpha(colours[b[3]], 0.55));
      link.label.push(labels[b[3]]);
    });
    return {type: "sankey", arrangement: "snap", node: node, link: link, valueformat: ",.1f",
            valuesuffix: " t"};
  }

  function drawSankey() {
    if (!D.sankey) { return; }
    var scenario = scenarioSelect.value;
    var year = document.getElementById("sankey-year").value;
    var mode = document.getElementById("sankey-colour").value;
    var detail = document.getElementById("sankey-detail").value;
    var view = D.sankey.views[detail][scenario][year];
    var layout = JSON.parse(JSON.stringify(D.sankey.layout));
    layout.title = {text: D.sankey.title + " \u2014 " + scenario + ", " + year, x: 0.01,
                    xanchor: "left"};
    var element = document.getElementById("chart-sankey");
    element.removeAttribute("data-view");
    // a fresh plot, not an animated update: the old year's links must not linger
    var drawn = Plotly.newPlot(element, [sankeyTrace(view, mode, element.clientWidth)], layout,
                               CONFIG);
    pending.push(drawn);
    drawn.then(function () {
      element.setAttribute("data-nodes", String(view.n.length));
      element.setAttribute("data-links", String(view[mode].length));
      element.setAttribute("data-view", [scenario, year, mode, detail].join("|"));
    });
    document.getElementById("sankey-caption").textContent =
      view.n.length + " nodes, " + view[mode].length + " bands; " + view.caption;
    var legend = document.getElementById("sankey-legend");
    legend.textContent = "";
    D.sankey.labels[mode].forEach(function (label, i) {
      var used = view[mode].some(function (b) { return b[3] === i; });
      if (!used) { return; }
      var span = document.createElement("span");
      span.style.setProperty("--c", D.sankey.colours[mode][i]);
      span.textContent = label;
      legend.appendChild(span);
    });
  }

  function drawScenario() {
    if (!scenarioSelect) { return; }
    var scenario = scenarioSelect.value;
    Object.keys(D.by_scenario).forEach(function (id) { draw(id, D.by_scenario[id][scenario]); });
    drawSankey();
  }

  Object.keys(D.charts).forEach(function (id) { draw(id, D.charts[id]); });
  ["sankey-year", "sankey-colour", "sankey-detail"].forEach(function (id) {
    var element = document.getElementById(id);
    if (element) { element.addEventListener("change", drawSankey); }
  });
  if (scenarioSelect) { scenarioSelect.addEventListener("change", drawScenario); }
  drawScenario();

  var front = document.getElementById("chart-pareto");
  if (front && front.on) {
    front.on("plotly_click", function (event) {
      var point = event.points[0].customdata;
      document.querySelectorAll(".pareto-point").forEach(function (div) {
        div.classList.toggle("shown", div.id === "pareto-point-" + point);
      });
    });
  }
  // tests and screenshots wait for this mark: every chart has been drawn
  Promise.all(pending).then(function () { document.body.setAttribute("data-ready", "true"); });
})();
