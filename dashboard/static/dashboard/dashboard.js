/* The dashboard's charts: data from the page's json_script blocks (no inline script: the
   Content-Security-Policy forbids it), drawn with Chart.js served from our static files. */
"use strict";

(function () {
  function read(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : {};
  }

  var palette = ["#417690", "#e07b39", "#5b9f5b", "#b94a48", "#8e6bb8", "#c9a227", "#3fa7a3",
                 "#a0522d", "#6c7a89", "#d45d9a", "#2f4f4f", "#9acd32"];

  function color(index) {
    return palette[index % palette.length];
  }

  function drawSeries(canvas, data, kind, stacked, extra) {
    var names = Object.keys(data.series || {});
    var datasets = names.map(function (name, index) {
      return {
        label: name,
        data: data.series[name],
        backgroundColor: color(index),
        borderColor: color(index),
        fill: false,
        tension: 0.2,
      };
    });
    (extra || []).forEach(function (dataset) { datasets.push(dataset); });
    return new window.Chart(canvas, {
      type: kind,
      data: { labels: data.days || [], datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        aspectRatio: 3,
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  function drawAll() {
    if (!window.Chart) {
      return;
    }
    var charts = read("dashboard-charts");
    var forecasts = read("dashboard-forecasts");
    var labels = read("dashboard-labels");
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var name = canvas.getAttribute("data-chart");
      var data = charts[name];
      if (!data) {
        return;
      }
      var extra = [];
      if (name === "costs" && data.cost) {
        extra.push({
          type: "line",
          label: labels.cost + " (" + data.currency + ")",
          data: data.cost,
          borderColor: "#b94a48",
          backgroundColor: "#b94a48",
          yAxisID: "y",
        });
      }
      drawSeries(canvas, data, canvas.getAttribute("data-kind") || "bar",
                 canvas.getAttribute("data-stacked") === "1", extra);
    });
    document.querySelectorAll("canvas[data-forecast]").forEach(function (canvas) {
      var data = forecasts[canvas.getAttribute("data-forecast")];
      if (!data) {
        return;
      }
      var datasets = [{
        label: labels.due,
        data: data.due,
        backgroundColor: data.due.map(function (value) {
          return data.capacity !== null && value > data.capacity ? "#b94a48" : "#417690";
        }),
      }];
      if (data.capacity !== null) {
        datasets.push({
          type: "line",
          label: labels.capacity,
          data: data.due.map(function () { return data.capacity; }),
          borderColor: "#e07b39",
          pointRadius: 0,
          borderWidth: 1,
        });
      }
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: data.labels, datasets: datasets },
        options: {
          animation: false,
          responsive: true,
          aspectRatio: 3,
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 24 } } },
          plugins: { legend: { position: "bottom" } },
        },
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
