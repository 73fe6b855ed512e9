"""Kite Connect v3's GTT endpoints (`/gtt/triggers`) over the simulator's GTT book."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from kite_sim.auth import Session
from kite_sim.errors import InputError
from kite_sim.gtt import GttBook

Authorize = Callable[[web.Request], Session]


def _ok(data: object) -> web.Response:
    return web.json_response({"status": "success", "data": data})


def _trigger_id(request: web.Request) -> int:
    text = request.match_info["trigger_id"]
    if not text.isdigit():
        raise InputError("Invalid `trigger_id`.")
    return int(text)


async def _form(request: web.Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.post()).items()}


class GttRoutes:
    """Place, list, read, modify and delete GTTs; every call is authorised first."""

    def __init__(self, book: GttBook, authorize: Authorize) -> None:
        self._book = book
        self._authorize = authorize

    def routes(self) -> list[web.RouteDef]:
        """Return the five GTT routes of Kite Connect v3."""
        return [
            web.post("/gtt/triggers", self.place),
            web.get("/gtt/triggers", self.list),
            web.get("/gtt/triggers/{trigger_id}", self.get),
            web.put("/gtt/triggers/{trigger_id}", self.modify),
            web.delete("/gtt/triggers/{trigger_id}", self.delete),
        ]

    async def place(self, request: web.Request) -> web.StreamResponse:
        """Serve `POST /gtt/triggers`."""
        session = self._authorize(request)
        gtt = self._book.place(session.api_key, session.user_id, await _form(request))
        return _ok({"trigger_id": gtt.trigger_id})

    async def list(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /gtt/triggers`: the GTT book, newest first."""
        session = self._authorize(request)
        return _ok([gtt.to_json() for gtt in self._book.gtts(session.api_key)])

    async def get(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /gtt/triggers/{trigger_id}`."""
        session = self._authorize(request)
        return _ok(self._book.get(session.api_key, _trigger_id(request)).to_json())

    async def modify(self, request: web.Request) -> web.StreamResponse:
        """Serve `PUT /gtt/triggers/{trigger_id}`."""
        session = self._authorize(request)
        form = await _form(request)
        gtt = self._book.modify(session.api_key, _trigger_id(request), form)
        return _ok({"trigger_id": gtt.trigger_id})

    async def delete(self, request: web.Request) -> web.StreamResponse:
        """Serve `DELETE /gtt/triggers/{trigger_id}`."""
        session = self._authorize(request)
        gtt = self._book.delete(session.api_key, _trigger_id(request))
        return _ok({"trigger_id": gtt.trigger_id})
