#!/usr/bin/env python3
"""Chat with the MSEv15E2E-TS customer-service API from Python (standard library only).

    python3 examples/python_client.py "Where is order 1?"
    python3 examples/python_client.py --stream --session my-chat "And what is its status?"
    python3 examples/python_client.py --url http://localhost:9080 --api-key "$API_KEY" "Hello"

Prints the agent's answer on stdout (token by token with --stream). The session id and the tool
calls the agent made go to stderr, so stdout holds the answer only. Exit code 0 on success, 1 when
the API answers with an error (its message is printed to stderr) or cannot be reached.

Every message is sent with an Idempotency-Key, so a retry after a timeout or a dropped connection
never runs the turn (an order, a mail) twice; a stream that drops is resumed from its last event id.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import uuid
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterator


class ApiError(Exception):
    """An error the API reported, in its common envelope, or a transport failure."""

    def __init__(self, message: str, code: str = "CLIENT_ERROR", request_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        suffix = f" (request_id {self.request_id})" if self.request_id else ""
        return f"{self.code}: {self.args[0]}{suffix}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Send one message to the customer-service agent.")
    parser.add_argument("message", help="the customer's message")
    parser.add_argument(
        "--url",
        default=os.environ.get("BASE_URL") or "http://localhost:9080",
        help="API base URL (default: $BASE_URL or %(default)s)",
    )
    parser.add_argument(
        "--session",
        default=None,
        help="session id; reuse it to continue a conversation (default: a new random id)",
    )
    parser.add_argument("--tenant", default="default", help="tenant id (default: %(default)s)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("API_KEY") or None,
        help="API key sent as X-API-Key (default: $API_KEY; not needed when the server has no API_KEYS)",
    )
    parser.add_argument("--stream", action="store_true", help="stream the answer as Server-Sent Events")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for the server (default: %(default)s)"
    )
    parser.add_argument(
        "--idempotency-key",
        default=None,
        help="Idempotency-Key of this message (default: a new random one); resend with the same key to retry safely",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="retries after a dropped connection (default: %(default)s)"
    )
    parser.add_argument(
        "--on-busy",
        choices=["enqueue", "reject", "interrupt"],
        default=None,
        help="while another turn runs on the session: wait for it (enqueue, the server's default), "
        "fail with SESSION_BUSY (reject), or stop it and run this one (interrupt)",
    )
    args = parser.parse_args(argv)
    if args.session is None:
        args.session = f"py-{uuid.uuid4().hex[:12]}"
    if args.idempotency_key is None:
        args.idempotency_key = str(uuid.uuid4())
    return args


def base_headers(args: argparse.Namespace) -> dict[str, str]:
    headers = {"Accept": "text/event-stream" if args.stream else "application/json"}
    if args.api_key:
        headers["X-API-Key"] = args.api_key
    return headers


def build_request(args: argparse.Namespace, path: str) -> urllib.request.Request:
    payload: dict[str, Any] = {"session_id": args.session, "message": args.message, "tenant_id": args.tenant}
    if args.stream:
        # The turn finishes even if the connection drops, so the rest can be fetched afterwards.
        payload["on_disconnect"] = "continue"
    if args.on_busy:
        payload["on_busy"] = args.on_busy
    headers = {
        **base_headers(args),
        "Content-Type": "application/json",
        "Idempotency-Key": args.idempotency_key,
    }
    return urllib.request.Request(
        args.url.rstrip("/") + path, data=json.dumps(payload).encode("utf-8"), headers=headers, method="POST"
    )


def resume_request(args: argparse.Namespace, turn_id: str, last_event_id: str | None) -> urllib.request.Request:
    """GET the events of a turn after the last one received (all of them without an id)."""
    query = urllib.parse.urlencode({"tenant_id": args.tenant})
    path = f"/api/v1/sessions/{urllib.parse.quote(args.session, safe='')}/turns/{turn_id}/events?{query}"
    headers = base_headers(args)
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    return urllib.request.Request(args.url.rstrip("/") + path, headers=headers, method="GET")


def error_from_http(err: urllib.error.HTTPError) -> ApiError:
    """Turns a non-2xx response into an ApiError carrying the envelope's code and message."""
    raw = err.read().decode("utf-8", errors="replace")
    try:
        envelope = json.loads(raw)
    except ValueError:
        envelope = None
    if isinstance(envelope, dict) and isinstance(envelope.get("message"), str):
        return ApiError(envelope["message"], str(envelope.get("error", err.code)), envelope.get("request_id"))
    return ApiError(f"HTTP {err.code} {err.reason}: {raw.strip()[:200]}", f"HTTP_{err.code}")


