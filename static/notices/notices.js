// The header's unread count, kept live: the page's event socket (/ws/events/) carries
// {"type": "notices.unread", "unread": n} whenever the person's notices change (notices.services.push_unread).
(function () {
  "use strict";
  var badge = document.querySelector("[data-notices-unread]");
  if (!badge || !window.WebSocket) return;
  var delay = 1000;
  function show(count) {
    badge.textContent = String(count);
    badge.hidden = !count;
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/events/");
    socket.onopen = function () {
      delay = 1000;
      // Whatever changed while the socket was away: read the count again.
      fetch("/api/notices/?unread=1", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (body) { if (body && typeof body.unread === "number") show(body.unread); })
        .catch(function () {});
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message && message.type === "notices.unread" && typeof message.unread === "number") show(message.unread);
    };
    socket.onclose = function (event) {
      if (event.code === 4401) return; // signed out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
