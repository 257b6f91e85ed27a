// The document viewer on a case page: PDFs in the browser's own viewer (page through, zoom), images
// zoomed and rotated here. Documents come only from the authorised view (/cases/<ref>/documents/<id>/).
// Keyboard: j or the right arrow opens the next document, k or the left arrow the previous one (not while
// typing in a form field); the document in hand keeps a visible focus ring.
(function () {
  "use strict";
  var panel = document.getElementById("document-viewer");
  if (!panel) { return; }
  var image = document.getElementById("viewer-image");
  var pdf = document.getElementById("viewer-pdf");
  var title = document.getElementById("viewer-title");
  var newTab = document.getElementById("viewer-new-tab");
  var tools = panel.querySelector('[data-for="image"]');
  var zoom = 1;
  var turn = 0;

  function apply() {
    image.style.transform = "rotate(" + turn + "deg) scale(" + zoom + ")";
  }

  function links() {
    return Array.prototype.slice.call(document.querySelectorAll("a.document-link"));
  }

  function mark(link) {
    links().forEach(function (other) {
      other.classList.toggle("current", other === link);
      var row = other.closest("tr");
      if (row) { row.classList.toggle("document-current", other === link); }
    });
  }

  function open(link) {
    mark(link);
    var kind = link.dataset.viewer;
    title.textContent = link.dataset.title || "";
    newTab.href = link.href;
    zoom = 1; turn = 0; apply();
    image.hidden = kind !== "image";
    pdf.hidden = kind !== "pdf";
    tools.hidden = kind !== "image";
    if (kind === "image") { image.src = link.href; image.alt = link.dataset.title || ""; pdf.removeAttribute("src"); }
    if (kind === "pdf") { pdf.src = link.href; image.removeAttribute("src"); }
    panel.hidden = false;
    panel.dataset.kind = kind;
    panel.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    var step = 0;
    if (event.key === "j" || event.key === "ArrowRight") { step = 1; }
    if (event.key === "k" || event.key === "ArrowLeft") { step = -1; }
    if (!step) { return; }
    var all = links();
    if (!all.length) { return; }
    var at = all.indexOf(document.querySelector("a.document-link.current"));
    if (at < 0) { at = all.indexOf(document.activeElement); }
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : (at + step + all.length) % all.length;
    var link = all[next];
    event.preventDefault();
    if (link.dataset.viewer) { open(link); } else { mark(link); }
    link.focus({ preventScroll: !!link.dataset.viewer });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.document-link");
    if (!link || !link.dataset.viewer) { return; }  // other types: the link downloads them
    event.preventDefault();
    open(link);
  });

  panel.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) { return; }
    var action = button.dataset.action;
    if (action === "zoom-in") { zoom = Math.min(zoom * 1.25, 8); }
    if (action === "zoom-out") { zoom = Math.max(zoom / 1.25, 0.25); }
    if (action === "rotate") { turn = (turn + 90) % 360; }
    if (action === "close") {
      panel.hidden = true;
      image.removeAttribute("src");
      pdf.removeAttribute("src");
      return;
    }
    apply();
  });
})();
