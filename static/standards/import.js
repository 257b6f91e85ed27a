// Polls an import's progress while a worker applies it; reloads the page when it ends.
(function () {
  const box = document.getElementById("import-status");
  const bar = document.getElementById("import-bar");
  // The bar's width is set here, not in a style attribute (the Content-Security-Policy blocks those).
  if (bar && bar.parentElement) bar.style.width = (bar.parentElement.getAttribute("aria-valuenow") || "0") + "%";
  if (!box || box.dataset.finished === "1") return;
  const processed = document.getElementById("import-processed");
  const label = document.getElementById("import-status-label");
  let polls = 0;
  async function poll() {
    polls += 1;
    try {
      const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
      const data = await response.json();
      if (bar) bar.style.width = data.percent + "%";
      if (processed) processed.textContent = data.processed;
      if (label) label.textContent = data.status_label;
      if (data.finished) { window.location.reload(); return; }
      if (data.status === "ready" || data.status === "invalid") return;
    } catch (e) { /* the next poll retries */ }
    if (polls < 1200) setTimeout(poll, 1000);
  }
  poll();
})();
