"""The remote's web application (Starlette): the page, pairing, the API and the live socket.

Routes:

- ``GET /`` and ``/static/...``: the page and its own script and style (bundled in the package;
  nothing of a child or a session is in them). Everything else needs a paired device's token.
- ``POST /api/pair`` ``{code, name}``: the pairing code for a token (an HttpOnly, SameSite=Strict
  cookie valid 12 hours, named for this remote); 403 for a wrong code, 429 while pairing is
  locked, 409 when :data:`~soundness_live.live.paired_devices.MAX_PAIRED_DEVICES` are paired.
  The code then pairs nothing more (the laptop shows the next); a browser that still holds a
  token pairs again as the same device, and its old token opens nothing from then on.
- ``GET /api/state``: the engine's state for this device (the polling fallback reads it).
- ``POST /api/command`` ``{command, ...fields}``: one of the page's commands; the engine's reply.
- ``WS /api/live``: the engine's state, trials and notices as they come; commands as
  ``{id, command, ...fields}`` answered by ``{type: "reply", id, ok, ...}``.

Every API call and the socket need the token (401 without one, also for the socket's
handshake); a revoked or expired token stops working on its next request, and an open socket
closes before the next message it would send or take: 4401 when the device was revoked (or
its pairing ended), 4409 when it paired again (its page polls with its new token). A request
that changes anything (POST) and every socket must come from the page's own origin (403
otherwise, CSRF),
to a host named by an IP address or this machine's own name (a DNS name pointing elsewhere,
as in DNS rebinding, gets 421). A body or a socket message over 64 KiB is refused (413, or
the socket closed with 1009) before it is read whole. Every answer carries a strict
Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..activities.common import PROMPT_LEVELS
from ..live.paired_devices import MAX_PAIRED_DEVICES, PAIRING_S, PairedDevice, too_many_devices
from ..players.volume_cap import CAP_RANGE_DBFS
from .bridge import PAGE_COMMANDS, EngineBridge, page_text
from .pairing import (
    COOKIE_PREFIX,
    PairingLock,
    TokenCheck,
    Verdict,
    new_pairing_code,
    new_token,
    token_sha256,
)
from .views import page_reply

if TYPE_CHECKING:
    from .doorkeeper import Doorkeeper

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
OUTBOX_SIZE = 64  # messages queued for one socket; the oldest state goes first when full
REVOKED_CLOSE = 4401  # the socket's close code for a token that no longer opens anything
REPLACED_CLOSE = 4409  # the socket's close code when newer sockets of its device replace it
SOCKETS_PER_DEVICE = 4  # a device's live sockets (tabs, a socket a locked screen left open)
RECHECK_S = 1.0  # an idle socket's token is checked again this often (expiry)
RECANCEL_S = 0.05  # a task still running this long after it was cancelled is cancelled again
CLOSE_WAIT_S = 5.0  # a replaced socket's closing handshake (a slow page is not waited for longer)
NOT_PAIRED = "this device is not paired: enter the code shown on the laptop"
STATIC = resources.files("soundness_live.remote") / "static"


#: What the page needs to draw its controls, sent with the first state.
PAGE_CONSTANTS = {"prompt_levels": list(PROMPT_LEVELS), "volume_range_dbfs": list(CAP_RANGE_DBFS)}


@dataclass
class RemoteContext:
    """What the handlers share: the engine, the pairing code and lock, the tokens, TLS or
    not, the token's cookie (its name is this remote's own), each device's open sockets
    (oldest first), and what the remote tells the engine of itself (``served``: its address,
    fingerprint, TLS and process; the code and the lock are added as they are now)."""

    bridge: EngineBridge
    lock: PairingLock
    tokens: TokenCheck
    tls: bool = False
    sockets: dict[str, list[PageSocket]] = field(default_factory=dict)
    cookie: str = COOKIE_PREFIX
    served: dict[str, Any] = field(default_factory=dict)
    pairing: asyncio.Lock = field(default_factory=asyncio.Lock)  # one pairing at a time
    doorkeeper: Doorkeeper | None = None  # the connections not yet proven paired

    def status(self) -> dict[str, Any]:
        """The remote's status as the engine keeps it for the laptop's screen."""
        return {
            **self.served,
            "pairing_code": self.lock.code,
            "pairing_lock": self.lock.state(),
        }

    def tell_engine(self) -> None:
        """Tell the engine the status now (blocking: from a thread of its own)."""
        reply = self.bridge.request("remote_status", status=self.status())
        if not reply.get("ok"):
            log.warning("the engine did not take the remote's status: %s", reply.get("error"))


def security_headers(connection: HTTPConnection) -> dict[str, str]:
    """Headers on every answer: nothing but the page's own files, never framed, nothing kept."""
    host = connection.headers.get("host", "")
    scheme = "wss" if connection.url.scheme in ("https", "wss") else "ws"
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self' {scheme}://{host}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def host_allowed(connection: HTTPConnection) -> bool:
    """The Host names this machine: an IP address, localhost, or its own host name."""
    host = (connection.url.hostname or "").lower()
    if host in ("localhost", socket.gethostname().lower(), f"{socket.gethostname().lower()}.local"):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def same_origin(connection: HTTPConnection) -> bool:
    """The request's Origin is the page's own (scheme, host and port)."""
    origin = connection.headers.get("origin")
    if origin is None:
        return False
    scheme = "https" if connection.url.scheme in ("https", "wss") else "http"
    return origin == f"{scheme}://{connection.headers.get('host', '')}"


