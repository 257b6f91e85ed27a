// A filter's <select data-submit-on-change> sends its form when the choice changes (no inline handler: the
// Content-Security-Policy allows scripts from static files only).
(function () {
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });
})();
