"""aiortc peers that take part in calls through the running system (never inside a consumer).

* `CallPeer`: one side of a call over the signalling socket — sends a synthetic video
  stream and counts the frames it receives (tests, `manage.py assist_probe`).
* `place_call`: the whole path — a clerk console that auto-accepts, a citizen's click
  (POST /api/assist/requests/), the ring, both call sockets, WebRTC media — with timings.
* `RecorderPeer`: a receive-only peer that writes each member's media to a file of its own
  (`manage.py assist_recorder`); `RecorderLeg`: a member's own connection to it.
* `MeshPeer`: one member of a call of N (a full mesh: a connection per other member);
  `add_clerk_to_call` brings an auto-accepting clerk into a running call, with timings.

On loopback and in closed networks: RTCConfiguration(iceServers=[]) — aiortc has no
trickle ICE and would wait for an unreachable public STUN server.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fractions
import json
import logging
import time
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Origin

try:  # aiortc and PyAV are installed with requirements.txt; keep the import error readable
    import av
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
    from aiortc.contrib.media import MediaRelay
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
except ImportError as exc:  # pragma: no cover
    raise ImportError("helpdesk.peers needs aiortc (pip install -r requirements.txt)") from exc


_T = TypeVar("_T")
log = logging.getLogger("helpdesk.recorder")


class ColourBarsTrack(VideoStreamTrack):
    """A synthetic camera: a moving colour bar, 320×240 at 15 fps."""

    def __init__(self, *, width: int = 320, height: int = 240, fps: int = 15):
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._count = 0
        self._started: float | None = None

    async def recv(self) -> av.VideoFrame:
        if self._started is None:
            self._started = time.monotonic()
        target = self._started + self._count / self.fps
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        shade = (self._count * 7) % 255
        for index, plane in enumerate(frame.planes):
            plane.update(bytes([shade if index == 0 else 128]) * plane.buffer_size)
        frame.pts = self._count * (90000 // self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self._count += 1
        return frame


def run_coroutine(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """asyncio.run in a thread of its own: works even where an event loop already runs in this thread
    (a management command called from async code, or a test beside Playwright's sync API)."""
    import threading

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="aiortc-peer")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    value: _T = outcome["value"]
    return value


def ws_headers(session_cookie: str) -> dict[str, str]:
    return {"Cookie": f"sessionid={session_cookie}"}


async def receive_type(socket: ClientConnection, wanted: str | set[str], timeout: float = 15.0) -> dict[str, Any]:
    wanted = {wanted} if isinstance(wanted, str) else wanted
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {sorted(wanted)} within {timeout} s")
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), remaining))
        if message.get("type") in wanted:
            return message


class RecorderLeg:
    """Recording for audit, a member's side: a send-only connection of their own to the recorder, opened once
    the recorder is in the call and the caller agreed to the notice (pushed to every member). The caller's
    peer agrees on their own when the recorder comes (it stands for a caller who clicks "I agree")."""

    def __init__(
        self,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        track: Callable[[], MediaStreamTrack | None],
    ):
        self._send, self._track = send, track
        self.pc: RTCPeerConnection | None = None
        self.role: str | None = None
        self.consent: str | None = None
        self.recorder_present = False
        self._agreed = False

    async def joined(self, message: dict[str, Any]) -> None:
        self.role = message.get("role")
        self.consent = (message.get("recording") or {}).get("consent")
        self.recorder_present = bool(message.get("recorder_present"))
        await self._open()

    async def handle(self, message: dict[str, Any]) -> bool:
        """What concerns the recorder: True when the message was handled here."""
        kind = message.get("type")
        if kind == "peer.joined" and message.get("role") == "recorder":
            await self.close()  # a recorder that (re)joins answers a new connection (a new file)
            self.recorder_present = True
        elif kind == "peer.left" and message.get("role") == "recorder":
            self.recorder_present = False
        elif kind == "recording.consent":
            self.consent = message.get("consent")
        elif message.get("from") == "recorder":
            if kind == "answer" and self.pc is not None:
                await self.pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
            return True
        else:
            return False
        await self._open()
        return True

    async def _open(self) -> None:
        if self.pc is not None or not self.recorder_present:
            return
        if self.role == "citizen" and self.consent is None and not self._agreed:
            self._agreed = True
            # The server relays nothing to the recorder before; the answer comes back to every member.
            await self._send({"type": "recording.consent", "agree": True})
            return
        track = self._track() if self.consent == "given" else None
        if track is None:
            return
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(track)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self._send({"type": "offer", "to": "recorder", "sdp": self.pc.localDescription.sdp})

    async def close(self) -> None:
        if self.pc is not None:
            pc, self.pc = self.pc, None
            await pc.close()


