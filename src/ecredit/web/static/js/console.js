// Regulator dashboard: one ECharts chart per monitoring indicator, fed by the statistics API.
// Flows (and a few stocks) are drawn month by month, counts stacked, shares and means side by
// side; other stocks as bars of the latest month. Clicking a bar loads the rows behind it into
// the drill-down panel.
(function () {
  "use strict";
  const root = document.getElementById("charts");
  const lang = root.dataset.lang;
  const month = root.dataset.month;
  const name = (label) => (lang === "en" ? label.en : label.zh);

  function format(unit, value) {
    return unit === "share" ? (value * 100).toFixed(1) + "%" : String(Math.round(value * 100) / 100);
  }

  function overTime(series, unit) {
    const keys = [...new Set(series.points.map((p) => p.key))];
    const labels = Object.fromEntries(series.points.map((p) => [p.key, name(p.label)]));
    return {
      tooltip: { trigger: "axis", valueFormatter: (v) => format(unit, v) },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 40, right: 10, top: 10, bottom: 50 },
      xAxis: { type: "category", data: series.months },
      yAxis: { type: "value" },
      series: keys.map((key) => ({
        name: labels[key], type: "bar", key: key,
        stack: unit === "count" ? "all" : undefined,
        data: series.months.map((m) => {
          const hit = series.points.find((p) => p.month === m && p.key === key);
          return hit ? hit.value : 0;
        }),
      })),
    };
  }

  function latest(series, unit) {
    const points = series.points.filter((p) => p.month === series.months[series.months.length - 1]);
    points.sort((a, b) => b.value - a.value);
    return {
      tooltip: { trigger: "axis", valueFormatter: (v) => format(unit, v) },
      grid: { left: 110, right: 40, top: 10, bottom: 20 },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: points.map((p) => name(p.label)),
               axisLabel: { width: 100, overflow: "truncate" } },
      series: [{ type: "bar", data: points.map((p) => ({ value: p.value, key: p.key })),
                 label: { show: true, position: "right", formatter: (d) => format(unit, d.value) } }],
    };
  }

  function drill(indicator, key, drillMonth) {
    const url = "/console/drill?indicator=" + encodeURIComponent(indicator) +
      "&key=" + encodeURIComponent(key) + "&month=" + encodeURIComponent(drillMonth);
    htmx.ajax("GET", url, { target: "#drill", swap: "innerHTML" })
      .then(() => document.getElementById("drill").scrollIntoView({ behavior: "smooth" }));
  }

  async function draw(element) {
    const indicator = element.dataset.indicator;
    const response = await fetch("/api/v1/statistics/" + indicator + "?month=" + month,
                                 { credentials: "same-origin", headers: { "Accept-Language": lang } });
    if (!response.ok) { element.textContent = response.status + " " + response.statusText; return; }
    const series = await response.json();
    const chart = echarts.init(element);
    const isOverTime = element.dataset.overTime === "true";
    if (series.points.length === 0) {
      chart.setOption({ title: { text: lang === "en" ? "No data" : "暂无数据", left: "center",
                                 top: "middle", textStyle: { color: "#8c959f", fontSize: 14 } } });
    } else {
      chart.setOption(isOverTime ? overTime(series, element.dataset.unit)
                                 : latest(series, element.dataset.unit));
    }
    element.dataset.rendered = String(series.points.length);
    if (element.dataset.drill === "true") {
      chart.on("click", (event) => {
        const key = isOverTime ? chart.getOption().series[event.seriesIndex].key : event.data.key;
        drill(indicator, key, isOverTime ? event.name : month);
      });
    }
    window.addEventListener("resize", () => chart.resize());
  }

  document.querySelectorAll(".chart").forEach(draw);
})();