def refusal(status: int, text: str, connection: HTTPConnection) -> JSONResponse:
    """A JSON refusal carrying the security headers."""
    return JSONResponse({"ok": False, "error": text}, status, headers=security_headers(connection))


def answer(body: dict[str, Any], connection: HTTPConnection, status: int = 200) -> JSONResponse:
    """A JSON answer carrying the security headers."""
    return JSONResponse(body, status, headers=security_headers(connection))


def gate(connection: HTTPConnection, context: RemoteContext, write: bool) -> Response | None:
    """The refusal for a request that may not go on (None: it may)."""
    if not host_allowed(connection):
        return refusal(
            421, "this address is not the remote's: use the one the laptop shows", connection
        )
    if write and not same_origin(connection):
        return refusal(
            403, "refused: the request did not come from the remote's own page", connection
        )
    return None


def device_of(connection: HTTPConnection, context: RemoteContext) -> PairedDevice | None:
    """The paired device the request's token belongs to; its connection is then proven (no
    limit of unpaired connections holds it)."""
    device = context.tokens.device(connection.cookies.get(context.cookie))
    if device is not None and context.doorkeeper is not None:
        context.doorkeeper.proven(connection.scope.get("client"))
    return device


class BodyTooBig(Exception):
    """A request's body over :data:`MAX_BODY_BYTES` (said, or found while reading)."""


async def read_body(request: Request) -> bytes:
    """The request's body, read no further than :data:`MAX_BODY_BYTES`: a body said or found
    to be bigger raises :class:`BodyTooBig` before the rest is read (pairing needs no token,
    so anyone on the network could otherwise make the remote hold gigabytes)."""
    said = request.headers.get("content-length", "")
    if said.strip().isdigit() and int(said) > MAX_BODY_BYTES:
        raise BodyTooBig
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooBig
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request) -> dict[str, Any] | None:
    """The request's JSON object (None when it is not one); BodyTooBig over the limit."""
    body = await read_body(request)
    try:
        value = json.loads(body or b"null")
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def too_big(connection: HTTPConnection) -> JSONResponse:
    """The refusal of a body over the limit; the connection is closed after it (the rest of
    the body is never read)."""
    text = f"expected a JSON body of at most {MAX_BODY_BYTES // 1024} KiB; this one is bigger"
    response = refusal(413, text, connection)
    response.headers["Connection"] = "close"
    return response


