// Suggestions while typing in the catalogue's search box: items by name, everyday words or pinyin,
// from GET /api/items/suggest/?q=… (the box's data-suggest-url). Arrow keys move, Enter opens, Escape closes.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest-url]");
  if (!input) return;
  var list = document.getElementById(input.getAttribute("aria-controls"));
  var url = input.getAttribute("data-suggest-url");
  var timer = null;
  var active = -1;
  var asked = "";
  var controller = null;

  function close() {
    list.hidden = true;
    list.textContent = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function show(results) {
    list.textContent = "";
    active = -1;
    results.forEach(function (item, n) {
      // The link itself is the option (an option holding a link nests two controls: axe-core's nested-interactive).
      var li = document.createElement("li");
      li.setAttribute("role", "none");
      var link = document.createElement("a");
      link.id = "std-suggestion-" + n;
      link.setAttribute("role", "option");
      link.href = item.url;
      link.textContent = item.name + " ";
      var code = document.createElement("code");
      code.textContent = item.code;
      link.appendChild(code);
      li.appendChild(link);
      list.appendChild(li);
    });
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
  }

  function ask() {
    var q = input.value.trim();
    if (q === asked) return;
    asked = q;
    if (!q) { close(); return; }
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    fetch(url + "?q=" + encodeURIComponent(q), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (body) { if (input.value.trim() === q) show(body.results || []); })
      .catch(function () { /* aborted or offline: keep the box usable without suggestions */ });
  }

  function move(step) {
    var options = list.querySelectorAll("[role=option]");
    if (!options.length) return;
    if (active >= 0) options[active].removeAttribute("aria-selected");
    active = (active + step + options.length) % options.length;
    options[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", options[active].id);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 120);
  });
  input.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.href = list.querySelectorAll("[role=option]")[active].href;
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 200); });
})();