@dataclass
class CallPeer:
    """One member of a call: joins the signalling socket, negotiates, sends video, counts frames."""

    ws_base: str
    origin: str
    session_id: int
    session_cookie: str | None = None
    send_video: bool = True
    recorder_token: str | None = None
    frames_received: int = 0
    first_frame_at: float | None = None
    connected_at: float | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    role: str | None = None

    def __post_init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._first_frame = asyncio.Event()
        self._closed = asyncio.Event()
        self._offered = False
        self._tasks: list[asyncio.Task[None]] = []
        self.socket: ClientConnection | None = None
        self._frame_arrived = asyncio.Event()
        self.last_seq = 0
        self.relay = MediaRelay()
        self.camera: ColourBarsTrack | None = None
        self.recorder = RecorderLeg(self._send, lambda: self.relay.subscribe(self.camera) if self.camera else None)

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self._tasks.append(asyncio.ensure_future(self._consume(track)))

        @self.pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.pc.connectionState == "connected" and self.connected_at is None:
                self.connected_at = time.monotonic()

    async def _consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.frames_received += 1
            self._frame_arrived.set()
            if self.first_frame_at is None:
                self.first_frame_at = time.monotonic()
                self._first_frame.set()

    @property
    def recorder_pc(self) -> RTCPeerConnection | None:
        """This member's connection to the recorder (None until the recorder and the caller's consent)."""
        return self.recorder.pc

    @property
    def url(self) -> str:
        query = f"?recorder_token={self.recorder_token}" if self.recorder_token else ""
        return f"{self.ws_base}/ws/assist/call/{self.session_id}/{query}"

    async def start(self) -> None:
        headers = ws_headers(self.session_cookie) if self.session_cookie else {}
        self.socket = socket = await websockets.connect(
            self.url, additional_headers=headers, origin=Origin(self.origin)
        )
        joined = await receive_type(socket, "joined")
        self.role = joined["role"]
        if self.send_video and self.role != "recorder":
            self.camera = ColourBarsTrack()
            self.pc.addTrack(self.relay.subscribe(self.camera))
        self._tasks.append(asyncio.ensure_future(self._listen()))
        # The citizen makes the first offer once the clerk is there.
        if self.role == "citizen" and joined.get("peer_present"):
            await self._make_offer()
        await self.recorder.joined(joined)

    @property
    def connection(self) -> ClientConnection:
        if self.socket is None:
            raise RuntimeError("CallPeer.start() has not connected yet")
        return self.socket

    async def _send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def _make_offer(self) -> None:
        if self._offered:
            return
        self._offered = True
        if not self.pc.getTransceivers():
            self.pc.addTransceiver("video", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self._send({"type": "offer", "sdp": self.pc.localDescription.sdp})

    async def _listen(self) -> None:
        try:
            async for raw in self.connection:
                message = json.loads(raw)
                self.messages.append(message)
                self.last_seq = max(self.last_seq, int(message.get("seq") or 0))
                kind = message.get("type")
                if await self.recorder.handle(message):
                    continue
                if kind == "peer.joined" and self.role == "citizen":
                    await self._make_offer()
                elif kind == "offer":
                    await self.pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="offer"))
                    await self.pc.setLocalDescription(await self.pc.createAnswer())
                    await self._send({"type": "answer", "sdp": self.pc.localDescription.sdp})
                elif kind == "answer":
                    await self.pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
                elif kind == "hangup":
                    break
        except websockets.ConnectionClosed:
            pass
        finally:
            self._closed.set()

    async def wait_for_frames(self, count: int, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while self.frames_received < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # No await between the count check and clear(): a frame cannot slip in unnoticed.
            self._frame_arrived.clear()
            try:
                await asyncio.wait_for(self._frame_arrived.wait(), remaining)
            except TimeoutError:
                break
        return self.frames_received

    async def first_frame(self, timeout: float = 20.0) -> float:
        await asyncio.wait_for(self._first_frame.wait(), timeout)
        if self.first_frame_at is None:  # _consume sets it before the event
            raise RuntimeError("first frame signalled without its time")
        return self.first_frame_at

    async def chat(self, text: str) -> None:
        await self._send({"type": "chat", "text": text})

    async def hang_up(self, *, wait: float = 5.0) -> None:
        """Hang up and wait until the server confirms (it sends `hangup` to both members after commit)."""
        if self.socket is not None:
            try:
                await self._send({"type": "hangup"})
                await asyncio.wait_for(self._closed.wait(), wait)
            except (websockets.ConnectionClosed, TimeoutError):
                pass

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()
        await self.recorder.close()
        if self.socket is not None:
            await self.socket.close()


@dataclass
class MeshPeer:
    """One member of a call of N members, all aiortc: a connection per other member (a full mesh).

    aiortc gathers its candidates before it answers (no trickle) and has no rollback, so these peers
    avoid offer collisions by a rule of their own instead of the browsers' perfect negotiation: the
    member who joins offers to everyone present, the others answer. (A browser in the same call
    follows call.js's rule; mixing the two is not what this class is for.) In a recorded call each
    member also sends its media to the recorder (`RecorderLeg`).
    """

    ws_base: str
    origin: str
    session_id: int
    session_cookie: str
    me: str = ""
    first_frame_from: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.camera = ColourBarsTrack()
        self.relay = MediaRelay()
        self.socket: ClientConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._frame = asyncio.Event()
        self.recorder = RecorderLeg(self._send, lambda: self.relay.subscribe(self.camera))

    def _pc(self, peer: str) -> RTCPeerConnection:
        if peer not in self.pcs:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            pc.addTrack(self.relay.subscribe(self.camera))
            self.pcs[peer] = pc

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                if track.kind == "video":
                    self._tasks.append(asyncio.ensure_future(self._consume(peer, track)))

        return self.pcs[peer]

    async def _consume(self, peer: str, track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            if peer not in self.first_frame_from:
                self.first_frame_from[peer] = time.monotonic()
                self._frame.set()

    async def _send(self, message: dict[str, Any]) -> None:
        if self.socket is None:
            raise RuntimeError("MeshPeer.start() has not connected yet")
        await self.socket.send(json.dumps(message))

    async def start(self) -> None:
        self.socket = await websockets.connect(
            f"{self.ws_base}/ws/assist/call/{self.session_id}/",
            additional_headers=ws_headers(self.session_cookie),
            origin=Origin(self.origin),
        )
        joined = await receive_type(self.socket, "joined")
        self.me = joined["peer"]
        self._tasks.append(asyncio.ensure_future(self._listen()))
        await self.recorder.joined(joined)
        for peer in joined.get("peers_present", []):
            pc = self._pc(peer)
            await pc.setLocalDescription(await pc.createOffer())
            await self._send({"type": "offer", "sdp": pc.localDescription.sdp, "to": peer})

    async def _listen(self) -> None:
        if self.socket is None:
            return
        try:
            async for raw in self.socket:
                message = json.loads(raw)
                kind, peer = message.get("type"), message.get("peer", "")
                if await self.recorder.handle(message):
                    continue
                if kind == "offer" and peer:
                    pc = self._pc(peer)
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="offer"))
                    await pc.setLocalDescription(await pc.createAnswer())
                    await self._send({"type": "answer", "sdp": pc.localDescription.sdp, "to": peer})
                elif kind == "answer" and peer in self.pcs:
                    await self.pcs[peer].setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
                elif kind == "hangup":
                    break
        except websockets.ConnectionClosed:
            pass

    async def frames_from(self, count: int, timeout: float = 20.0) -> float:
        """Wait until video arrived from `count` other members; the time the last of them arrived."""
        deadline = time.monotonic() + timeout
        while len(self.first_frame_from) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"video from {len(self.first_frame_from)} of {count} members in {timeout} s")
            self._frame.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._frame.wait(), remaining)
        return max(self.first_frame_from.values())

    async def hang_up(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await self._send({"type": "hangup"})

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for pc in self.pcs.values():
            await pc.close()
        await self.recorder.close()
        if self.socket is not None:
            await self.socket.close()


@dataclass
class ThreeWayResult:
    session_id: int
    time_to_ring_ms: float
    time_to_join_ms: float
    first_frame_ms: float
    both_frames_ms: float

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


async def add_clerk_to_call(
    *,
    http_base: str,
    ws_base: str,
    session_id: int,
    host_token: str,
    console: ClientConnection,
    clerk_cookie: str,
    district_code: str,
) -> tuple[ThreeWayResult, MeshPeer]:
    """The clerk holding the call clicks "ring a clerk" (POST …/invites/); the rung clerk's console (already
    available) accepts at once and joins the call; timings in ms since the click, to the first video frame
    the new member receives, and to the moment it receives video from every other member."""
    clicked = time.monotonic()
    await asyncio.to_thread(
        _post_json,
        f"{http_base}/api/assist/sessions/{session_id}/invites/",
        {"district": district_code},
        token=host_token,
        origin=http_base,
    )
    invite = await receive_type(console, "invite", timeout=15)
    rang = time.monotonic()
    await console.send(json.dumps({"type": "invite.accept", "invite": invite["invite"]}))
    await receive_type(console, "call.start", timeout=15)
    joined = time.monotonic()
    peer = MeshPeer(ws_base, http_base, session_id, clerk_cookie)
    await peer.start()
    both = await peer.frames_from(2, timeout=30)
    first = min(peer.first_frame_from.values())
    return (
        ThreeWayResult(
            session_id=session_id,
            time_to_ring_ms=(rang - clicked) * 1000,
            time_to_join_ms=(joined - clicked) * 1000,
            first_frame_ms=(first - clicked) * 1000,
            both_frames_ms=(both - clicked) * 1000,
        ),
        peer,
    )


async def two_peers_floor() -> float:
    """The floor of a call's set-up: two aiortc peers in one process, offer and answer handed over in
    memory, until the first video frame arrives (ms)."""
    start = time.monotonic()
    a, b = RTCPeerConnection(RTCConfiguration(iceServers=[])), RTCPeerConnection(RTCConfiguration(iceServers=[]))
    a.addTrack(ColourBarsTrack())
    arrived = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    @b.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        async def first() -> None:
            await track.recv()
            arrived.set()

        tasks.append(asyncio.ensure_future(first()))

    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    await asyncio.wait_for(arrived.wait(), 20)
    elapsed = (time.monotonic() - start) * 1000
    await a.close()
    await b.close()
    return elapsed


@dataclass
class ProbeResult:
    request_id: int
    session_id: int
    time_to_ring_ms: float
    time_to_accept_ms: float
    time_to_first_frame_ms: float
    citizen_first_frame_ms: float
    clerk_frames: int
    citizen_frames: int

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _post_json(url: str, body: dict[str, Any], *, token: str, origin: str) -> dict[str, Any]:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}", "Origin": origin},
    )
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - scheme checked above
        result: dict[str, Any] = json.loads(response.read())
        return result