def make_app(context: RemoteContext) -> Starlette:
    """The remote's web application over ``context``."""

    async def page(request: Request) -> Response:
        refused = gate(request, context, write=False)
        if refused is not None:
            return refused
        with resources.as_file(STATIC / "index.html") as path:
            return FileResponse(path, headers=security_headers(request))

    async def pair(request: Request) -> Response:
        refused = gate(request, context, write=True)
        if refused is not None:
            return refused
        try:
            body = await read_json(request)
        except BodyTooBig:
            return too_big(request)
        if body is None or not isinstance(body.get("code"), str):
            return refusal(400, "expected {code: the 6 digits on the laptop, name}", request)
        async with context.pairing:  # a code pairs one device: the next waits for the new one
            return await pair_device(request, body, context)

    async def state(request: Request) -> Response:
        refused = gate(request, context, write=False)
        if refused is not None:
            return refused
        device = device_of(request, context)
        if device is None:
            return refusal(
                401, "this device is not paired: enter the code shown on the laptop", request
            )
        body = {"ok": True, "reachable": context.bridge.reachable, "device": device.public()}
        body.update(PAGE_CONSTANTS)
        return answer({**body, "state": context.bridge.state()}, request)

    async def command(request: Request) -> Response:
        refused = gate(request, context, write=True)
        if refused is not None:
            return refused
        device = device_of(request, context)
        if device is None:
            return refusal(
                401, "this device is not paired: enter the code shown on the laptop", request
            )
        try:
            body = await read_json(request)
        except BodyTooBig:
            return too_big(request)
        if body is None:
            return refusal(400, "expected a JSON object {command, ...its fields}", request)
        return answer(await run_command(context, device, body), request)

    async def live(websocket: WebSocket) -> None:
        refused = gate(websocket, context, write=True)
        device = device_of(websocket, context) if refused is None else None
        if refused is None and device is None:
            refused = refusal(401, NOT_PAIRED, websocket)
        if refused is not None:
            await websocket.send_denial_response(refused)
            return
        assert device is not None
        live_socket = PageSocket(websocket, context, device)
        same_device = context.sockets.setdefault(device.device_id, [])
        for oldest in same_device[: max(0, len(same_device) - SOCKETS_PER_DEVICE + 1)]:
            oldest.replaced.set()  # its engine messages stop now, whether its page reads or not
            same_device.remove(oldest)
        same_device.append(live_socket)
        try:
            await live_socket.run()
        finally:
            if live_socket in same_device:
                same_device.remove(live_socket)
            if not same_device:
                context.sockets.pop(device.device_id, None)

    routes = [
        Route("/", page),
        Route("/api/pair", pair, methods=["POST"]),
        Route("/api/state", state),
        Route("/api/command", command, methods=["POST"]),
        WebSocketRoute("/api/live", live),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])


async def pair_device(request: Request, body: dict[str, Any], context: RemoteContext) -> Response:
    """Pair the device that gave ``body``'s code (one at a time): its token as a cookie, a
    new code for the next device, the engine told of both at once."""
    right = context.lock.try_code(body["code"].strip())
    if right is None:
        wait_s = max(1, round(context.lock.locked_for_s()))
        headers = {**security_headers(request), "Retry-After": str(wait_s)}
        return JSONResponse(
            {"ok": False, "error": f"too many wrong codes: pairing opens in {wait_s} s",
             "locked_s": wait_s}, 429, headers=headers,
        )  # fmt: skip
    if not right:
        locked_s = context.lock.locked_for_s()
        lock_words = f"; pairing locked for {locked_s:.0f} s" if locked_s > 0 else ""
        log.warning("a wrong pairing code%s", lock_words)
        await run_in_threadpool(context.tell_engine)  # the laptop's screen counts them
        return refusal(403, "that is not the code shown on the laptop", request)
    again = device_of(request, context)  # this browser's token: the device pairs again
    others = [
        d for d in context.tokens.devices() if again is None or d.device_id != again.device_id
    ]
    if len(others) >= MAX_PAIRED_DEVICES:
        log.warning("a device was not paired: %s", too_many_devices(len(others)))
        return refusal(409, too_many_devices(len(others)), request)
    token = new_token()
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    replaces = again.device_id if again is not None else None
    reply = await run_in_threadpool(
        context.bridge.request, "pair_device", token_sha256=token_sha256(token), name=name,
        replaces=replaces,
    )  # fmt: skip
    if not reply.get("ok"):
        error = reply.get("error")
        log.warning("a device was not paired: %s", error)
        return refusal(503, f"the engine could not pair this device: {error}", request)
    context.lock.renew(new_pairing_code())  # the code given pairs nothing more
    await run_in_threadpool(context.tell_engine)  # the laptop's screen shows the new one
    device = reply["device"]
    until = time.strftime("%Y-%m-%d %H:%M", time.localtime(device["expires_at_s"]))
    again_words = ", pairing again (its old token opens nothing now)" if again else ""
    log.info(
        "device %r (%s) paired until %s%s; the next device pairs with %s",
        device["name"], device["device_id"], until, again_words, context.lock.code,
    )  # fmt: skip
    response = answer({"ok": True, "device": device}, request)
    response.set_cookie(
        context.cookie, token, max_age=int(PAIRING_S), path="/", httponly=True,
        samesite="strict", secure=context.tls,
    )  # fmt: skip
    return response


