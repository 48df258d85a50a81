#!/usr/bin/env bash
# What `omc exec --proxy` costs, side by side: one endpoint served by nginx directly, through
# omc's proxy, and through LiteLLM's proxy (one worker), measured with oha.
#
#   added latency: p50 at concurrency 1 through the proxy minus p50 direct (JSON, then SSE)
#   throughput:    requests/s at concurrency 16 (JSON, then SSE)
#   memory:        omc's RSS before and after 100,000 proxied requests, and its peak
#
# Usage: benches/proxy.sh [SECONDS]   (default 10: each throughput and latency run's length)
# Needs: nginx (Debian's; apt-get install nginx), oha (cargo install oha --locked --root
# target/oha; or on PATH), LiteLLM (installed here into target/litellm-venv from PyPI when
# missing). Builds omc with `cargo build --release` once. Env: SKIP_LITELLM=1 leaves it out;
# REQUESTS (default 100000) for the memory run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-10}
requests=${REQUESTS:-100000}

oha=$(command -v oha || echo "$root/target/oha/bin/oha")
[ -x "$oha" ] || { echo "oha is missing: cargo install oha --locked --root target/oha" >&2; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx is missing: apt-get install nginx" >&2; exit 1; }
if [ "${SKIP_LITELLM:-}" != 1 ] && [ ! -x target/litellm-venv/bin/litellm ]; then
  echo "installing litellm[proxy] (PyPI) into target/litellm-venv…" >&2
  python3 -m venv target/litellm-venv
  target/litellm-venv/bin/pip install --quiet --disable-pip-version-check 'litellm[proxy]'
fi
cargo build --release --locked --quiet --bin omc
omc=$root/target/release/omc

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The endpoint: a fixed OpenAI chat completion, and a fixed SSE stream of one (8 chunks).
key=sk-bench-0123456789abcdef
answer='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Paris is the capital of France."},"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":8,"total_tokens":22}}'
sse=""
for word in Paris " is" " the" " capital" " of" " France" "." ""; do
  sse+="data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"$word\"},\"finish_reason\":null}]}\n\n"
done
sse+='data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":8,"total_tokens":22}}\n\ndata: [DONE]\n\n'
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    location = /v1/chat/completions { default_type application/json; return 200 '$answer'; }
    location = /sse/v1/chat/completions { default_type text/event-stream; return 200 '$sse'; }
  }
}
EOF
"$nginx" -c "$work/nginx.conf" -e "$work/nginx/error.log" &
pids+=($!)
direct=http://127.0.0.1:$nginx_port
for _ in $(seq 50); do curl -sf -o /dev/null -X POST "$direct/v1/chat/completions" && break; sleep 0.1; done

# shellcheck disable=SC2089 # JSON text, passed whole to oha -d
body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is the capital of France?"}],"max_tokens":16}'
# shellcheck disable=SC2089
sbody='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is the capital of France?"}],"max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}'

# A store with two credentials at nginx: JSON answers and SSE answers.
export OMC_HOME=$work/home DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
OMC_MASTER_KEY=$("$omc" init --backend env 2>/dev/null)
export OMC_MASTER_KEY
printf '%s' "$key" | "$omc" add openai --name json --base-url "$direct/v1" --no-validate --key-stdin -q
# (a store keeps a secret once: the SSE credential's key differs; nginx checks none)
printf '%s' "$key-sse" | "$omc" add openai --name sse --base-url "$direct/sse/v1" --no-validate --key-stdin -q

# run_oha LABEL URL AUTH BODY ARGS…: one oha run; prints "LABEL p50_ms rps" and keeps the JSON.
run_oha() {
  local label=$1 url=$2 auth=$3 data=$4
  shift 4
  "$oha" --no-tui --output-format json -m POST -H "Authorization: Bearer $auth" \
    -H 'Content-Type: application/json' -d "$data" "$@" "$url" >"$work/$label.json"
  python3 - "$label" "$work/$label.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
print(f'{sys.argv[1]:<24} p50 {p["p50"]*1000:8.3f} ms  p99 {p["p99"]*1000:8.3f} ms  '
      f'{s["requestsPerSec"]:10.0f} req/s  status {codes}')
PY
}

# Both loads against one base URL and token: p50 at c=1, throughput at c=16, JSON and SSE.
measure() { # NAME BASE_JSON BASE_SSE TOKEN
  run_oha "$1-json-c1" "$2/chat/completions" "$4" "$body" -c 1 -z "${secs}s"
  run_oha "$1-sse-c1" "$3/chat/completions" "$4" "$sbody" -c 1 -z "${secs}s"
  run_oha "$1-json-c16" "$2/chat/completions" "$4" "$body" -c 16 -z "${secs}s"
  run_oha "$1-sse-c16" "$3/chat/completions" "$4" "$sbody" -c 16 -z "${secs}s"
}

echo "== nginx direct"
measure direct "$direct/v1" "$direct/sse/v1" "$key"