async def clerk_console(ws_base: str, origin: str, clerk_cookie: str) -> ClientConnection:
    """A clerk console socket that is available (signed in, heartbeat sent)."""
    console = await websockets.connect(
        f"{ws_base}/ws/assist/console/", additional_headers=ws_headers(clerk_cookie), origin=Origin(origin)
    )
    await receive_type(console, "hello")
    await console.send(json.dumps({"type": "presence", "status": "available"}))
    await receive_type(console, "presence")
    return console


async def place_call(
    *,
    http_base: str,
    ws_base: str,
    citizen_token: str,
    citizen_cookie: str,
    clerk_cookie: str,
    frames: int = 10,
    request_body: dict[str, Any] | None = None,
    hold_seconds: float = 0.0,
) -> ProbeResult:
    """The whole path through the running system; returns timings (ms since the click)."""
    origin = http_base
    console = await clerk_console(ws_base, origin, clerk_cookie)
    citizen_peer = clerk_peer = None
    try:
        clicked = time.monotonic()
        created = await asyncio.to_thread(
            _post_json, f"{http_base}/api/assist/requests/", request_body or {}, token=citizen_token, origin=origin
        )
        ring = await receive_type(console, "ring", timeout=30)
        rang = time.monotonic()
        await console.send(json.dumps({"type": "accept", "offer": ring["offer"]}))
        start = await receive_type(console, "call.start")
        accepted = time.monotonic()
        session_id = start["session"]
        clerk_peer = CallPeer(ws_base, origin, session_id, session_cookie=clerk_cookie)
        citizen_peer = CallPeer(ws_base, origin, session_id, session_cookie=citizen_cookie)
        await clerk_peer.start()
        await citizen_peer.start()
        clerk_first = await clerk_peer.first_frame(timeout=30)
        citizen_first = await citizen_peer.first_frame(timeout=30)
        await clerk_peer.wait_for_frames(frames, timeout=30)
        await citizen_peer.wait_for_frames(frames, timeout=30)
        if hold_seconds:
            await asyncio.sleep(hold_seconds)
        await citizen_peer.hang_up()
        return ProbeResult(
            request_id=created["id"],
            session_id=session_id,
            time_to_ring_ms=(rang - clicked) * 1000,
            time_to_accept_ms=(accepted - clicked) * 1000,
            time_to_first_frame_ms=(clerk_first - clicked) * 1000,
            citizen_first_frame_ms=(citizen_first - clicked) * 1000,
            clerk_frames=clerk_peer.frames_received,
            citizen_frames=citizen_peer.frames_received,
        )
    finally:
        for peer in (citizen_peer, clerk_peer):
            if peer is not None:
                await peer.close()
        await console.close()


