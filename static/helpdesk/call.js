/* One-click response: the WebRTC call between a citizen and one or more clerks (no library, no CDN).
 *
 * A call of N members is a full mesh: one RTCPeerConnection (a "link") per other member, each
 * addressed by its peer id ("citizen", "clerk-<user id>"); offers, answers and candidates carry
 * `to`, chat and media state go to everyone. The server pushes who is in the call (`members`)
 * when a clerk joins, leaves or takes the call over; links to members gone are closed.
 *
 * Signalling over /ws/assist/call/<session>/ : every message the server relays carries a
 * sequence number; after a dropped socket we reconnect with ?last_seq=N and get what we
 * missed. Renegotiation (screen share on/off) uses the "perfect negotiation" pattern per link:
 * the citizen is the polite peer and yields on an offer collision, a clerk does not; between
 * two clerks the one with the greater peer id is polite. ICE restarts when a connection stays
 * "disconnected" for a few seconds, or at "failed".
 *
 * Collisions are handled, but avoided where we can: the clerk (impolite) makes the first
 * offer and every ICE restart offer of a link; the polite side adds its tracks when it answers. When the
 * polite side rolls back its own offer while Chromium is still gathering candidates for it,
 * the answer that follows may gather none at all, ever (seen about one call in six when both
 * sides offered at once on joining): ICE then stays "new" on both sides and no restart from
 * the other side recovers it.
 */
