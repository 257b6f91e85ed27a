// The header's menu button at phone width: shows or hides the links (no framework). Without JavaScript the
// links stay open (the stylesheet folds them only under <html class="js">).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".menu-button");
    var menu = document.getElementById("topbar-menu");
    if (!button || !menu) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = menu.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("open")) {
        menu.classList.remove("open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  });
})();
