"""Sequence numbers, a short replay buffer and presence of the members of a call, in Redis.

The channel layer can drop messages (capacity, expiry) and a socket can drop: every
relayed message gets a number per recipient and stays in a capped list for a while, so
a returning socket asks for what came after the last number it saw.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any, TypeVar, cast

import redis.asyncio as aioredis
from django.conf import settings

RELAYED = frozenset(
    {
        "offer",
        "answer",
        "candidate",
        "chat",
        "screen",
        "media",
        "typing",
        "ice.restart",
        "snapshot.taken",
        "annotation",
    }
)
# The replay buffer of one recipient is bounded by count and by bytes (the oldest go first), so a
# call costs Redis at most BUFFER_LENGTH messages or BUFFER_BYTES per member, whatever is sent.
BUFFER_LENGTH = 200
BUFFER_BYTES = 512 * 1024
BUFFER_SECONDS = 300

_clients: dict[int, aioredis.Redis] = {}


def client() -> aioredis.Redis:
    # One pool per event loop (uvicorn runs one loop per process; tests may run several).
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _clients:
        _clients[loop_id] = aioredis.from_url(settings.REDIS_URL, socket_timeout=5, max_connections=200)
    return _clients[loop_id]


_T = TypeVar("_T")


def _awaited(call: Awaitable[_T] | _T) -> Awaitable[_T]:
    # redis-py annotates the asyncio client with the sync client's `Awaitable[T] | T`;
    # on redis.asyncio every command returns an awaitable.
    return cast("Awaitable[_T]", call)


def _key(session_id: int, recipient: str, part: str) -> str:
    return f"c9:assist:call:{session_id}:{recipient}:{part}"


# One round trip per relayed message: number it, keep it for replay (dropping the oldest beyond the
# count or the bytes), return the numbered JSON. KEYS[3] counts the bytes kept in the list. A chat message
# is also appended to the call's chat history (KEYS[4], ARGV[6]) in the same round trip.
_STAMP = """
if ARGV[6] ~= '' then
  redis.call('RPUSH', KEYS[4], ARGV[6])
  redis.call('LTRIM', KEYS[4], -tonumber(ARGV[7]), -1)
  redis.call('EXPIRE', KEYS[4], ARGV[8])
end
local seq = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
local text = '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2)
redis.call('RPUSH', KEYS[2], text)
local size = redis.call('INCRBY', KEYS[3], string.len(text))
local count = redis.call('LLEN', KEYS[2])
while count > 1 and (count > tonumber(ARGV[3]) or size > tonumber(ARGV[5])) do
  local oldest = redis.call('LPOP', KEYS[2])
  size = redis.call('DECRBY', KEYS[3], string.len(oldest))
  count = count - 1
end
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return text
"""


async def stamp(
    session_id: int, recipient: str, message: dict[str, Any], *, chat_entry: dict[str, Any] | None = None
) -> str:
    """Number the message for its recipient, keep it for replay, return the JSON to send; with
    `chat_entry`, also append it to the call's chat history (one round trip for both)."""
    body = json.dumps({k: v for k, v in message.items() if k != "seq"}, ensure_ascii=False)
    # Redis receives every argument as a string anyway.
    text = await _awaited(
        client().eval(
            _STAMP,
            4,
            _key(session_id, recipient, "seq"),
            _key(session_id, recipient, "buffer"),
            _key(session_id, recipient, "bytes"),
            _chat_key(session_id),
            body,
            str(BUFFER_SECONDS * 12),
            str(BUFFER_LENGTH),
            str(BUFFER_SECONDS),
            str(BUFFER_BYTES),
            json.dumps(chat_entry, ensure_ascii=False) if chat_entry is not None else "",
            str(CHAT_HISTORY_LENGTH),
            str(CHAT_HISTORY_SECONDS),
        )
    )
    return text.decode() if isinstance(text, bytes) else text


async def missed(session_id: int, recipient: str, last_seq: int) -> list[str]:
    raw = await _awaited(client().lrange(_key(session_id, recipient, "buffer"), 0, -1))
    out = []
    for item in raw:
        text = item.decode() if isinstance(item, bytes) else item
        if json.loads(text).get("seq", 0) > last_seq:
            out.append(text)
    return out


async def mark_present(session_id: int, role: str, channel_name: str) -> dict[str, bool]:
    redis = client()
    key = f"c9:assist:call:{session_id}:present"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hset(key, role, channel_name)
        pipe.expire(key, 6 * 3600)
        pipe.hgetall(key)
        _, _, present = await pipe.execute()
    return {(k.decode() if isinstance(k, bytes) else k): True for k in present}


async def mark_absent(session_id: int, role: str, channel_name: str) -> None:
    redis = client()
    key = f"c9:assist:call:{session_id}:present"
    current = await _awaited(redis.hget(key, role))
    # A resumed socket may have replaced us already: only remove our own mark.
    if current is not None and (current.decode() if isinstance(current, bytes) else current) == channel_name:
        await _awaited(redis.hdel(key, role))


# The call's chat, kept for the life of the call (capped), so that a member who reloads the page or
# switches network finds the conversation again (the replay buffer above only covers a dropped socket).
CHAT_HISTORY_LENGTH = 200
CHAT_HISTORY_SECONDS = 6 * 3600


def _chat_key(session_id: int) -> str:
    return f"c9:assist:call:{session_id}:chat"


async def chat_keep(session_id: int, entry: dict[str, Any]) -> None:
    key = _chat_key(session_id)
    async with client().pipeline(transaction=False) as pipe:
        pipe.rpush(key, json.dumps(entry, ensure_ascii=False))
        pipe.ltrim(key, -CHAT_HISTORY_LENGTH, -1)
        pipe.expire(key, CHAT_HISTORY_SECONDS)
        await pipe.execute()


async def chat_history(session_id: int) -> list[dict[str, Any]]:
    raw = await _awaited(client().lrange(_chat_key(session_id), 0, -1))
    return [json.loads(item) for item in raw]