(function () {
  "use strict";

  // Pushed messages carry a district's name in both languages: the page shows the one of its language, and an
  // aside in brackets of its script (full-width in Chinese).
  const english = (document.documentElement.lang || "").startsWith("en");
  const place = (zh, en) => (english && en ? en : zh);
  const aside = (text) => (text ? (english ? " (" + text + ")" : "（" + text + "）") : "");

  function wsUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  class AssistCall {
    constructor(options) {
      this.sessionId = options.sessionId;
      this.localVideo = options.localVideo;
      this.remoteVideo = options.remoteVideo;
      // Where the videos of a third member and more go (next to the first remote video).
      this.remoteBox = options.remoteBox || (options.remoteVideo && options.remoteVideo.parentNode);
      this.screenVideo = options.screenVideo || null;
      this.on = Object.assign({ chat() {}, state() {}, ended() {}, screen() {}, peerMedia() {}, peerTyping() {}, members() {}, invite() {}, joined() {}, history() {}, recording() {}, draft() {}, annotation() {} }, options.on || {});
      this.lastSeq = 0;
      this.me = null;
      this.role = null;
      this.links = new Map();
      this.members = [];
      this.localStream = null;
      this.screenStream = null;
      this.ended = false;
      this.socket = null;
      this.droppedAt = null;
      this.recorderPc = null;
    }

    async start() {
      try {
        this.localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      } catch (err) {
        // Without a camera the call still works: audio only, or receive only.
        this.on.state("no-camera");
        try { this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (e) { this.localStream = new MediaStream(); }
      }
      if (this.localVideo) { this.localVideo.srcObject = this.localStream; this.localVideo.muted = true; }
      this.connect();
    }

    connect() {
      const query = this.lastSeq ? "?last_seq=" + this.lastSeq : "";
      const socket = new WebSocket(wsUrl("/ws/assist/call/" + this.sessionId + "/" + query));
      this.socket = socket;
      // One message at a time: a candidate handled while the offer is still being applied
      // would be added before the remote description and lost.
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        this.inbox = (this.inbox || Promise.resolve()).then(() => this.onMessage(message));
      };
      socket.onclose = (event) => {
        if (this.ended || socket !== this.socket) return;
        if (event.code === 4403 || event.code === 4410 || event.code === 4401) { this.finish("gone"); return; }
        // Come back within the grace period; the server replays what we missed.
        this.droppedAt = this.droppedAt || Date.now();
        this.on.state("reconnecting");
        if (Date.now() - this.droppedAt < 30000) setTimeout(() => this.connect(), 1000);
        else this.finish("dropped");
      };
      socket.onopen = () => { this.droppedAt = null; };
    }

    send(message) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
    }

    /* Perfect negotiation needs one polite side per pair, the same seen from both ends. */
    politeToward(peer) {
      if (this.me === "citizen") return true;
      if (peer === "citizen") return false;
      return this.me > peer;
    }

    link(peer) {
      let link = this.links.get(peer);
      if (!link) {
        link = { peer: peer, pc: null, polite: this.politeToward(peer), makingOffer: false, ignoreOffer: false, tracksAdded: false, video: null, screenStreamId: null, screenSender: null };
        this.links.set(peer, link);
        this.createPeerConnection(link);
      }
      return link;
    }

    videoFor(link) {
      if (link.video) return link.video;
      const taken = Array.from(this.links.values()).some((other) => other.video === this.remoteVideo);
      if (!taken || !this.remoteBox) {
        link.video = this.remoteVideo;
      } else {
        const video = document.createElement("video");
        video.autoplay = true; video.playsInline = true;
        video.className = "remote extra";
        this.remoteBox.appendChild(video);
        link.video = video;
      }
      link.video.dataset.peer = link.peer;
      return link.video;
    }

    createPeerConnection(link) {
      const pc = new RTCPeerConnection({ iceServers: this.iceServers || [] });
      link.pc = pc;
      const to = link.peer;
      pc.onnegotiationneeded = async () => {
        try {
          link.makingOffer = true;
          await pc.setLocalDescription();
          this.send({ type: pc.localDescription.type, sdp: pc.localDescription.sdp, to: to });
        } catch (err) {
          console.warn("negotiation", err);
        } finally {
          link.makingOffer = false;
        }
      };
      pc.onicecandidate = ({ candidate }) => { if (candidate) this.send({ type: "candidate", candidate: candidate.toJSON(), to: to }); };
      pc.ontrack = ({ track, streams }) => {
        const stream = streams[0] || new MediaStream([track]);
        const video = this.videoFor(link);
        if (track.kind === "video" && link.screenStreamId && stream.id === link.screenStreamId && this.screenVideo) {
          this.screenVideo.srcObject = stream;
          return;
        }
        if (!video.srcObject || (track.kind === "audio" && video.srcObject.id !== stream.id && !video.srcObject.getAudioTracks().length)) {
          video.srcObject = stream;
        } else if (video.srcObject.id !== stream.id && track.kind === "video" && this.screenVideo) {
          this.screenVideo.srcObject = stream;  // a second video stream is the shared screen
        }
      };
      // A negotiation that ends with no candidate pair (a trickled candidate lost in a glare, say)
      // leaves ICE at "new" for ever; the impolite side restarts ICE once it has waited long enough.
      pc.onsignalingstatechange = () => {
        clearTimeout(link.stuckTimer);
        if (pc.signalingState !== "stable" || link.polite) return;
        link.stuckTimer = setTimeout(() => {
          if (!this.ended && ["new", "checking"].includes(pc.iceConnectionState)) pc.restartIce();
        }, 5000);
      };
      pc.oniceconnectionstatechange = () => {
        const state = pc.iceConnectionState;
        this.on.state(state, link.peer);
        clearTimeout(link.disconnectedTimer);
        if (state === "failed") this.restartIce(link);
        if (state === "disconnected") {
          // "disconnected" comes and goes; restart only when it lasts.
          link.disconnectedTimer = setTimeout(() => {
            if (pc.iceConnectionState === "disconnected") this.restartIce(link);
          }, 4000);
        }
      };
      return pc;
    }

    /* Only the impolite side of a link makes restart offers: two at once would collide (see the top). */
    restartIce(link) {
      if (!link.pc) return;
      if (link.polite) this.send({ type: "ice.restart", to: link.peer });
      else link.pc.restartIce();
    }

    closeLink(link) {
      const old = link.pc;
      old.onnegotiationneeded = old.onicecandidate = old.ontrack = null;
      old.onsignalingstatechange = old.oniceconnectionstatechange = null;
      clearTimeout(link.stuckTimer);
      clearTimeout(link.disconnectedTimer);
      old.close();
    }

    resetLink(link) {
      this.closeLink(link);
      link.tracksAdded = false;
      link.makingOffer = false;
      link.ignoreOffer = false;
      link.screenSender = null;
      if (link.video) link.video.srcObject = null;
      this.createPeerConnection(link);
    }

    removeLink(peer) {
      const link = this.links.get(peer);
      if (!link) return;
      this.closeLink(link);
      this.links.delete(peer);
      if (link.video === this.remoteVideo) this.remoteVideo.srcObject = null;
      else if (link.video) link.video.remove();
    }

    addLocalTracks(link) {
      if (link.tracksAdded || !link.pc) return;
      link.tracksAdded = true;
      this.localStream.getTracks().forEach((track) => link.pc.addTrack(track, this.localStream));
      if (!this.localStream.getVideoTracks().length) link.pc.addTransceiver("video", { direction: "recvonly" });
      if (this.screenStream) link.screenSender = link.pc.addTrack(this.screenStream.getVideoTracks()[0], this.screenStream);
    }

    async onDescription(link, description) {
      const pc = link.pc;
      const offerCollision = description.type === "offer" && (link.makingOffer || pc.signalingState !== "stable");
      link.ignoreOffer = !link.polite && offerCollision;
      if (link.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        this.addLocalTracks(link);
        await pc.setLocalDescription();
        this.send({ type: pc.localDescription.type, sdp: pc.localDescription.sdp, to: link.peer });
      }
    }

    setMembers(members) {
      this.members = members || [];
      const present = new Set(this.members.map((m) => m.peer));
      // A member who left (or handed the call over) is gone for good: so is our link to them.
      Array.from(this.links.keys()).forEach((peer) => { if (!present.has(peer)) this.removeLink(peer); });
      this.on.members(this.members);
    }

    remoteCount() {
      return Array.from(this.links.values()).filter((l) => ["connected", "completed"].includes(l.pc.iceConnectionState)).length;
    }

    async onMessage(message) {
      if (message.seq) this.lastSeq = Math.max(this.lastSeq, message.seq);
      try {
        switch (message.type) {
          case "joined":
            this.me = message.peer;
            this.role = message.role;
            this.iceServers = message.ice_servers;
            if (message.members && message.members.length) this.setMembers(message.members);
            // A fresh page (a reload, another network) finds the conversation and the captured documents
            // again; a resumed socket gets what it missed from the replay instead.
            if (!this.joinedOnce) this.on.history(message.chat || [], message.snapshots || [], message.peer);
            this.joinedOnce = true;
            // The impolite side of each link offers first; the polite one adds its tracks when it answers.
            (message.peers_present || []).forEach((peer) => { const link = this.link(peer); if (!link.polite) this.addLocalTracks(link); });
            // Nothing goes to the recorder before the caller agrees to the notice (the server holds to it too);
            // then every member (the caller and each clerk) sends their own media to it.
            this.recordingConsent = message.recording ? message.recording.consent : null;
            this.recorderPresent = !!message.recorder_present;
            if (message.role === "citizen" && message.recording && message.recording.required) this.on.recording(message.recording);
            if (message.recorder_present) this.startRecorderLeg();
            this.on.state(message.peer_present ? "peer-present" : "waiting-peer");
            // A reloaded page starts with microphone and camera on: the others learn where it stands.
            this.sendMediaState();
            this.on.joined(message);
            break;
          case "peer.joined": {
            if (message.role === "recorder") {
              // A recorder that (re)joins answers a new connection: it starts a new file of this member's media.
              this.recorderPresent = true;
              if (this.recorderPc) { this.recorderPc.close(); this.recorderPc = null; }
              this.startRecorderLeg();
              break;
            }
            this.on.state("peer-present");
            const known = this.links.get(message.peer);
            const link = this.link(message.peer);
            // The other side opened a new page (not a resumed socket): its connection is new, so is ours.
            if (known && !message.resumed && link.pc.remoteDescription) this.resetLink(link);
            if (!link.polite) this.addLocalTracks(link);
            if (message.resumed && ["disconnected", "failed"].includes(link.pc.iceConnectionState)) this.restartIce(link);
            // Whoever (re)joins learns whether we are muted or have the camera off.
            this.sendMediaState(message.peer);
            break;
          }
          case "peer.left":
            if (message.role !== "recorder") { this.on.state("peer-left", message.peer); this.on.peerTyping(false, message.peer, message.from); }
            break;
          case "members":
            this.setMembers(message.members);
            break;
          case "annotation":
            this.on.annotation(message);
            break;
          case "draft.changed":
            // A change of the form carries its new values: shown at once, without reading the draft again.
            if (!(message.form && applyDraftForm(message.form))) this.on.draft(message);
            break;
          case "recording.consent":
            this.recordingConsent = message.consent;
            this.on.recording({ required: true, consent: message.consent });
            if (message.consent === "given" && this.recorderPresent) this.startRecorderLeg();
            break;
          case "invite.status":
            this.on.invite(message);
            break;
          case "offer":
          case "answer":
            if (message.from === "recorder") { if (this.recorderPc) await this.recorderPc.setRemoteDescription({ type: message.type, sdp: message.sdp }); break; }
            await this.onDescription(this.link(message.peer), { type: message.type, sdp: message.sdp });
            break;
          case "candidate": {
            if (message.from === "recorder") break;
            const link = this.link(message.peer);
            try { await link.pc.addIceCandidate(message.candidate); } catch (err) { if (!link.ignoreOffer) console.warn(err); }
            break;
          }
          case "ice.restart": {
            // The polite side asks; the impolite side makes the restart offer (one offer, no collision).
            const link = this.links.get(message.peer);
            if (link && !link.polite) link.pc.restartIce();
            break;
          }
          case "chat":
            this.on.peerTyping(false, message.peer, message.from);
            this.on.chat(message.from, message.text, message.peer);
            break;
          case "typing":
            this.on.peerTyping(!!message.on, message.peer, message.from);
            break;
          case "screen": {
            const link = this.link(message.peer);
            link.screenStreamId = message.on ? message.stream : null;
            if (!message.on && this.screenVideo) this.screenVideo.srcObject = null;
            this.on.screen(message.on);
            break;
          }
          case "media":
            this.on.peerMedia(message);
            break;
          case "hangup":
            this.finish("hangup", message.by);
            break;
        }
      } catch (err) {
        console.warn("signalling", message.type, err);
      }
    }

    /* Recording for audit: a send-only connection of this member's own to the server's recorder, which writes
       each member's media to a file of its own (no trickle: aiortc). */
    async startRecorderLeg() {
      if (this.recorderPc || !this.localStream || this.recordingConsent !== "given") return;
      const pc = new RTCPeerConnection({ iceServers: [] });
      this.recorderPc = pc;
      this.localStream.getTracks().forEach((track) => pc.addTransceiver(track, { direction: "sendonly", streams: [this.localStream] }));
      await pc.setLocalDescription();
      await new Promise((resolve) => {
        if (pc.iceGatheringState === "complete") return resolve();
        pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") resolve(); };
        setTimeout(resolve, 2000);
      });
      this.send({ type: "offer", to: "recorder", sdp: pc.localDescription.sdp });
    }

    toggleAudio() {
      const tracks = this.localStream.getAudioTracks();
      tracks.forEach((t) => { t.enabled = !t.enabled; });
      this.sendMediaState();
      return this.mediaState().audio;
    }

    toggleVideo() {
      const tracks = this.localStream.getVideoTracks();
      tracks.forEach((t) => { t.enabled = !t.enabled; });
      this.sendMediaState();
      return this.mediaState().video;
    }

    /* Microphone and camera as the others should show them: off when muted, turned off or missing. */
    mediaState() {
      const stream = this.localStream || new MediaStream();
      return { audio: stream.getAudioTracks().some((t) => t.enabled), video: stream.getVideoTracks().some((t) => t.enabled) };
    }

    sendMediaState(to) {
      const message = Object.assign({ type: "media" }, this.mediaState());
      if (to) message.to = to;
      this.send(message);
    }

    /* Typing, debounced: one "on" every few seconds while keys are pressed, "off" after a pause. */
    typing() {
      const now = Date.now();
      if (!this.typingSentAt || now - this.typingSentAt > 2500) {
        this.typingSentAt = now;
        this.send({ type: "typing", on: true });
      }
      clearTimeout(this.typingTimer);
      this.typingTimer = setTimeout(() => this.typingStopped(), 3000);
    }

    typingStopped() {
      clearTimeout(this.typingTimer);
      if (!this.typingSentAt) return;
      this.typingSentAt = 0;
      this.send({ type: "typing", on: false });
    }

    async shareScreen() {
      if (this.screenStream) { this.stopScreen(); return false; }
      this.screenStream = await navigator.mediaDevices.getDisplayMedia({ video: true });
      const track = this.screenStream.getVideoTracks()[0];
      this.send({ type: "screen", on: true, stream: this.screenStream.id });
      this.links.forEach((link) => { link.screenSender = link.pc.addTrack(track, this.screenStream); });  // renegotiates
      track.onended = () => this.stopScreen();
      return true;
    }

    stopScreen() {
      if (!this.screenStream) return;
      this.screenStream.getTracks().forEach((t) => t.stop());
      this.links.forEach((link) => { if (link.screenSender) link.pc.removeTrack(link.screenSender); link.screenSender = null; });
      this.screenStream = null;
      this.send({ type: "screen", on: false });
    }

    /* The caller's answer to the recording notice. */
    answerRecording(agree) {
      this.send({ type: "recording.consent", agree: !!agree });
    }

    chat(text) {
      // The message itself ends the other side's "typing…" (no separate "off").
      clearTimeout(this.typingTimer);
      this.typingSentAt = 0;
      this.send({ type: "chat", text: text });
    }

    hangUp() {
      this.send({ type: "hangup" });
      this.finish("hangup", this.role);
    }

    finish(reason, by) {
      if (this.ended) return;
      this.ended = true;
      if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
      if (this.screenStream) this.screenStream.getTracks().forEach((t) => t.stop());
      Array.from(this.links.keys()).forEach((peer) => this.removeLink(peer));
      if (this.recorderPc) this.recorderPc.close();
      if (this.socket) this.socket.close();
      this.on.ended(reason, by);
    }
  }

  /* The shared application's form (申请表), as rendered last: each field's declaration and where it is shown. */
  let draftForm = null;

  function showFilled(row) {
    const field = draftForm.fields[row.key];
    const mark = field.mark;
    mark.textContent = "";
    mark.className = "filled-by";
    if (row.filled) {
      mark.textContent = (row.filled.by_clerk ? draftForm.strings.draftFieldByClerk : draftForm.strings.draftFieldBy).replace("%s", row.filled.by);
      if (row.filled.by_clerk) mark.classList.add("by-clerk");
    }
    // A masked ID number is shown, never offered for editing (the mask would be sent back).
    field.input.hidden = row.masked;
    field.masked.hidden = !row.masked;
    field.masked.textContent = row.masked ? row.value : "";
    if (!row.masked && document.activeElement !== field.input) field.input.value = row.value;
    field.row = row;
    field.li.dataset.filled = row.filled ? (row.filled.by_clerk ? "clerk" : "applicant") : "";
  }

  function showFormMissing() {
    const empty = Object.values(draftForm.fields).filter((f) => f.row.required && !f.row.filled).map((f) => f.row.label);
    const box = document.getElementById("draft-form-missing");
    box.textContent = empty.length ? draftForm.strings.draftFormMissing + " " + empty.join("、") : "";
  }

  /* The values a change event carries ({key: {value, masked, filled}}): false when no form is shown yet. */
  function applyDraftForm(changes) {
    if (!draftForm) return false;
    Object.entries(changes).forEach(([key, change]) => {
      if (draftForm.fields[key]) showFilled(Object.assign({}, draftForm.fields[key].row, change, { key: key }));
    });
    showFormMissing();
    return true;
  }

  function renderDraftForm(sessionId, strings, draft) {
    const box = document.getElementById("draft-form");
    box.innerHTML = "";
    document.getElementById("draft-form-box").hidden = !draft.form.length;
    draftForm = { strings: strings, fields: {} };
    draft.form.forEach((row) => {
      const li = document.createElement("li");
      li.dataset.field = row.key;
      const label = document.createElement("label");
      label.htmlFor = "draft-field-" + row.key;
      label.textContent = row.label + (row.required ? " *" : "");
      let input;
      if (row.kind === "choice") {
        input = document.createElement("select");
        input.add(new Option("—", ""));
        row.choices.forEach((c) => input.add(new Option(c.label, c.value)));
      } else if (row.kind === "long_text") {
        input = document.createElement("textarea");
        input.rows = 2;
      } else {
        input = document.createElement("input");
        input.type = row.kind === "date" ? "date" : (row.kind === "phone" ? "tel" : "text");
        if (row.kind === "number") input.inputMode = "decimal";
      }
      input.id = "draft-field-" + row.key;
      if (row.kind !== "choice") input.maxLength = row.max_length;
      input.disabled = draft.submitted;
      // Saved when the member leaves the field (or picks a choice); every screen of the call sees it.
      input.addEventListener("change", async () => {
        const response = await fetch("/api/assist/sessions/" + sessionId + "/draft/form/", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ values: { [row.key]: input.value } }),
        }).catch(() => null);
        const body = response ? await response.json().catch(() => ({})) : {};
        const fieldErrors = (body.fields || {})[row.key];
        error.textContent = response && response.ok ? "" : ((fieldErrors && fieldErrors.join(" ")) || body.detail || strings.draftFailed);
      });
      const masked = document.createElement("span");
      masked.className = "masked-value";
      const mark = document.createElement("span");
      const error = document.createElement("span");
      error.className = "error";
      error.setAttribute("role", "status");
      li.append(label, input, masked, mark, error);
      box.append(li);
      draftForm.fields[row.key] = { li: li, input: input, masked: masked, mark: mark, row: row };
      showFilled(row);
    });
    showFormMissing();
  }

  /* The application shared in the call, as every member sees it (ids of _call_panel.html). */
  async function renderSharedDraft(sessionId, strings, role) {
    const response = await fetch("/api/assist/sessions/" + sessionId + "/draft/").catch(() => null);
    if (!response || !response.ok) return null;
    const draft = await response.json();
    const $ = (id) => document.getElementById(id);
    $("draft-box").hidden = false;
    renderDraftForm(sessionId, strings, draft);
    $("draft-case").textContent = draft.case + " · " + draft.item + " · " + draft.state;
    const list = $("draft-materials");
    list.innerHTML = "";
    draft.materials.forEach((m) => {
      const li = document.createElement("li");
      li.dataset.material = m.id;
      li.textContent = m.name + aside(m.requirement) + (english ? ": " : "：");
      const status = document.createElement("span");
      status.textContent = m.uploaded ? strings.draftUploaded : strings.draftNotUploaded;
      li.append(status);
      if (m.uploaded && m.uploaded.by_clerk) {
        const mark = document.createElement("span");
        mark.className = "badge warn by-clerk";
        mark.textContent = strings.draftByClerk.replace("%s", m.uploaded.by);
        li.append(" ", mark);
      }
      if (m.precheck) {
        const verdict = document.createElement("span");
        verdict.className = "badge precheck " + (m.precheck.verdict === "conforming" ? "ok" : "bad");
        verdict.dataset.verdict = m.precheck.verdict;
        verdict.textContent = m.precheck.verdict_label + (m.precheck.reason ? (english ? ": " : "：") + m.precheck.reason : "")
          + aside([m.precheck.by, place(m.precheck.district, m.precheck.district_en)].filter(Boolean).join(english ? ", " : "，"));
        li.append(" ", verdict);
      }
      if (role === "citizen" && !draft.submitted) {
        // The caller uploads or replaces a file from the call (checked by the cases app like any upload).
        const input = document.createElement("input");
        input.type = "file";
        input.className = "draft-upload";
        input.setAttribute("aria-label", strings.draftReplace + " " + m.name);
        input.addEventListener("change", async () => {
          if (!input.files.length) return;
          const form = new FormData();
          form.append("item_material", m.id);
          form.append("file", input.files[0]);
          const response = await fetch("/api/assist/sessions/" + sessionId + "/draft/materials/", {
            method: "POST", headers: { "X-CSRFToken": csrfToken() }, body: form,
          }).catch(() => null);
          const body = response ? await response.json().catch(() => ({})) : {};
          $("draft-submit-result").textContent = response && response.ok ? "" : (body.detail || strings.draftFailed);
        });
        li.append(" ", input);
      }
      list.append(li);
    });
    const problems = [];
    if (draft.missing.length) problems.push(strings.draftMissing + " " + draft.missing.join("、"));
    if (draft.not_conforming.length) problems.push(strings.draftNotConforming + " " + draft.not_conforming.join("、"));
    $("draft-missing").textContent = problems.join(" ");
    const select = $("precheck-material");
    if (select) {
      const chosen = select.value;
      select.length = 0;
      draft.materials.filter((m) => m.uploaded).forEach((m) => select.add(new Option(m.name, m.id)));
      if (chosen) select.value = chosen;
    }
    // The caller submits; in the console, the clerk who filed the case at their counter (may_submit).
    if ($("draft-submit")) $("draft-submit").hidden = draft.submitted || !draft.may_submit;
    if (role === "clerk" && $("draft-submit") && !$("draft-submit").dataset.bound) {
      $("draft-submit").dataset.bound = "1";
      $("draft-submit").addEventListener("click", async () => {
        const response = await fetch("/api/assist/sessions/" + sessionId + "/draft/submit/", {
          method: "POST", headers: { "X-CSRFToken": csrfToken() },
        }).catch(() => null);
        const body = response ? await response.json().catch(() => ({})) : {};
        $("draft-submit-result").textContent = response && response.ok ? strings.draftSubmitted : (body.detail || strings.draftFailed);
      });
    }
    if (draft.submitted && $("draft-submit-result")) $("draft-submit-result").textContent = strings.draftSubmitted;
    return draft;
  }

  /* A snapshot with marks (a circle and an arrow where to sign), drawn on a canvas; marks are fractions of
   * the image's width and height, so every screen draws them at the same place whatever its size. */
  function drawAnnotated(canvas, url, marks) {
    const image = new Image();
    image.onload = () => {
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(image, 0, 0);
      ctx.strokeStyle = "#d0021b";
      ctx.lineWidth = Math.max(3, canvas.width / 200);
      (marks || []).forEach((m) => {
        const x = m.x * canvas.width, y = m.y * canvas.height, r = Math.max(12, canvas.width / 20);
        ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.stroke();
        // The arrow comes from the upper left towards the circle.
        const fromX = x - 3 * r, fromY = y - 3 * r, toX = x - r * 0.8, toY = y - r * 0.8;
        ctx.beginPath(); ctx.moveTo(fromX, fromY); ctx.lineTo(toX, toY); ctx.stroke();
        ctx.beginPath(); ctx.moveTo(toX, toY); ctx.lineTo(toX - r * 0.5, toY); ctx.moveTo(toX, toY); ctx.lineTo(toX, toY - r * 0.5); ctx.stroke();
      });
      canvas.dataset.marks = String((marks || []).length);
    };
    image.src = url;
  }

  /* The other side's microphone, camera and typing (ids of _call_panel.html), from their "media" and
   * "typing" messages; `counts(peer)` says whose state this page shows (the caller's, on the console). */
  function peerStateView(counts) {
    const $ = (id) => document.getElementById(id);
    const media = new Map();
    let typingTimer = null;
    function render() {
      const states = Array.from(media.entries()).filter(([peer]) => counts(peer)).map(([, state]) => state);
      $("peer-muted").hidden = !states.some((state) => state.audio === false);
      $("peer-camera-off").hidden = !states.some((state) => state.video === false);
    }
    return {
      media(message) {
        const state = media.get(message.peer) || {};
        if (typeof message.audio === "boolean") state.audio = message.audio;
        if (typeof message.video === "boolean") state.video = message.video;
        media.set(message.peer, state);
        render();
      },
      typing(on, peer) {
        if (!counts(peer)) return;
        clearTimeout(typingTimer);
        $("peer-typing").hidden = !on;
        // A lost "off" (a closed tab) does not leave "typing…" up for ever.
        if (on) typingTimer = setTimeout(() => { $("peer-typing").hidden = true; }, 6000);
      },
      members(members) {
        const present = new Set(members.map((m) => m.peer));
        Array.from(media.keys()).forEach((peer) => { if (!present.has(peer)) media.delete(peer); });
        render();
      },
      reset() { media.clear(); clearTimeout(typingTimer); $("peer-typing").hidden = true; render(); },
    };
  }

  window.C9 = window.C9 || {};
  window.C9.english = english;
  window.C9.place = place;
  window.C9.aside = aside;
  window.C9.peerStateView = peerStateView;
  window.C9.drawAnnotated = drawAnnotated;
  window.C9.renderSharedDraft = renderSharedDraft;
  window.C9.AssistCall = AssistCall;
  window.C9.wsUrl = wsUrl;
  window.C9.csrfToken = csrfToken;
})();
