// Sadap workspace: draw the ECharts charts described in #chart-data; clicks open the mentions behind a point.
(function () {
  "use strict";
  var charts = [];
  // A path on this site only: browsers read `/\host` and `//host` as another site, so the resolved origin decides.
  function sameSite(url) {
    if (typeof url !== "string" || url.charAt(0) !== "/" || /[\\\s]/.test(url.slice(0, 2))) { return false; }
    try { return new URL(url, window.location.origin).origin === window.location.origin; } catch (e) { return false; }
  }
  function draw() {
    var holder = document.getElementById("chart-data");
    if (!holder || typeof echarts === "undefined") { return; }
    var specs = JSON.parse(holder.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = specs[Number(el.getAttribute("data-chart"))];
      if (!spec) { return; }
      var timeLike = spec.type === "time";
      var option = {
        animation: false,
        textStyle: { fontFamily: "Sadap Noto Sans Thai, sans-serif" },
        // richText: the tooltip is drawn on the canvas, so no inline styles (the CSP allows none)
        tooltip: { trigger: timeLike ? "axis" : "item", renderMode: "richText" },
        legend: timeLike ? { top: 0 } : undefined,
        grid: { left: 48, right: 16, top: timeLike ? 36 : 16, bottom: 56, containLabel: false },
        xAxis: { type: "category", data: spec.x, axisLabel: { rotate: timeLike ? 0 : 30, hideOverlap: true } },
        yAxis: { type: "value", minInterval: 1 },
        series: spec.series.map(function (s) {
          return { name: s.name, type: timeLike ? "bar" : "bar", stack: timeLike ? "all" : undefined, data: s.data };
        })
      };
      // Only a chart with its own colours sets them: `color: undefined` would replace ECharts'
      // default palette, and the bars would be drawn without a colour (invisible).
      if (spec.colors && spec.colors.length) { option.color = spec.colors; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      chart.on("click", function (p) {
        var links = spec.links && spec.links[p.seriesIndex];
        var url = links && links[p.dataIndex];
        if (sameSite(url)) { window.location.assign(url); }
      });
      el.setAttribute("data-drawn", "1");
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  // htmx requests carry the CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRF-Token"] = document.body.getAttribute("data-csrf");
  });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
