/* The clerk's console: presence by heartbeat, the ring with accept/decline (a caller from the queue, or
 * another clerk's invitation to join their call), the waiting list (pushed; pick a caller from it), the call
 * with the caller's microphone, camera and typing, canned replies, bringing in a clerk, snapshot, wrap-up. */
(function () {
  "use strict";
  const root = document.getElementById("assist-console");
  if (!root) return;
  const t = root.dataset;
  const $ = (id) => document.getElementById(id);
  let socket = null;
  let ring = null;
  let invite = null;
  let ringTimer = null;
  let call = null;
  let sessionId = null;
  let heartbeat = null;
  let currentStatus = null;
  // The caller's microphone, camera and typing (a clerk brought in sees the caller's too).
  const peers = C9.peerStateView((peer) => peer === "citizen");

  function show(panel) {
    ["idle-panel", "ring-panel", "call-panel", "wrapup-panel"].forEach((id) => { $(id).hidden = id !== panel; });
  }

  function setStatus(status) {
    const badge = $("presence-status");
    badge.textContent = t["status_" + status] || status;
    badge.className = "badge " + ({ available: "ok", ringing: "warn", in_call: "warn", wrap_up: "warn", away: "bad", offline: "bad" }[status] || "");
    badge.dataset.status = status;
    $("available-button").disabled = status === "available" || status === "ringing" || status === "in_call";
    $("away-button").disabled = status === "away" || status === "ringing" || status === "in_call";
    currentStatus = status;
    renderWaitingTimes();
  }

  // A click made while the socket is still opening (or reconnecting) is sent once it opens.
  const outbox = [];
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    else if (message.type !== "heartbeat") outbox.push(message);
  }

  const { english, place, aside } = window.C9;

  function showInvite(m) {
    showRing(null, m.deadline, m.context);
    invite = m.invite;
    const line = m.kind_label + " · " + t.inviteFrom + " " + m.from + aside(place(m.from_district, m.from_district_en));
    $("ring-invite").textContent = line + (m.note ? " · " + t.labelNote + ": " + m.note : "");
    $("ring-invite").hidden = false;
  }

  function showRing(offer, deadline, context) {
    ring = offer;
    invite = null;
    $("ring-invite").hidden = true;
    show("ring-panel");
    const lines = [
      [t.labelCitizen, context.citizen], [t.labelFirm, context.firm], [t.labelDistrict, place(context.district, context.district_en)],
      [t.labelItem, context.item], [t.labelCase, context.case], [t.labelLanguage, context.language],
      [t.labelPriority, context.priority],
      [t.labelHistory, context.earlier_calls === undefined ? null : (context.earlier_calls ? t.waitEarlier.replace("%s", context.earlier_calls) : t.waitFirst)],
    ].filter((row) => row[1]);
    const dl = $("ring-context");
    dl.innerHTML = "";
    lines.forEach(([label, value]) => {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value;
      dl.append(dt, dd);
    });
    if (context.case) { $("wrapup-case").value = context.case; $("snapshot-case").value = context.case; }
    const end = new Date(deadline).getTime();
    clearInterval(ringTimer);
    const tick = () => {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      $("ring-countdown").textContent = left;
      if (!left) clearInterval(ringTimer);
    };
    tick();
    ringTimer = setInterval(tick, 250);
  }

  function addChat(who, text) {
    const li = document.createElement("li");
    li.className = who === "me" ? "mine" : "theirs";
    li.textContent = text;
    $("chat-log").appendChild(li);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
  }

  function startCall(id) {
    if (call && !call.ended) return;
    sessionId = id;
    if ($("snapshot-case").value) $("snapshot-case").dispatchEvent(new Event("change"));
    clearInterval(ringTimer);
    show("call-panel");
    $("chat-log").innerHTML = "";
    $("invite-status").textContent = "";
    peers.reset();
    loadReplies();
    call = new C9.AssistCall({
      sessionId: id,
      localVideo: $("local-video"),
      remoteVideo: $("remote-video"),
      remoteBox: $("more-videos"),
      screenVideo: $("screen-video"),
      on: {
        chat: (from, text) => addChat("them", text),
        state: (state) => { $("call-state").textContent = t["call_" + state.replace(/-/g, "_")] || state; },
        screen: (on) => { $("screen-box").hidden = !on; },
        history: (chat, snapshots, me) => {
          $("chat-log").innerHTML = "";
          chat.forEach((entry) => addChat(entry.peer === me ? "me" : "them", entry.text));
          $("snapshots").innerHTML = "";
          snapshots.forEach((snapshot) => addSnapshot(snapshot.url));
        },
        peerMedia: (message) => peers.media(message),
        peerTyping: (on, peer) => peers.typing(on, peer),
        members: (members) => { peers.members(members); $("call-members").textContent = members.map((m) => m.name + aside(place(m.district, m.district_en))).join(english ? ", " : "、"); },
        invite: (m) => { $("invite-status").textContent = (t["invite_" + m.outcome] || m.outcome).replace("%s", place(m.district, m.district_en)); },
        joined: (m) => { $("invite-box").hidden = m.role !== "clerk"; if (m.role === "clerk") loadInviteDistricts(); loadSidePanel(); loadDraft(); },
        draft: () => loadDraft(),
        // A clerk brought in, or one who handed the call over, has no wrap-up to write.
        ended: (reason, by) => {
          const wrapUp = !(call.role === "guest" || by === "transfer");
          // The wrap-up starts from the notes written during the call.
          if (wrapUp && !$("wrapup-notes").value) $("wrapup-notes").value = $("side-notes").value;
          show(wrapUp ? "wrapup-panel" : "idle-panel");
        },
      },
    });
    call.start();
  }

  function connect() {
    socket = new WebSocket(C9.wsUrl("/ws/assist/console/"));
    socket.onmessage = (event) => {
      const m = JSON.parse(event.data);
      switch (m.type) {
        case "hello":
          setStatus(m.status);
          loadCallbacksSoon();
          if (m.ring) showRing(m.ring.offer, m.ring.deadline, m.ring.context);
          else if (m.invite) showInvite(m.invite);
          renderWaiting(m.waiting || []);
          if (m.session && !m.session.ended) startCall(m.session.id);
          else if (m.session && m.session.ended) { sessionId = m.session.id; show("wrapup-panel"); }
          break;
        case "waiting": renderWaiting(m.rows || []); break;
        case "presence": setStatus(m.status); send({ type: "waiting" }); if (m.status === "available" || m.status === "away") { if (!call || call.ended) { if ($("wrapup-panel").hidden) show("idle-panel"); } } break;
        case "heartbeat.ok": setStatus(m.status); break;
        case "ring": setStatus("ringing"); showRing(m.offer, m.deadline, m.context); break;
        case "ring.cancelled": if (ring === m.offer) { ring = null; clearInterval(ringTimer); show("idle-panel"); } break;
        case "invite": setStatus("ringing"); showInvite(m); break;
        case "invite.cancelled": if (invite === m.invite) { invite = null; clearInterval(ringTimer); show("idle-panel"); } break;
        case "call.start": setStatus("in_call"); startCall(m.session); break;
        case "callbacks": loadCallbacksSoon(); break;
        case "error": $(m.about === "pick" ? "waiting-error" : "console-error").textContent = m.message; break;
      }
    };
    socket.onopen = () => {
      $("console-error").textContent = "";
      while (outbox.length) socket.send(JSON.stringify(outbox.shift()));
      clearInterval(heartbeat);
      heartbeat = setInterval(() => send({ type: "heartbeat", t: Date.now() }), 15000);
    };
    socket.onclose = () => { clearInterval(heartbeat); $("console-error").textContent = t.reconnecting; setTimeout(connect, 2000); };
  }

  $("available-button").addEventListener("click", () => send({ type: "presence", status: "available" }));
  $("away-button").addEventListener("click", () => send({ type: "presence", status: "away" }));
  $("accept-button").addEventListener("click", () => {
    if (invite) send({ type: "invite.accept", invite: invite });
    else if (ring) send({ type: "accept", offer: ring });
  });
  $("decline-button").addEventListener("click", () => {
    if (invite) { send({ type: "invite.decline", invite: invite }); invite = null; show("idle-panel"); }
    else if (ring) { send({ type: "decline", offer: ring }); ring = null; show("idle-panel"); }
  });
  $("mute-button").addEventListener("click", (e) => { const on = call.toggleAudio(); e.target.textContent = on ? t.mute : t.unmute; });
  $("camera-button").addEventListener("click", (e) => { const on = call.toggleVideo(); e.target.textContent = on ? t.cameraOff : t.cameraOn; });
  $("hangup-button").addEventListener("click", () => call && call.hangUp());
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("chat-input").value.trim();
    if (!text || !call) return;
    call.chat(text);
    addChat("me", text);
    $("chat-input").value = "";
  });
  $("chat-input").addEventListener("input", () => { if (call) { if ($("chat-input").value) call.typing(); else call.typingStopped(); } });

  /* The application the caller shared: seen live; snapshots are filed into it by default. */
  async function loadDraft() {
    const draft = await C9.renderSharedDraft(sessionId, t, "clerk");
    if (draft && $("snapshot-case").value !== draft.case) {
      $("snapshot-case").value = draft.case;
      $("snapshot-case").dispatchEvent(new Event("change"));
    }
  }

  /* 预审: mark the chosen material of the shared application (its validity date read off the document). */
  async function precheck(verdict) {
    const body = {
      item_material: Number($("precheck-material").value), verdict: verdict,
      reason: $("precheck-reason").value, valid_until: $("precheck-valid").value || null,
    };
    const response = await fetch("/api/assist/sessions/" + sessionId + "/draft/prechecks/", {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": C9.csrfToken() }, body: JSON.stringify(body),
    }).catch(() => null);
    const answer = response ? await response.json().catch(() => ({})) : {};
    $("precheck-result").textContent = response && response.ok ? "" : (answer.detail || t.draftFailed);
    if (response && response.ok) { $("precheck-reason").value = ""; $("precheck-valid").value = ""; }
  }
  $("precheck-ok").addEventListener("click", () => precheck("conforming"));
  $("precheck-fail").addEventListener("click", () => precheck("not_conforming"));

  /* Beside the call: the item's standard and 帮办要点, the caller's cases this clerk may see, the notes. */
  async function loadSidePanel() {
    const response = await fetch("/api/assist/sessions/" + sessionId + "/side-panel/").catch(() => null);
    if (!response || !response.ok) return;
    const panel = await response.json();
    if (panel.caller) {
      const c = panel.caller;
      const history = c.earlier_calls
        ? t.waitEarlier.replace("%s", c.earlier_calls) + (c.last_call_at ? aside(t.waitLast.replace("%s", new Date(c.last_call_at).toLocaleDateString(document.documentElement.lang || undefined))) : "")
        : t.waitFirst;
      $("side-caller").textContent = [c.district, history].filter(Boolean).join(" · ");
    }
    if (panel.item) {
      $("side-item").textContent = panel.item.name + " · " + panel.item.code + " · v" + panel.item.version
        + (panel.item.approving.length ? " · " + t.approving + "：" + panel.item.approving.join("、") : "");
      $("side-item").classList.remove("muted");
      if (panel.item.assistance_guide) $("side-guide").textContent = panel.item.assistance_guide;
      const materials = $("side-materials");
      materials.innerHTML = "";
      panel.item.materials.forEach((m) => {
        const li = el("li", "", m.name + aside(m.requirement));
        const limits = [(m.formats || []).join("/"), m.max_size_mb ? m.max_size_mb + " MB" : ""].filter(Boolean).join(" · ");
        if (limits) li.append(el("small", "muted", " " + limits));
        if (m.acceptance_standard) li.title = m.acceptance_standard;
        materials.append(li);
      });
    }
    if (panel.cases.length) {
      const cases = $("side-cases");
      cases.innerHTML = "";
      panel.cases.forEach((c) => cases.append(el("li", "", c.reference + " · " + c.item + " · " + c.state)));
    }
    $("side-notes").value = panel.notes || "";
    $("side-notes").readOnly = !panel.may_write_notes;
    $("side-notes-save").hidden = !panel.may_write_notes;
  }

  async function identityCheck(result) {
    const response = await fetch("/api/assist/sessions/" + sessionId + "/identity/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": C9.csrfToken() },
      body: JSON.stringify({ result: result }),
    }).catch(() => null);
    const body = response ? await response.json().catch(() => ({})) : {};
    if (!response || !response.ok) { $("identity-result").textContent = body.detail || t.identityFailed; return; }
    const linked = result === "match" && !body.case_error && $("snapshot-case").value;
    $("identity-result").textContent = linked ? t.identityCase : t.identityRecorded + (body.case_error ? " " + body.case_error : "");
  }
  $("identity-match").addEventListener("click", () => identityCheck("match"));
  $("identity-no-match").addEventListener("click", () => identityCheck("no_match"));

  $("side-notes-save").addEventListener("click", async () => {
    const response = await fetch("/api/assist/sessions/" + sessionId + "/notes/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": C9.csrfToken() },
      body: JSON.stringify({ notes: $("side-notes").value }),
    }).catch(() => null);
    $("side-notes-result").textContent = response && response.ok ? t.notesSaved : t.notesFailed;
  });

  /* Bring a clerk of another district into the call: the item's approving district first. */
  async function loadInviteDistricts() {
    const select = $("invite-district");
    if (select.length) return;
    const response = await fetch("/api/assist/sessions/" + sessionId + "/invites/").catch(() => null);
    if (!response || !response.ok) return;
    const body = await response.json();
    const approving = new Set(body.approving.map((d) => d.code));
    body.approving.forEach((d) => select.add(new Option(d.name + aside(t.approving), d.code)));
    body.districts.filter((d) => !approving.has(d.code)).forEach((d) => select.add(new Option(d.name, d.code)));
  }

  $("invite-button").addEventListener("click", async () => {
    const response = await fetch("/api/assist/sessions/" + sessionId + "/invites/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": C9.csrfToken() },
      body: JSON.stringify({ district: $("invite-district").value, kind: $("invite-kind").value, note: $("invite-note").value }),
    }).catch(() => null);
    const body = response ? await response.json().catch(() => ({})) : {};
    $("invite-status").textContent = response && response.ok ? t.invite_ringing.replace("%s", body.district) : (body.detail || t.inviteFailed);
  });

  function addSnapshot(url) {
    const img = document.createElement("img");
    img.src = url; img.alt = t.snapshot; img.className = "snapshot-thumb";
    // Click a snapshot to mark it (circle and arrow) and show it to the caller.
    img.addEventListener("click", () => { annotating = { url: url, marks: [] }; redrawAnnotation(); $("annotate-box").hidden = false; });
    $("snapshots").appendChild(img);
  }

  let annotating = null;
  function redrawAnnotation() { if (annotating) C9.drawAnnotated($("annotate-canvas"), annotating.url, annotating.marks); }
  $("annotate-canvas").addEventListener("click", (event) => {
    if (!annotating) return;
    const box = event.target.getBoundingClientRect();
    annotating.marks.push({ x: (event.clientX - box.left) / box.width, y: (event.clientY - box.top) / box.height });
    redrawAnnotation();
  });
  $("annotate-clear").addEventListener("click", () => { if (annotating) { annotating.marks = []; redrawAnnotation(); } });
  $("annotate-send").addEventListener("click", () => {
    if (annotating && call) call.send({ type: "annotation", url: annotating.url, marks: annotating.marks.slice(0, 20) });
  });

  /* A still of the citizen's camera (a document held up to it), kept with the call. */
  $("snapshot-button").addEventListener("click", async () => {
    const video = $("remote-video");
    if (!video.videoWidth) { $("snapshot-result").textContent = t.noVideo; return; }
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
    const form = new FormData();
    form.append("image", blob, "snapshot.jpg");
    if ($("snapshot-case").value.trim()) form.append("case", $("snapshot-case").value.trim());
    if ($("snapshot-material").value) form.append("item_material", $("snapshot-material").value);
    const response = await fetch("/api/assist/sessions/" + sessionId + "/snapshots/", {
      method: "POST", headers: { "X-CSRFToken": C9.csrfToken() }, body: form,
    });
    if (response.ok) {
      const body = await response.json();
      addSnapshot(body.url);
      $("snapshot-result").textContent = body.filed_as_case_material ? t.filed
        : (body.case_error ? t.notFiled + " " + body.case_error : t.snapshotSaved);
      if (body.filed_as_case_material || $("snapshot-case").value) $("wrapup-case").value = $("snapshot-case").value;
      if (call) call.send({ type: "snapshot.taken" });
    } else {
      $("snapshot-result").textContent = t.snapshotFailed;
    }
  });

  /* The caller's case: list the materials its item asks for, so a snapshot can be filed as one. */
  $("snapshot-case").addEventListener("change", async () => {
    const select = $("snapshot-material");
    select.length = 1;
    const caseRef = $("snapshot-case").value.trim();
    if (!caseRef || !sessionId) return;
    const response = await fetch("/api/assist/sessions/" + sessionId + "/case-materials/?case=" + encodeURIComponent(caseRef));
    const body = await response.json().catch(() => ({}));
    if (!response.ok) { $("snapshot-result").textContent = body.detail || ""; return; }
    body.materials.forEach((m) => select.add(new Option(m.name + " (" + m.requirement + ")", m.id)));
  });

  $("wrapup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = {
      notes: data.get("notes") || "", outcome: data.get("outcome"),
      case: (data.get("case") || "").trim() || null, then_available: data.get("then_available") === "on",
      new_draft_case: data.get("new_draft_case") === "on",
    };
    const response = await fetch("/api/assist/sessions/" + sessionId + "/wrap-up/", {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": C9.csrfToken() }, body: JSON.stringify(body),
    });
    if (response.ok) { event.target.reset(); show("idle-panel"); $("wrapup-error").textContent = ""; }
    else { const err = await response.json().catch(() => ({})); $("wrapup-error").textContent = err.detail || t.wrapupFailed; }
  });

  /* The callback list: citizens who asked to be called back. The number shows once claimed. */
  let callbacksTimer = null;
  function loadCallbacksSoon() {
    // A burst of changes (several consoles claiming) costs one fetch.
    clearTimeout(callbacksTimer);
    callbacksTimer = setTimeout(loadCallbacks, 250);
  }

  async function loadCallbacks() {
    const response = await fetch("/api/assist/callbacks/", { headers: { Accept: "application/json" } }).catch(() => null);
    if (!response || !response.ok) { $("callbacks-error").textContent = t.cbFailed; return; }
    $("callbacks-error").textContent = "";
    renderCallbacks(await response.json());
  }

  function clock(iso) {
    return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function button(label, className, onClick) {
    const b = el("button", className, label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function renderCallbacks(rows) {
    const list = $("callbacks-list");
    // A push may re-render the list while the clerk types the note of their call: keep it.
    const typing = list.querySelector("li.mine input");
    const kept = typing ? { id: typing.closest("li").dataset.callback, value: typing.value, focused: document.activeElement === typing } : null;
    list.innerHTML = "";
    $("callbacks-count").textContent = rows.length;
    $("callbacks-empty").hidden = rows.length > 0;
    rows.forEach((row) => {
      const li = el("li", "callback-item" + (row.claimed_by_me ? " mine" : ""));
      li.dataset.callback = row.id;
      const head = el("div", "callback-head");
      head.append(el("strong", "", row.citizen));
      if (row.scope) head.append(el("span", "badge" + (row.scope === "district" || row.scope === "specialist" ? " ok" : ""), t["cbScope_" + row.scope] || row.scope));
      if (row.priority) head.append(el("span", "badge warn", row.priority));
      li.append(head);
      const meta = [row.district_name, row.firm, row.item, row.language, t.cbAsked.replace("%s", clock(row.requested_at))];
      if (row.attempts) meta.push(t.cbAttempts.replace("%s", row.attempts).replace("%s", row.max_attempts));
      if (row.last_note) meta.push("“" + row.last_note + "”");
      li.append(el("div", "callback-meta", meta.filter(Boolean).join(" · ")));
      if (row.claimed_by_me) {
        const phone = el("a", "callback-phone", row.phone);
        phone.href = "tel:" + row.phone;
        li.append(phone);
        const form = el("div", "callback-done");
        const note = el("input");
        note.maxLength = 500;
        note.placeholder = t.cbNote;
        note.setAttribute("aria-label", t.cbNote);
        if (kept && kept.id === String(row.id)) note.value = kept.value;
        form.append(note,
          button(t.cbReached, "button", () => callbackAction(row.id, "done", { outcome: "reached", note: note.value })),
          button(t.cbNoAnswer, "button secondary", () => callbackAction(row.id, "done", { outcome: "no_answer", note: note.value })),
          button(t.cbRelease, "button secondary", () => callbackAction(row.id, "release")));
        li.append(form);
      } else {
        const claim = button(t.cbClaim, "button", () => callbackAction(row.id, "claim"));
        const actions = el("div", "callback-done");
        actions.append(claim);
        li.append(actions);
      }
      list.append(li);
      if (kept && kept.focused && row.claimed_by_me && kept.id === String(row.id)) li.querySelector("input").focus();
    });
  }

  async function callbackAction(id, action, body) {
    const response = await fetch("/api/assist/callbacks/" + id + "/" + action + "/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": C9.csrfToken() },
      body: JSON.stringify(body || {}),
    }).catch(() => null);
    if (!response || !response.ok) {
      const err = response ? await response.json().catch(() => ({})) : {};
      $("callbacks-error").textContent = err.detail || t.cbFailed;
    } else {
      $("callbacks-error").textContent = "";
    }
    loadCallbacks();
  }

  /* The waiting list: pushed on every change of the queue; the waits tick here. A row's `base` is when it
   * started waiting by this browser's clock (from the server's count of seconds, so no clock skew). */
  let waiting = [];
  function renderWaiting(rows) {
    const received = Date.now();
    waiting = rows.map((row) => Object.assign({}, row, { base: received - row.waited_seconds * 1000 }));
    const list = $("waiting-list");
    list.innerHTML = "";
    $("waiting-count").textContent = waiting.length;
    $("waiting-empty").hidden = waiting.length > 0;
    if (!waiting.length) $("waiting-error").textContent = "";
    waiting.forEach((row) => {
      const li = el("li", "callback-item waiting-item");
      li.dataset.request = row.request;
      const head = el("div", "callback-head");
      head.append(el("strong", "", row.citizen));
      if (row.scope) head.append(el("span", "badge" + (row.scope === "district" || row.scope === "specialist" ? " ok" : ""), t["cbScope_" + row.scope] || row.scope));
      if (row.priority) {
        const reason = t["prio_" + row.priority_reason];
        head.append(el("span", "badge warn", reason ? reason + (row.priority_verified ? "" : " " + t.waitDeclared) : row.priority));
      }
      head.append(el("span", "waited"));
      li.append(head);
      const history = row.earlier_calls
        ? t.waitEarlier.replace("%s", row.earlier_calls) + (row.last_call_at ? aside(t.waitLast.replace("%s", new Date(row.last_call_at).toLocaleDateString(document.documentElement.lang || undefined))) : "")
        : t.waitFirst;
      const district = place(row.district, row.district_en);
      // data-lang_wuu-sh is dataset["lang_wuuSh"].
      const language = t["lang_" + String(row.language_code).replace(/-([a-z])/g, (m, c) => c.toUpperCase())] || row.language;
      li.append(el("div", "callback-meta", [district, row.firm, row.item, language, history].filter(Boolean).join(" · ")));
      const actions = el("div", "callback-done");
      actions.append(button(t.waitPick, "button pick-button", () => {
        $("waiting-error").textContent = "";
        send({ type: "pick", request: row.request });
      }));
      actions.append(el("span", "muted pick-note"));
      li.append(actions);
      list.append(li);
    });
    renderWaitingTimes();
  }

  function duration(seconds) {
    const m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
    return m + ":" + String(s).padStart(2, "0");
  }

  function renderWaitingTimes() {
    const busy = ["ringing", "in_call", "wrap_up", "offline"].includes(currentStatus) || (call && !call.ended);
    waiting.forEach((row) => {
      const li = $("waiting-list").querySelector("li[data-request='" + row.request + "']");
      if (!li) return;
      const waited = (Date.now() - row.base) / 1000;
      li.querySelector(".waited").textContent = t.waitWaited.replace("%s", duration(waited));
      const open = row.state === "waiting" && waited >= row.opens_at;
      li.classList.toggle("open", open);
      li.querySelector(".pick-button").disabled = !open || busy;
      li.querySelector(".pick-note").textContent = row.state !== "waiting" ? t.waitRinging
        : (open ? "" : t.waitOpens.replace("%s", duration(row.opens_at)));
    });
  }
  setInterval(renderWaitingTimes, 1000);
  // The push covers every change of the queue; this covers a missed one, once a minute per console.
  setInterval(() => { if (socket && socket.readyState === WebSocket.OPEN) send({ type: "waiting" }); }, 60000);

  /* 常用语: the district's, then the clerk's own; one click puts a reply into the message box. */
  async function loadReplies() {
    const response = await fetch("/api/assist/replies/", { headers: { Accept: "application/json" } }).catch(() => null);
    if (!response || !response.ok) return;
    const list = $("replies-list");
    list.innerHTML = "";
    (await response.json()).forEach((reply) => {
      const li = el("li");
      const use = button(reply.text, "button secondary small reply-use", () => {
        const input = $("chat-input");
        input.value = input.value ? input.value + " " + reply.text : reply.text;
        input.focus();
        if (call) call.typing();
      });
      use.title = t.replyUse;
      li.append(use);
      if (reply.personal) {
        const remove = button("×", "button secondary small reply-delete", () => replyAction("DELETE", "/api/assist/replies/" + reply.id + "/"));
        remove.setAttribute("aria-label", t.replyDelete + "：" + reply.text);
        remove.title = t.replyDelete;
        li.append(remove);
      }
      list.append(li);
    });
  }

  async function replyAction(method, url, body) {
    const response = await fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", "X-CSRFToken": C9.csrfToken() },
      body: body ? JSON.stringify(body) : undefined,
    }).catch(() => null);
    const answer = response && response.status !== 204 ? await response.json().catch(() => ({})) : {};
    $("replies-result").textContent = response && response.ok ? "" : (answer.detail || t.replyFailed);
    if (response && response.ok) loadReplies();
    return response && response.ok;
  }

  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply-input").value.trim();
    if (text && await replyAction("POST", "/api/assist/replies/", { text: text })) $("reply-input").value = "";
  });

  // The push covers changes; this covers a missed push (a reconnecting console, say).
  setInterval(loadCallbacks, 60000);
  connect();
})();