@dataclass
class RecordedFile:
    """One member's media, written by the recorder: `path` (absolute), from their connection to the recorder
    until they left the call, reconnected, or the call ended."""

    peer: str
    path: str
    started_at: dt.datetime
    ended_at: dt.datetime
    tracks: int


class MemberFile:
    """One member's media in one MP4 (H.264 video, AAC audio), like aiortc's MediaRecorder but safe for a
    browser's audio and video: nothing is muxed before the video stream knows its size. (MediaRecorder muxes
    whatever arrives first; the first mux opens every encoder, and a browser's first audio frame usually comes
    before its first video frame, so H.264 was opened at 0×0 and the file had no video.) The audio waits for
    the first video frame, queued in its track meanwhile; after `video_wait` seconds without one the video
    gets a size of its own (later frames are scaled to it)."""

    def __init__(self, path: str, *, video_wait: float = 10.0):
        self.container = av.open(path, mode="w")
        self.streams: dict[MediaStreamTrack, Any] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.sized = asyncio.Event()
        self.video_wait = video_wait

    def add(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self.streams[track] = self.container.add_stream("aac")
        else:
            video = self.container.add_stream("libx264", rate=30)
            video.pix_fmt = "yuv420p"
            # The frames' own clock (RTP's 90 kHz): at 1/30 s two frames of a browser's camera less than 33 ms
            # apart got the same time, and the muxer refused the second (EINVAL, non-increasing DTS).
            video.codec_context.time_base = fractions.Fraction(1, 90000)
            self.streams[track] = video

    async def start(self) -> None:
        if not any(track.kind == "video" for track in self.streams):
            self.sized.set()
        self.tasks = [asyncio.ensure_future(self._run(track, stream)) for track, stream in self.streams.items()]

    def _size_video(self, width: int, height: int) -> None:
        if self.sized.is_set():
            return
        for track, stream in self.streams.items():
            if track.kind == "video":
                stream.width, stream.height = width, height
        self.sized.set()

    async def _run(self, track: MediaStreamTrack, stream: Any) -> None:
        if track.kind == "audio":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sized.wait(), self.video_wait)
            self._size_video(640, 480)  # no video frame in time
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, av.VideoFrame):
                self._size_video(frame.width, frame.height)
            self._write(stream, frame)

    def _write(self, stream: Any, frame: Any) -> None:
        """Encode and mux one frame (None: flush); a frame FFmpeg refuses is skipped, not the rest of the track."""
        try:
            for packet in stream.encode(frame):
                self.container.mux(packet)
        except (av.FFmpegError, ValueError):
            log.warning("a %s frame could not be recorded", stream.type, exc_info=True)

    async def stop(self) -> None:
        """Stop the tracks' tasks, flush the encoders and close the file (its index written: always)."""
        for task in self.tasks:
            task.cancel()
        for outcome in await asyncio.gather(*self.tasks, return_exceptions=True):
            if isinstance(outcome, Exception):  # a track's task that died (a cancelled one is no Exception)
                log.warning("a track stopped recording early", exc_info=outcome)
        try:
            self._size_video(640, 480)
            for stream in self.streams.values():
                self._write(stream, None)
        finally:
            self.container.close()