class SecurityHeaders:
    """ASGI middleware: every HTTP answer (the bundled files too) carries the security headers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(HTTPConnection(scope))

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def run_command(
    context: RemoteContext, device: PairedDevice, body: dict[str, Any]
) -> dict[str, Any]:
    """Carry out a page's command through the engine; the reply as the page sees it."""
    kind = body.get("command")
    if not isinstance(kind, str) or kind not in PAGE_COMMANDS:  # a list or an object: no name
        came = repr(kind) if isinstance(kind, str | int | float | None) else type(kind).__name__
        return {
            "ok": False,
            "error": f"the remote cannot {came}; it can {', '.join(sorted(PAGE_COMMANDS))}",
        }
    fields = {key: value for key, value in body.items() if key not in ("command", "id")}
    if not context.bridge.connected:  # a silent engine may still take a QUIET: it is tried
        return {"ok": False, "error": "the engine is unreachable"}
    if kind == "snapshot" and not fields:  # the engine sends every change: no need to ask it
        return {"ok": True, "state": context.bridge.state()}
    reply = await run_in_threadpool(context.bridge.request, kind, **fields)
    return page_reply(kind, reply, device.show_names)


class PageSocket:
    """One page's live socket: the engine's messages out, the page's commands in."""

    def __init__(self, websocket: WebSocket, context: RemoteContext, device: PairedDevice) -> None:
        self.websocket = websocket
        self.context = context
        self.device = device
        self.verdict = Verdict(websocket.cookies.get(context.cookie), device)
        self.outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_SIZE)  # JSON texts
        self.replaced = asyncio.Event()  # set when newer sockets of the device take its place

    def arrived(self, text: str) -> None:
        """An engine message for this page, as the JSON text every page is sent (on the event
        loop); a full outbox drops its oldest."""
        if self.outbox.full():
            self.outbox.get_nowait()
        self.outbox.put_nowait(text)

    def still_paired(self) -> bool:
        """The device's token still opens the remote (not revoked, replaced or expired): the
        verdict kept, looked at again only when the devices' file changed."""
        device = self.context.tokens.still(self.verdict)
        if device is not None:
            self.device = device
        return device is not None

    async def close_unpaired(self) -> None:
        """Close a socket whose token opens nothing now: the device paired again (4409: the
        page polls with its new token) or was revoked or expired (4401: it must pair)."""
        device_id = self.device.device_id
        if any(d.device_id == device_id for d in self.context.tokens.devices()):
            why = "this device paired again: its new token takes this one's place"
            await self.websocket.close(REPLACED_CLOSE, why)
        else:
            await self.websocket.close(REVOKED_CLOSE, "this device's pairing was revoked")

    async def run(self) -> None:
        """Serve the socket until the page or the remote goes, or the device is revoked."""
        await self.websocket.accept()
        bridge = self.context.bridge
        bridge.subscribe(self.arrived)
        try:
            first = {"type": "state", "state": bridge.state()}
            await self.websocket.send_json(
                {
                    "type": "hello",
                    "device": self.device.public(),
                    "reachable": bridge.reachable,
                    **PAGE_CONSTANTS,
                }
            )
            await self.websocket.send_json(first)
            async with _tasks(self._send(), self._receive(), self.replaced.wait()):
                pass
        finally:
            bridge.unsubscribe(self.arrived)
        if self.replaced.is_set():  # a page that never reads is not waited for
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                why = "newer connections of this device took its place"
                await asyncio.wait_for(self.websocket.close(REPLACED_CLOSE, why), CLOSE_WAIT_S)

    async def _send(self) -> None:
        while True:
            try:
                msg = await asyncio.wait_for(self.outbox.get(), RECHECK_S)
            except asyncio.TimeoutError:
                msg = None
            if not self.still_paired():
                await self.close_unpaired()
                return
            if msg is not None:
                await self.websocket.send_text(msg)

    async def _receive(self) -> None:
        while True:
            try:
                text = await self.websocket.receive_text()
            except (WebSocketDisconnect, RuntimeError):
                return
            if not self.still_paired():
                await self.close_unpaired()
                return
            try:
                body = json.loads(text) if len(text) <= MAX_BODY_BYTES else None
            except (ValueError, RecursionError):
                body = None
            if not isinstance(body, dict):
                refused = {"ok": False, "error": "expected a JSON object"}
                await self.outbox.put(page_text({"type": "reply", "id": None, **refused}))
                continue
            reply = await run_command(self.context, self.device, body)
            await self.outbox.put(page_text({"type": "reply", "id": body.get("id"), **reply}))


@contextlib.asynccontextmanager
async def _tasks(*coroutines: Any):
    """Run ``coroutines`` until the first ends; cancel the rest, again until they end.

    Before Python 3.12 ``asyncio.wait_for`` drops a cancellation that arrives as the future it
    awaits completes (a socket's outbox got a message just then): that task goes on as if never
    cancelled, and waiting for it would hold a replaced socket open for good."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        yield
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        pending = set(tasks)
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=RECANCEL_S)
        await asyncio.gather(*tasks, return_exceptions=True)  # their errors, retrieved
