/* One-click response: the WebRTC call between a citizen and a clerk (no library, no CDN).
 *
 * Signalling over /ws/assist/call/<session>/ : every message the server relays carries a
 * sequence number; after a dropped socket we reconnect with ?last_seq=N and get what we
 * missed. Renegotiation (screen share on/off) uses the "perfect negotiation" pattern:
 * the citizen is the polite peer and yields on an offer collision, the clerk does not.
 * ICE restarts when the connection stays "disconnected" for a few seconds, or at "failed".
 *
 * Collisions are handled, but avoided where we can: the clerk (impolite) makes the first
 * offer and every ICE restart offer; the citizen adds its tracks when it answers. When the
 * polite side rolls back its own offer while Chromium is still gathering candidates for it,
 * the answer that follows may gather none at all, ever (seen about one call in six when both
 * sides offered at once on joining): ICE then stays "new" on both sides and no restart from
 * the other side recovers it.
 */
(function () {
  "use strict";

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
      this.screenVideo = options.screenVideo || null;
      this.on = Object.assign({ chat() {}, state() {}, ended() {}, screen() {}, peerMedia() {} }, options.on || {});
      this.lastSeq = 0;
      this.polite = false;
      this.makingOffer = false;
      this.ignoreOffer = false;
      this.pc = null;
      this.localStream = null;
      this.screenStream = null;
      this.screenSender = null;
      this.remoteScreenStreamId = null;
      this.tracksAdded = false;
      this.ended = false;
      this.socket = null;
      this.disconnectedTimer = null;
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

    createPeerConnection(iceServers) {
      const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
      this.pc = pc;
      pc.onnegotiationneeded = async () => {
        try {
          this.makingOffer = true;
          await pc.setLocalDescription();
          this.send({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
        } catch (err) {
          console.warn("negotiation", err);
        } finally {
          this.makingOffer = false;
        }
      };
      pc.onicecandidate = ({ candidate }) => { if (candidate) this.send({ type: "candidate", candidate: candidate.toJSON() }); };
      pc.ontrack = ({ track, streams }) => {
        const stream = streams[0] || new MediaStream([track]);
        if (track.kind === "video" && this.remoteScreenStreamId && stream.id === this.remoteScreenStreamId && this.screenVideo) {
          this.screenVideo.srcObject = stream;
          return;
        }
        if (!this.remoteVideo.srcObject || (track.kind === "audio" && this.remoteVideo.srcObject.id !== stream.id && !this.remoteVideo.srcObject.getAudioTracks().length)) {
          this.remoteVideo.srcObject = stream;
        } else if (this.remoteVideo.srcObject.id !== stream.id && track.kind === "video" && this.screenVideo) {
          this.screenVideo.srcObject = stream;  // a second video stream is the shared screen
        }
      };
      // A negotiation that ends with no candidate pair (a trickled candidate lost in a glare, say)
      // leaves ICE at "new" for ever; the impolite side restarts ICE once it has waited long enough.
      pc.onsignalingstatechange = () => {
        clearTimeout(this.stuckTimer);
        if (pc.signalingState !== "stable" || this.polite) return;
        this.stuckTimer = setTimeout(() => {
          if (!this.ended && ["new", "checking"].includes(pc.iceConnectionState)) pc.restartIce();
        }, 5000);
      };
      pc.oniceconnectionstatechange = () => {
        const state = pc.iceConnectionState;
        this.on.state(state);
        clearTimeout(this.disconnectedTimer);
        if (state === "failed") this.restartIce();
        if (state === "disconnected") {
          // "disconnected" comes and goes; restart only when it lasts.
          this.disconnectedTimer = setTimeout(() => {
            if (pc.iceConnectionState === "disconnected") this.restartIce();
          }, 4000);
        }
      };
      return pc;
    }

    /* Only the impolite side makes restart offers: two at once would collide (see the top). */
    restartIce() {
      if (!this.pc) return;
      if (this.polite) this.send({ type: "ice.restart" });
      else this.pc.restartIce();
    }

    resetPeerConnection() {
      const old = this.pc;
      old.onnegotiationneeded = old.onicecandidate = old.ontrack = null;
      old.onsignalingstatechange = old.oniceconnectionstatechange = null;
      clearTimeout(this.stuckTimer);
      clearTimeout(this.disconnectedTimer);
      old.close();
      this.tracksAdded = false;
      this.makingOffer = false;
      this.ignoreOffer = false;
      this.remoteVideo.srcObject = null;
      this.createPeerConnection(this.iceServers);
    }

    addLocalTracks() {
      if (this.tracksAdded || !this.pc) return;
      this.tracksAdded = true;
      this.localStream.getTracks().forEach((track) => this.pc.addTrack(track, this.localStream));
      if (!this.localStream.getVideoTracks().length) this.pc.addTransceiver("video", { direction: "recvonly" });
    }

    async onDescription(description) {
      const pc = this.pc;
      const offerCollision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        this.addLocalTracks();
        await pc.setLocalDescription();
        this.send({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
      }
    }

    async onMessage(message) {
      if (message.seq) this.lastSeq = Math.max(this.lastSeq, message.seq);
      try {
        switch (message.type) {
          case "joined":
            this.polite = message.polite;
            this.iceServers = message.ice_servers;
            if (!this.pc) this.createPeerConnection(message.ice_servers);
            // The impolite side offers first; the polite one adds its tracks when it answers.
            if (message.peer_present && !this.polite) this.addLocalTracks();
            if (message.recorder_present && message.role === "citizen") this.startRecorderLeg();
            this.on.state(message.peer_present ? "peer-present" : "waiting-peer");
            break;
          case "peer.joined":
            if (message.role === "recorder") { if (!this.polite) break; this.startRecorderLeg(); break; }
            this.on.state("peer-present");
            // The other side opened a new page (not a resumed socket): its connection is new, so is ours.
            if (!message.resumed && this.pc && this.pc.remoteDescription) this.resetPeerConnection();
            if (!this.polite) this.addLocalTracks();
            if (message.resumed && this.pc && ["disconnected", "failed"].includes(this.pc.iceConnectionState)) this.restartIce();
            break;
          case "peer.left":
            if (message.role !== "recorder") this.on.state("peer-left");
            break;
          case "offer":
          case "answer":
            if (message.from === "recorder") { if (this.recorderPc) await this.recorderPc.setRemoteDescription({ type: message.type, sdp: message.sdp }); break; }
            await this.onDescription({ type: message.type, sdp: message.sdp });
            break;
          case "candidate":
            if (message.from === "recorder") break;
            try { await this.pc.addIceCandidate(message.candidate); } catch (err) { if (!this.ignoreOffer) console.warn(err); }
            break;
          case "ice.restart":
            // The polite side asks; the impolite side makes the restart offer (one offer, no collision).
            if (this.pc && !this.polite) this.pc.restartIce();
            break;
          case "chat":
            this.on.chat(message.from, message.text);
            break;
          case "screen":
            this.remoteScreenStreamId = message.on ? message.stream : null;
            if (!message.on && this.screenVideo) this.screenVideo.srcObject = null;
            this.on.screen(message.on);
            break;
          case "media":
            this.on.peerMedia(message);
            break;
          case "hangup":
            this.finish("hangup");
            break;
        }
      } catch (err) {
        console.warn("signalling", message.type, err);
      }
    }

    /* Recording for audit: a second, send-only connection to the server's recorder (no trickle: aiortc). */
    async startRecorderLeg() {
      if (this.recorderPc || !this.localStream) return;
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
      const on = tracks.some((t) => t.enabled);
      this.send({ type: "media", audio: on });
      return on;
    }

    toggleVideo() {
      const tracks = this.localStream.getVideoTracks();
      tracks.forEach((t) => { t.enabled = !t.enabled; });
      const on = tracks.some((t) => t.enabled);
      this.send({ type: "media", video: on });
      return on;
    }

    async shareScreen() {
      if (this.screenStream) { this.stopScreen(); return false; }
      this.screenStream = await navigator.mediaDevices.getDisplayMedia({ video: true });
      const track = this.screenStream.getVideoTracks()[0];
      this.send({ type: "screen", on: true, stream: this.screenStream.id });
      this.screenSender = this.pc.addTrack(track, this.screenStream);  // renegotiates
      track.onended = () => this.stopScreen();
      return true;
    }

    stopScreen() {
      if (!this.screenStream) return;
      this.screenStream.getTracks().forEach((t) => t.stop());
      if (this.screenSender) this.pc.removeTrack(this.screenSender);
      this.screenStream = null;
      this.screenSender = null;
      this.send({ type: "screen", on: false });
    }

    chat(text) {
      this.send({ type: "chat", text: text });
    }

    hangUp() {
      this.send({ type: "hangup" });
      this.finish("hangup");
    }

    finish(reason) {
      if (this.ended) return;
      this.ended = true;
      clearTimeout(this.disconnectedTimer);
      if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
      if (this.screenStream) this.screenStream.getTracks().forEach((t) => t.stop());
      if (this.pc) this.pc.close();
      if (this.recorderPc) this.recorderPc.close();
      if (this.socket) this.socket.close();
      this.on.ended(reason);
    }
  }

  window.C9 = window.C9 || {};
  window.C9.AssistCall = AssistCall;
  window.C9.wsUrl = wsUrl;
  window.C9.csrfToken = csrfToken;
})();
