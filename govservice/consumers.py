"""The portal's event socket: one per open page, for the signed-in user."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from govservice.events import district_group, user_group
from govservice.ws_guard import GuardedJsonConsumer

if TYPE_CHECKING:
    from accounts.models import User


class EventsConsumer(GuardedJsonConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept, then close with 4401: a browser cannot read the status of a refused handshake.
            await self.accept()
            await self.close(code=4401)
            return
        self.groups_joined = [user_group(user.pk)]
        # The stubs type the scope's user as a lazy object; ws_auth puts our resolved accounts.User there.
        division_code = await self._clerk_division_code(user)  # type: ignore[arg-type]
        if division_code:
            self.groups_joined.append(district_group(division_code))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username()})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            # A failed leave expires with the group; never crash the close.
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if content.get("type") == "ping":
            await self.send_json({"type": "pong", "t": content.get("t")})

    async def push(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])

    @staticmethod
    async def _clerk_division_code(user: User) -> str | None:
        from channels.db import database_sync_to_async

        @database_sync_to_async
        def lookup() -> str | None:
            if user.role != "clerk":
                return None
            district = user.district  # no query when district_id is None
            return district.division_code if district is not None else None

        return await lookup()
