#!/usr/bin/env bash
# Walks through every endpoint of the MSEv15E2E-TS API with curl:
# probes, a JSON chat turn, a streamed turn, history, feedback, the session list, delete.
#
#   bash examples/curl_examples.sh
#   BASE_URL=http://localhost:9080 API_KEY=my-key TENANT_ID=tenant-a bash examples/curl_examples.sh
#
# BASE_URL   API base URL (default http://localhost:9080)
# API_KEY    sent as X-API-Key when set (needed only when the server has API_KEYS)
# TENANT_ID  tenant of the conversation (default "default"); with API keys it must be the key's tenant
# SESSION_ID session to use (default a new one per run)
#
# Exits non-zero as soon as a call fails (HTTP error, connection refused, or a stream that does not
# end with a `done` event). Needs curl 7.76 or newer (--fail-with-body).
set -euo pipefail

BASE_URL="${BASE_URL:-http://localhost:9080}"
BASE_URL="${BASE_URL%/}"
TENANT_ID="${TENANT_ID:-default}"
SESSION_ID="${SESSION_ID:-curl-demo-$(date +%s)-$$}"

# -sS: no progress bar but real errors; --fail-with-body: non-zero exit on HTTP >= 400 while still
# printing the error envelope.
CURL=(curl -sS --fail-with-body --max-time 120)
AUTH=()
if [[ -n "${API_KEY:-}" ]]; then
  AUTH=(-H "X-API-Key: ${API_KEY}")
fi

step() {
  printf '\n=== %s\n' "$*"
}

# "${AUTH[@]+...}" expands to nothing for an empty array, even under `set -u` on bash 3.2 (macOS).
api() {
  "${CURL[@]}" ${AUTH[@]+"${AUTH[@]}"} "$@"
  printf '\n'
}

STREAM_OUT="$(mktemp)"
trap 'rm -f "$STREAM_OUT"' EXIT

step "GET /health (basic health)"
api "${BASE_URL}/health"

step "GET /health/liveness (liveness probe)"
api "${BASE_URL}/health/liveness"

step "GET /health/readiness (readiness probe: 200 ready|degraded, 503 not_ready)"
api "${BASE_URL}/health/readiness"

step "POST /api/v1/chat (JSON answer) in session ${SESSION_ID}"
api -X POST "${BASE_URL}/api/v1/chat" \
  -H 'Content-Type: application/json' \
  -d "{\"session_id\": \"${SESSION_ID}\", \"tenant_id\": \"${TENANT_ID}\", \"message\": \"Where is my order 1?\"}"

step "POST /api/v1/chat/stream (Server-Sent Events, printed as they arrive)"
# -N turns off curl's output buffering so each `data:` event shows up the moment it is sent.
"${CURL[@]}" -N ${AUTH[@]+"${AUTH[@]}"} -X POST "${BASE_URL}/api/v1/chat/stream" \
  -H 'Content-Type: application/json' \
  -H 'Accept: text/event-stream' \
  -d "{\"session_id\": \"${SESSION_ID}\", \"tenant_id\": \"${TENANT_ID}\", \"message\": \"Please show me order 1.\"}" |
  tee "$STREAM_OUT"
if ! grep -q '"type":"done"' "$STREAM_OUT"; then
  echo "error: the stream did not end with a done event" >&2
  exit 1
fi

step "GET /api/v1/sessions/${SESSION_ID}/history"
api "${BASE_URL}/api/v1/sessions/${SESSION_ID}/history?tenant_id=${TENANT_ID}"

step "POST /api/v1/sessions/${SESSION_ID}/feedback (rate the whole session; with turn_id: one answer)"
api -X POST "${BASE_URL}/api/v1/sessions/${SESSION_ID}/feedback?tenant_id=${TENANT_ID}" \
  -H 'Content-Type: application/json' \
  -d '{"rating": 5, "comment": "Quick and clear."}'

step "GET /api/v1/sessions (most recent activity first)"
api "${BASE_URL}/api/v1/sessions?tenant_id=${TENANT_ID}&limit=10&offset=0"

step "DELETE /api/v1/sessions/${SESSION_ID}"
api -X DELETE "${BASE_URL}/api/v1/sessions/${SESSION_ID}?tenant_id=${TENANT_ID}"

step "GET /api/v1/sessions/${SESSION_ID}/history after delete (expect 404 SESSION_NOT_FOUND)"
status="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 ${AUTH[@]+"${AUTH[@]}"} \
  "${BASE_URL}/api/v1/sessions/${SESSION_ID}/history?tenant_id=${TENANT_ID}")"
echo "HTTP ${status}"
if [[ "$status" != "404" ]]; then
  echo "error: expected 404 for a deleted session, got ${status}" >&2
  exit 1
fi

printf '\nAll calls succeeded.\n'
