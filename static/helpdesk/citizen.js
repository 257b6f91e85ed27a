/* The citizen's side: live queue position and estimate, cancel, callback, then the call and a rating. */
(function () {
  "use strict";
  const root = document.getElementById("assist-citizen");
  if (!root) return;
  const t = root.dataset;
  const $ = (id) => document.getElementById(id);
  const requestId = t.request;
  let call = null;
  let sessionId = t.session || null;

  function show(panel) {
    ["queue-panel", "call-panel", "after-panel", "closed-panel"].forEach((id) => { $(id).hidden = id !== panel; });
  }

  function minutes(seconds) {
    if (seconds === null || seconds === undefined) return t.noEstimate;
    if (seconds < 60) return t.underMinute;
    return t.aboutMinutes.replace("%s", Math.round(seconds / 60));
  }

  function renderQueue(status) {
    if (status.position) $("queue-position").textContent = status.position;
    $("queue-total").textContent = status.waiting_total || "–";
    $("queue-estimate").textContent = minutes(status.estimate_seconds);
    if (status.callback_offered || status.estimate_seconds === null || status.estimate_seconds > 300) $("callback-box").hidden = false;
  }

  function renderState(state) {
    $("queue-state").textContent = t["state_" + state] || state;
    if (state === "cancelled" || state === "callback" || state === "abandoned") {
      $("closed-message").textContent = t["state_" + state];
      show("closed-panel");
      if (queue) queue.close();
    }
  }

  let queue = null;
  function connectQueue() {
    queue = new WebSocket(C9.wsUrl("/ws/assist/queue/" + requestId + "/"));
    queue.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "queue") { renderQueue(message); if (message.state) renderState(message.state); }
      else if (message.type === "state") renderState(message.state);
      else if (message.type === "callback.offer") $("callback-box").hidden = false;
      else if (message.type === "call.start") startCall(message.session, message.peer);
      else if (message.type === "error") $("queue-error").textContent = message.message;
    };
    queue.onclose = (event) => { if (!call && event.code < 4000 && !$("queue-panel").hidden) setTimeout(connectQueue, 1500); };
  }

  function addChat(who, text) {
    const li = document.createElement("li");
    li.className = who === "citizen" ? "mine" : "theirs";
    li.textContent = text;
    $("chat-log").appendChild(li);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
  }

  // The clerks' microphone, camera and typing.
  const peers = C9.peerStateView((peer) => String(peer || "").startsWith("clerk-"));

  function startCall(id, peerName) {
    if (call) return;
    sessionId = id;
    show("call-panel");
    if (peerName) $("peer-name").textContent = peerName;
    if (queue) { queue.onclose = null; queue.close(); }
    call = new C9.AssistCall({
      sessionId: id,
      localVideo: $("local-video"),
      remoteVideo: $("remote-video"),
      remoteBox: $("more-videos"),
      on: {
        chat: (from, text) => addChat(from, text),
        history: (chat) => {
          $("chat-log").innerHTML = "";
          chat.forEach((entry) => addChat(entry.from, entry.text));
        },
        draft: () => { C9.renderSharedDraft(id, t, "citizen"); },
        joined: () => { C9.renderSharedDraft(id, t, "citizen").then((draft) => { if (draft) $("draft-share-result").textContent = t.draftShared; }); },
        annotation: (message) => {
          // Only a snapshot of this call (served by the authorised view) is drawn.
          if (!/^\/api\/assist\/snapshots\/\d+\/$/.test(message.url || "")) return;
          $("annotation-box").hidden = false;
          C9.drawAnnotated($("annotation-canvas"), message.url, (message.marks || []).filter((m) => typeof m.x === "number" && typeof m.y === "number"));
        },
        recording: (recording) => {
          const answered = recording.consent;
          $("recording-notice").hidden = false;
          $("recording-agree").hidden = !!answered;
          $("recording-refuse").hidden = !!answered || !recording.refusable;
          $("recording-answer").textContent = answered ? t["recording" + answered.charAt(0).toUpperCase() + answered.slice(1)] : "";
        },
        members: (members) => { peers.members(members); $("call-members").textContent = members.filter((m) => m.role !== "citizen").map((m) => m.name + C9.aside(C9.place(m.district, m.district_en))).join(C9.english ? ", " : "、"); },
        state: (state) => { $("call-state").textContent = t["call_" + state.replace(/-/g, "_")] || state; },
        ended: () => { show("after-panel"); },
        peerMedia: (message) => peers.media(message),
        peerTyping: (on, peer) => peers.typing(on, peer),
      },
    });
    call.start();
  }

  $("cancel-button").addEventListener("click", () => queue && queue.send(JSON.stringify({ type: "cancel" })));
  $("callback-form").addEventListener("submit", (event) => {
    event.preventDefault();
    queue.send(JSON.stringify({ type: "callback", phone: $("callback-phone").value }));
  });
  $("mute-button").addEventListener("click", (e) => { const on = call.toggleAudio(); e.target.textContent = on ? t.mute : t.unmute; });
  $("camera-button").addEventListener("click", (e) => { const on = call.toggleVideo(); e.target.textContent = on ? t.cameraOff : t.cameraOn; });
  $("screen-button").addEventListener("click", async (e) => {
    try { const on = await call.shareScreen(); e.target.textContent = on ? t.stopShare : t.share; } catch (err) { /* the citizen said no */ }
  });
  $("hangup-button").addEventListener("click", () => call && call.hangUp());
  $("draft-share").addEventListener("click", async () => {
    const response = await fetch("/api/assist/sessions/" + sessionId + "/draft/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": C9.csrfToken() },
      body: JSON.stringify({}),
    }).catch(() => null);
    const body = response ? await response.json().catch(() => ({})) : {};
    $("draft-share-result").textContent = response && response.ok ? t.draftShared : (body.detail || t.draftShareFailed);
  });
  $("draft-submit").addEventListener("click", async () => {
    const response = await fetch("/api/assist/sessions/" + sessionId + "/draft/submit/", {
      method: "POST", headers: { "X-CSRFToken": C9.csrfToken() },
    }).catch(() => null);
    const body = response ? await response.json().catch(() => ({})) : {};
    $("draft-submit-result").textContent = response && response.ok ? t.draftSubmitted : (body.detail || t.draftFailed);
  });
  $("recording-agree").addEventListener("click", () => call && call.answerRecording(true));
  $("recording-refuse").addEventListener("click", () => call && call.answerRecording(false));
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("chat-input").value.trim();
    if (!text || !call) return;
    call.chat(text);
    addChat("citizen", text);
    $("chat-input").value = "";
  });
  $("chat-input").addEventListener("input", () => { if (call) { if ($("chat-input").value) call.typing(); else call.typingStopped(); } });
  $("rating-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const rating = new FormData(event.target).get("rating");
    const response = await fetch("/api/assist/sessions/" + sessionId + "/rating/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": C9.csrfToken() },
      body: JSON.stringify({ rating: Number(rating), comment: $("rating-comment").value }),
    });
    $("rating-result").textContent = response.ok ? t.thanks : t.ratingFailed;
    if (response.ok) event.target.querySelector("button").disabled = true;
  });

  if (t.state === "connected" && sessionId) startCall(Number(sessionId));
  else if (t.state === "done" && sessionId) show("after-panel");
  else if (t.state === "waiting" || t.state === "offered") { show("queue-panel"); connectQueue(); }
  else { renderState(t.state); }
})();
