// Live case updates over the portal's event socket (/ws/events/): the server pushes
// {"type": "case.updated", "reference", "state", "state_label"} after each committed change, and
// {"type": "case.verification_failed", "reference", "problems"} when recognition finds a record does not verify.
(function () {
  "use strict";
  var notice = document.querySelector(".live-notice");
  var page = document.querySelector("[data-live]");
  var retry = 1000;

  function busy() {
    var el = document.activeElement;
    return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT") && el.value;
  }

  function onCaseUpdated(msg) {
    var rows = document.querySelectorAll('[data-reference="' + msg.reference + '"]');
    rows.forEach(function (row) {
      var badge = row.querySelector("[data-state]");
      if (badge) { badge.textContent = msg.state_label; }
    });
    if (notice) {
      notice.hidden = false;
      notice.textContent = (document.documentElement.lang.indexOf("en") === 0 ? "Updated: " : "已更新：") +
        msg.reference + " · " + msg.state_label;
    }
    var mode = page && page.dataset.live;
    var concerned = rows.length > 0 || mode === "reload-lists";
    if (concerned && mode && !busy()) { setTimeout(function () { window.location.reload(); }, 600); }
  }

  // Recognition found the accepting district's signed record does not verify (trust.verification): both
  // districts' workbenches and the supervisors are told, with what failed.
  function onVerificationFailed(msg) {
    if (!notice) { return; }
    notice.hidden = false;
    notice.classList.add("bad");
    notice.textContent = (document.documentElement.lang.indexOf("en") === 0 ? "Does not verify: " : "未通过验证：") +
      msg.reference + " · " + (msg.problems || []).join("; ");
  }

  // A push sent while this page was loading (or while the socket was down) is lost: once
  // connected, ask the API for the case's state and reload if it moved since the page was drawn.
  function resync() {
    var detail = document.querySelector("[data-rendered-state]");
    if (!detail) { return; }
    fetch("/api/cases/" + detail.dataset.reference + "/", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.state !== detail.dataset.renderedState && !busy()) { window.location.reload(); }
      })
      .catch(function () {});
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/events/");
    socket.onopen = function () {
      retry = 1000;
      document.body.dataset.live = "connected";
      resync();
    };
    socket.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.type === "case.updated") { onCaseUpdated(msg); }
      if (msg.type === "case.verification_failed") { onVerificationFailed(msg); }
    };
    socket.onclose = function (event) {
      document.body.dataset.live = "closed";
      if (event.code === 4401) { return; }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }
  connect();
})();
