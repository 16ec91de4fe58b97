#!/usr/bin/env python3
"""Chat with the MSEv15E2E-TS customer-service API from Python (standard library only).

    python3 examples/python_client.py "Where is order 1?"
    python3 examples/python_client.py --stream --session my-chat "And what is its status?"
    python3 examples/python_client.py --url http://localhost:9080 --api-key "$API_KEY" "Hello"

Prints the agent's answer on stdout (token by token with --stream). The session id and the tool
calls the agent made go to stderr, so stdout holds the answer only. Exit code 0 on success, 1 when
the API answers with an error (its message is printed to stderr) or cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
import urllib.error
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
    args = parser.parse_args(argv)
    if args.session is None:
        args.session = f"py-{uuid.uuid4().hex[:12]}"
    return args


def build_request(args: argparse.Namespace, path: str) -> urllib.request.Request:
    body = json.dumps({"session_id": args.session, "message": args.message, "tenant_id": args.tenant})
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if args.stream else "application/json",
    }
    if args.api_key:
        headers["X-API-Key"] = args.api_key
    return urllib.request.Request(
        args.url.rstrip("/") + path, data=body.encode("utf-8"), headers=headers, method="POST"
    )


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
    with open_response(build_request(args, "/api/v1/chat"), args.timeout) as response:
        result = json.load(response)
    for call in result.get("tool_calls", []):
        print(f"{describe_tool_call(call['name'], call.get('arguments'))} -> {call['status']}", file=sys.stderr)
    print(result["message"])
    print(
        f"[session {result['session_id']}, {result['message_count']} messages, request {result['request_id']}]",
        file=sys.stderr,
    )


def sse_events(lines: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    """Yields the JSON payload of each SSE event; `: ping` comments and other fields are skipped."""
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield json.loads("\n".join(data))
                data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield json.loads("\n".join(data))


def chat_stream(args: argparse.Namespace) -> None:
    with open_response(build_request(args, "/api/v1/chat/stream"), args.timeout) as response:
        # HTTPResponse.readline returns each line as soon as it arrives, so tokens print live.
        for event in sse_events(iter(response.readline, b"")):
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
                    f"request {event['request_id']}]",
                    file=sys.stderr,
                )
                return
            elif kind == "error":
                sys.stdout.write("\n")
                sys.stdout.flush()
                raise ApiError(event.get("message", "the turn failed"), event.get("error", "ERROR"), event.get("request_id"))
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
    except (OSError, ValueError) as err:
        # A timeout or dropped connection mid-response, or a body that is not the documented JSON.
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
