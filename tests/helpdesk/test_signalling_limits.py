"""The replay buffer of a call member, in the real Redis: bounded by count and by bytes."""

from __future__ import annotations

import asyncio
import json

from helpdesk import signalling
from helpdesk.signalling import _awaited


def test_the_replay_buffer_keeps_at_most_its_count_and_its_bytes_and_the_newest():
    async def scenario():
        redis = signalling.client()
        session = 900_000 + (id(scenario) % 1000)
        key = signalling._key(session, "clerk", "buffer")
        await redis.delete(key, signalling._key(session, "clerk", "bytes"), signalling._key(session, "clerk", "seq"))
        # 40 frames of 60 KB: 2.4 MB offered, far over the bytes bound.
        for n in range(40):
            await signalling.stamp(session, "clerk", {"type": "chat", "text": f"{n:03d}" + "x" * 60_000})
        big_len, big_bytes = (
            await _awaited(redis.llen(key)),
            int(await redis.get(signalling._key(session, "clerk", "bytes"))),
        )
        big_total = sum(len(item) for item in await _awaited(redis.lrange(key, 0, -1)))
        newest = json.loads((await _awaited(redis.lrange(key, -1, -1)))[0])
        # 1000 small frames: the count bound.
        for n in range(1000):
            await signalling.stamp(session, "clerk", {"type": "candidate", "candidate": str(n)})
        small_len = await _awaited(redis.llen(key))
        missed = await signalling.missed(session, "clerk", 0)
        await redis.delete(key, signalling._key(session, "clerk", "bytes"), signalling._key(session, "clerk", "seq"))
        return big_len, big_bytes, big_total, newest, small_len, missed

    big_len, big_bytes, big_total, newest, small_len, missed = asyncio.run(scenario())
    assert big_total == big_bytes <= signalling.BUFFER_BYTES
    assert big_len == signalling.BUFFER_BYTES // 60_050  # as many whole frames as fit
    assert newest["text"].startswith("039") and newest["seq"] == 40
    assert small_len == signalling.BUFFER_LENGTH
    assert json.loads(missed[-1])["seq"] == 1040
