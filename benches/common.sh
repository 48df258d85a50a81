# Shared by the bench_*.sh scripts: build the release binaries, start the fake provider as its
# own process, and give omc a throwaway store with one credential pointing at it.
# shellcheck shell=bash

cd "$(dirname "$0")/.." || exit 1
root=$PWD

build() { # [PROFILE] (default release)
  local profile=${1:-release}
  echo "building $profile binaries (omc, examples/fake_provider)…" >&2
  # Two builds: the example's dev-dependencies would unify features into omc's dependencies
  # and give a different binary (more code, 50 % more data to relocate at start) from the one
  # `install.sh` builds. Each feature set is cached, so the second build is a link at most.
  cargo build --profile "$profile" --locked --quiet --example fake_provider
  cargo build --profile "$profile" --locked --quiet --bin omc
  omc=$root/target/$profile/omc
  fake_bin=$root/target/$profile/examples/fake_provider
}

work=$(mktemp -d)
fake_pid=
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

key=sk-bench-0123456789abcdef

# start_fake ARGS…: start the fake provider; sets $base_url.
start_fake() {
  "$fake_bin" --key "$key" "$@" >"$work/fake.out" 2>"$work/fake.err" &
  fake_pid=$!
  for _ in $(seq 1 100); do
    base_url=$(head -n1 "$work/fake.out" 2>/dev/null || true)
    [ -n "$base_url" ] && break
    sleep 0.05
  done
  [ -n "$base_url" ] || { cat "$work/fake.err" >&2; echo "the fake provider did not start" >&2; exit 1; }
}

# new_home: a fresh store with an `openai` credential pointing at the fake.
new_home() {
  export OMC_HOME=$work/home-$RANDOM
  export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
  OMC_MASTER_KEY=$("$omc" init --backend env 2>/dev/null)
  export OMC_MASTER_KEY
  printf '%s' "$key" | "$omc" add openai --base-url "$base_url" --model fake-model-1 \
    --no-validate --key-stdin -q
}
