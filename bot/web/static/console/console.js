/* The staff console's only script (the Content-Security-Policy allows no inline
   script): confirmation before destructive forms, and the overview's charts. */
(function () {
  "use strict";

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });

  var source = document.getElementById("overview-data");
  if (!source || !window.Chart) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var accent = "#5b3df5";
  var warn = "#b3261e";
  var common = { responsive: true, maintainAspectRatio: false, animation: false };

  new window.Chart(document.getElementById("chart-days"), {
    type: "bar",
    data: { labels: data.days, datasets: [{ label: "Conversations", data: data.conversations, backgroundColor: accent }] },
    options: Object.assign({}, common, { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }),
  });

  new window.Chart(document.getElementById("chart-fallback"), {
    type: "line",
    data: {
      labels: data.days,
      datasets: [{ label: "Fallback rate", data: data.fallback_rate.map(function (v) { return v === null ? null : v * 100; }), borderColor: warn, backgroundColor: warn, spanGaps: true }],
    },
    options: Object.assign({}, common, {
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, suggestedMax: 20, ticks: { callback: function (v) { return v + " %"; } } } },
    }),
  });

  new window.Chart(document.getElementById("chart-intents"), {
    type: "bar",
    data: {
      labels: data.intents.map(function (pair) { return pair[0]; }),
      datasets: [{ label: "Messages", data: data.intents.map(function (pair) { return pair[1]; }), backgroundColor: accent }],
    },
    options: Object.assign({}, common, { indexAxis: "y", plugins: { legend: { display: false } } }),
  });

  new window.Chart(document.getElementById("chart-funnel"), {
    type: "bar",
    data: {
      labels: data.funnel.map(function (pair) { return pair[0]; }),
      datasets: [{ label: "Conversations", data: data.funnel.map(function (pair) { return pair[1]; }), backgroundColor: accent }],
    },
    options: Object.assign({}, common, { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } }),
  });

  document.body.dataset.charts = "drawn";
})();