def open_response(request: urllib.request.Request, timeout: float):
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        raise error_from_http(err) from None
    except urllib.error.URLError as err:
        raise ApiError(f"cannot reach {request.full_url}: {err.reason}", "CONNECTION_ERROR") from None


def describe_tool_call(name: str, arguments: Any) -> str:
    return f"[tool] {name} {json.dumps(arguments, ensure_ascii=False)}"


def chat(args: argparse.Namespace) -> None:
    attempt = 0
    while True:
        try:
            with open_response(build_request(args, "/api/v1/chat"), args.timeout) as response:
                result = json.load(response)
            break
        except (ApiError, OSError, http.client.HTTPException) as err:
            # A lost connection or a timeout: the same Idempotency-Key returns the first turn's reply.
            transient = not isinstance(err, ApiError) or err.code == "CONNECTION_ERROR"
            if not transient or attempt >= args.retries:
                raise
            attempt += 1
            print(f"[retrying with the same Idempotency-Key: {err}]", file=sys.stderr)
    for call in result.get("tool_calls", []):
        print(f"{describe_tool_call(call['name'], call.get('arguments'))} -> {call['status']}", file=sys.stderr)
    print(result["message"])
    print(
        f"[session {result['session_id']}, {result['message_count']} messages, request {result['request_id']}]",
        file=sys.stderr,
    )


def sse_events(lines: Iterator[bytes]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Yields the `id:` and JSON payload of each SSE event; `: ping` comments are skipped."""
    data: list[str] = []
    event_id: str | None = None
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield event_id, json.loads("\n".join(data))
            data = []
            event_id = None
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
        elif line.startswith("id:"):
            event_id = line[3:].strip()
    if data:
        yield event_id, json.loads("\n".join(data))


def print_events(events: Iterator[tuple[str | None, dict[str, Any]]], progress: dict[str, str | None]) -> bool:
    """Prints a stream's events; True once the turn is over. `progress` keeps the last event id."""
    for event_id, event in events:
        if event_id:
            progress["last_event_id"] = event_id
        kind = event.get("type")
        if kind == "token":
            sys.stdout.write(event.get("content", ""))
            sys.stdout.flush()
        elif kind == "tool_call":
            print(describe_tool_call(event["name"], event.get("arguments")), file=sys.stderr)
        elif kind == "tool_result":
            print(f"[tool] {event['name']} -> {event['status']}", file=sys.stderr)
        elif kind == "done":
            sys.stdout.write("\n")
            sys.stdout.flush()
            print(
                f"[session {event['session_id']}, {event['message_count']} messages, "
                f"request {event['request_id']}, turn {event.get('turn_id')}]",
                file=sys.stderr,
            )
            return True
        elif kind == "error":
            sys.stdout.write("\n")
            sys.stdout.flush()
            raise ApiError(event.get("message", "the turn failed"), event.get("error", "ERROR"), event.get("request_id"))
    return False


def chat_stream(args: argparse.Namespace) -> None:
    progress: dict[str, str | None] = {"turn_id": None, "last_event_id": None}
    request = build_request(args, "/api/v1/chat/stream")
    for attempt in range(args.retries + 1):
        try:
            with open_response(request, args.timeout) as response:
                progress["turn_id"] = progress["turn_id"] or response.headers.get("X-Turn-ID")
                # HTTPResponse.readline returns each line as soon as it arrives, so tokens print live.
                if print_events(sse_events(iter(response.readline, b"")), progress):
                    return
        except (OSError, http.client.HTTPException) as err:
            if attempt >= args.retries:
                raise
            print(f"\n[stream dropped: {type(err).__name__}]", file=sys.stderr)
        if attempt >= args.retries:
            break
        # Re-attach to the same turn from the last event received; without a turn id yet, the same
        # Idempotency-Key on the POST gets the first turn's events instead of a second run.
        if progress["turn_id"]:
            print(f"[resuming after {progress['last_event_id'] or 'the start'}]", file=sys.stderr)
            request = resume_request(args, progress["turn_id"], progress["last_event_id"])
    sys.stdout.write("\n")
    sys.stdout.flush()
    raise ApiError("the stream ended before the turn was complete", "STREAM_INCOMPLETE")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.stream:
            chat_stream(args)
        else:
            chat(args)
    except ApiError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (OSError, ValueError, http.client.HTTPException) as err:
        # A timeout or dropped connection mid-response, or a body that is not the documented JSON.
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