class _RecorderLegIn:
    """The recorder's side of one member's connection, and the file it writes."""

    def __init__(self, peer: str, path: str):
        self.peer, self.path = peer, path
        self.started_at = dt.datetime.now(dt.UTC)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.recorder = MemberFile(path)
        self.tracks = 0

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tracks += 1
            self.recorder.add(track)


class RecorderPeer:
    """Receive-only: joins a call as the recorder and answers each member's own connection to it (the caller,
    the clerk holding the call, every clerk brought in, from their join), writing each member's media to a
    file of its own in `directory` (`<peer id>-<UTC time>.mp4`). A file is complete when its member leaves
    the call, opens a new connection (a reloaded page: a new file) or the call ends; `on_file` is awaited
    with each complete file, and `run` returns them all."""

    def __init__(
        self,
        *,
        ws_base: str,
        origin: str,
        session_id: int,
        token: str,
        directory: str,
        on_file: Callable[[RecordedFile], Awaitable[None]] | None = None,
    ):
        self.ws_base, self.origin, self.session_id, self.token = ws_base, origin, session_id, token
        self.directory, self.on_file = Path(directory), on_file
        self.legs: dict[str, _RecorderLegIn] = {}
        self.files: list[RecordedFile] = []

    async def _open(self, socket: ClientConnection, peer: str, sdp: str) -> None:
        await self._finish(peer)  # the member's earlier connection (if any) is over: its file is complete
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        leg = self.legs[peer] = _RecorderLegIn(peer, str(self.directory / f"{peer}-{stamp}.mp4"))
        await leg.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await leg.pc.setLocalDescription(await leg.pc.createAnswer())
        await socket.send(json.dumps({"type": "answer", "sdp": leg.pc.localDescription.sdp, "to": peer}))
        await leg.recorder.start()

    async def _finish(self, peer: str) -> None:
        leg = self.legs.pop(peer, None)
        if leg is None:
            return
        try:
            await leg.recorder.stop()
        except Exception:  # noqa: BLE001 - a container without a frame cannot be finished; the others go on
            log.warning("recording of %s in call %s could not be finished", peer, self.session_id, exc_info=True)
        await leg.pc.close()
        path = Path(leg.path)
        if not leg.tracks or not path.exists() or path.stat().st_size == 0:
            return
        recorded = RecordedFile(
            peer=peer, path=leg.path, started_at=leg.started_at, ended_at=dt.datetime.now(dt.UTC), tracks=leg.tracks
        )
        self.files.append(recorded)
        if self.on_file is not None:
            await self.on_file(recorded)

    async def run(self, *, max_seconds: float = 4 * 3600) -> list[RecordedFile]:
        """Record until the call ends; returns the files written, one per member's connection."""
        url = f"{self.ws_base}/ws/assist/call/{self.session_id}/?recorder_token={self.token}"
        try:
            async with websockets.connect(url, origin=Origin(self.origin)) as socket:
                await receive_type(socket, "joined")
                deadline = time.monotonic() + max_seconds
                while time.monotonic() < deadline:
                    try:
                        raw = await asyncio.wait_for(socket.recv(), max(0.1, deadline - time.monotonic()))
                    except (TimeoutError, websockets.ConnectionClosed):
                        break
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "offer" and message.get("peer"):
                        await self._open(socket, message["peer"], message["sdp"])
                    elif kind == "members":
                        present = {member["peer"] for member in message.get("members", [])}
                        for peer in [peer for peer in self.legs if peer not in present]:
                            await self._finish(peer)  # the member left the call (or handed it over)
                    elif kind == "hangup":
                        break
        finally:
            for peer in list(self.legs):
                await self._finish(peer)
        return self.files