echo "== through omc exec --proxy"
export -f run_oha measure
# shellcheck disable=SC2090
export oha work body sbody secs requests
# The proxy's base URLs: one credential per run (both are openai credentials).
# shellcheck disable=SC2016
"$omc" exec --proxy --credential json -- bash -c '
  j=$OPENAI_BASE_URL t=$OPENAI_API_KEY
  "$oha" --no-tui -m POST -H "Authorization: Bearer $t" -d "$body" -n 200 -c 1 "$j/chat/completions" >/dev/null
  echo "omc RSS after 200 requests: $(awk "/VmRSS/{print \$2}" /proc/$PPID/status) kB" >&2
  run_oha omc-json-c1 "$j/chat/completions" "$t" "$body" -c 1 -z "${secs}s"
  run_oha omc-json-c16 "$j/chat/completions" "$t" "$body" -c 16 -z "${secs}s"
  before=$(awk "/VmRSS/{print \$2}" /proc/$PPID/status)
  run_oha omc-json-memory "$j/chat/completions" "$t" "$body" -c 16 -n "$requests"
  after=$(awk "/VmRSS/{print \$2}" /proc/$PPID/status)
  peak=$(awk "/VmHWM/{print \$2}" /proc/$PPID/status)
  echo "omc RSS over $requests requests: before ${before} kB, after ${after} kB, peak ${peak} kB"
'
# shellcheck disable=SC2016
"$omc" exec --proxy --credential sse -- bash -c '
  s=$OPENAI_BASE_URL t=$OPENAI_API_KEY
  run_oha omc-sse-c1 "$s/chat/completions" "$t" "$sbody" -c 1 -z "${secs}s"
  run_oha omc-sse-c16 "$s/chat/completions" "$t" "$sbody" -c 16 -z "${secs}s"
'
"$omc" usage --group-by source

if [ "${SKIP_LITELLM:-}" != 1 ]; then
  echo "== through LiteLLM's proxy (one worker)"
  litellm_port=$(free_port)
  lkey=sk-litellm-bench-master-0123456789abcdef
  cat >"$work/litellm.yaml" <<EOF
general_settings: {master_key: "$lkey"}
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {model: openai/gpt-4o-mini, api_base: "$direct/v1", api_key: "$key"}
  - model_name: gpt-4o-mini-sse
    litellm_params: {model: openai/gpt-4o-mini, api_base: "$direct/sse/v1", api_key: "$key"}
EOF
  (cd "$work" && exec "$root/target/litellm-venv/bin/litellm" --config "$work/litellm.yaml" \
    --host 127.0.0.1 --port "$litellm_port" --num_workers 1 >"$work/litellm.log" 2>&1) &
  pids+=($!)
  lurl=http://127.0.0.1:$litellm_port
  for _ in $(seq 600); do curl -sf -o /dev/null "$lurl/health/liveliness" && break; sleep 0.2; done
  curl -sf -o /dev/null "$lurl/health/liveliness" || { cat "$work/litellm.log" >&2; exit 1; }
  lsbody=${sbody/gpt-4o-mini/gpt-4o-mini-sse}
  run_oha litellm-json-c1 "$lurl/v1/chat/completions" "$lkey" "$body" -c 1 -z "${secs}s"
  run_oha litellm-sse-c1 "$lurl/v1/chat/completions" "$lkey" "$lsbody" -c 1 -z "${secs}s"
  run_oha litellm-json-c16 "$lurl/v1/chat/completions" "$lkey" "$body" -c 16 -z "${secs}s"
  run_oha litellm-sse-c16 "$lurl/v1/chat/completions" "$lkey" "$lsbody" -c 16 -z "${secs}s"
fi

echo "== summary"
python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
def get(name):
    path = os.path.join(w, name + ".json")
    if not os.path.exists(path):
        return None
    r = json.load(open(path))
    return r["latencyPercentiles"]["p50"] * 1000, r["summary"]["requestsPerSec"]
for kind in ("json", "sse"):
    d1, o1, l1 = get(f"direct-{kind}-c1"), get(f"omc-{kind}-c1"), get(f"litellm-{kind}-c1")
    d16, o16, l16 = get(f"direct-{kind}-c16"), get(f"omc-{kind}-c16"), get(f"litellm-{kind}-c16")
    print(f"{kind}: added p50 at c=1: omc {o1[0]-d1[0]:.3f} ms (goal <= 0.2)"
          + (f", LiteLLM {l1[0]-d1[0]:.3f} ms" if l1 else ""))
    line = f"{kind}: c=16: direct {d16[1]:.0f}/s, omc {o16[1]:.0f}/s = {o16[1]/d16[1]:.2f}x direct (goal >= 0.5)"
    if l16:
        line += f", LiteLLM {l16[1]:.1f}/s: omc = {o16[1]/l16[1]:.0f}x LiteLLM (goal >= 100)"
    print(line)
PY
