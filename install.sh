#!/bin/sh
# Install omc from this checkout: the release binary, shell completions and man pages.
#
#   ./install.sh                  build, then install into ~/.local (bin/, share/…)
#   ./install.sh --prefix DIR     install into DIR
#   ./install.sh --binary FILE    install FILE (an omc you built already) instead of building
#   ./install.sh --download       fetch this version's release binary and check its SHA-256
#   ./install.sh --uninstall      remove exactly what an earlier install put there
#
# PREFIX in the environment works like --prefix. Running it again upgrades in place.
# --download reads releases from OMC_RELEASE_BASE (default: this checkout's GitHub origin).
# The installer's own files (its manifest, the PowerShell and Elvish completions) go to
# PREFIX/share/omc-install, never to PREFIX/share/omc: that is omc's data dir under ~/.local.
set -eu

prefix=${PREFIX:-"$HOME/.local"}
action=install
binary=
download=

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
              prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --binary) [ $# -ge 2 ] || { echo "install.sh: --binary needs a file" >&2; exit 2; }
              binary=$2; shift 2 ;;
    --binary=*) binary=${1#--binary=}; shift ;;
    --download) download=1; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# Relative paths are the caller's: resolve them before the cd below.
case $prefix in /*) ;; *) prefix=$PWD/$prefix ;; esac
case $binary in /*|'') ;; *) binary=$PWD/$binary ;; esac

own_dir=$prefix/share/omc-install
manifest=$own_dir/install-manifest
# Installs before 0.2 kept their files in omc's data dir; they are moved out on upgrade.
old_dir=$prefix/share/omc
old_manifest=$old_dir/install-manifest

# Remove what an old-layout install left in the data dir, and the dir itself if nothing of the
# user's is in it (an empty 0755 dir there makes omc refuse its default store).
clean_old_layout() {
  rm -f "$old_manifest"
  rmdir "$old_dir/completions" "$old_dir" 2>/dev/null || true
}

if [ "$action" = uninstall ]; then
  [ -f "$manifest" ] || manifest=$old_manifest
  if [ ! -f "$manifest" ]; then
    echo "install.sh: nothing to uninstall: $own_dir/install-manifest not found" >&2
    exit 1
  fi
  while IFS= read -r file; do
    [ -n "$file" ] && rm -f "$file"
  done < "$manifest"
  rm -f "$manifest"
  rmdir "$own_dir/completions" "$own_dir" 2>/dev/null || true
  clean_old_layout
  echo "omc uninstalled from $prefix"
  exit 0
fi

cd "$(dirname "$0")"

# A release archive for this machine, checked against its published SHA-256, instead of a
# build from source (which takes minutes).
fetch_release() {
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
  base=${OMC_RELEASE_BASE:-}
  if [ -z "$base" ]; then
    origin=$(git config --get remote.origin.url 2>/dev/null || true)
    case $origin in
      *github.com[:/]*)
        repo=${origin#*github.com[:/]}
        base=https://github.com/${repo%.git}/releases ;;
    esac
  fi
  if [ -z "$base" ]; then
    echo "install.sh: --download needs to know where releases are: set OMC_RELEASE_BASE (e.g. https://github.com/OWNER/omc/releases)" >&2
    exit 1
  fi
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-musl ;;
    Linux-aarch64|Linux-arm64) target=aarch64-unknown-linux-musl ;;
    Darwin-arm64|Darwin-aarch64) target=aarch64-apple-darwin ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    *) echo "install.sh: no release binary for $(uname -s) $(uname -m); build from source: ./install.sh" >&2; exit 1 ;;
  esac
  name=omc-$version-$target
  url=$base/download/v$version/$name.tar.gz
  work=$(mktemp -d)
  get() { # url file
    if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
    else echo "install.sh: --download needs curl or wget" >&2; return 1
    fi
  }
  echo "downloading $url…"
  if ! get "$url" "$work/$name.tar.gz" || ! get "$url.sha256" "$work/$name.tar.gz.sha256"; then
    rm -rf "$work"
    echo "install.sh: no release of omc $version for $target at $base; build from source: ./install.sh" >&2
    exit 1
  fi
  want=$(cut -d' ' -f1 < "$work/$name.tar.gz.sha256")
  if command -v sha256sum >/dev/null 2>&1; then
    got=$(sha256sum "$work/$name.tar.gz" | cut -d' ' -f1)
  else
    got=$(shasum -a 256 "$work/$name.tar.gz" | cut -d' ' -f1)
  fi
  if [ -z "$want" ] || [ "$got" != "$want" ]; then
    rm -rf "$work"
    echo "install.sh: $name.tar.gz does not match its published SHA-256 (got $got, want $want): not installed" >&2
    exit 1
  fi
  tar xzf "$work/$name.tar.gz" -C "$work"
  binary=$work/$name/omc
  [ -x "$binary" ] || { echo "install.sh: $name.tar.gz holds no omc binary" >&2; rm -rf "$work"; exit 1; }
  echo "checked SHA-256 $got"
}

if [ -n "$download" ]; then
  [ -z "$binary" ] || { echo "install.sh: --download and --binary exclude each other" >&2; exit 2; }
  fetch_release
fi
if [ -n "$binary" ]; then
  [ -x "$binary" ] || { echo "install.sh: --binary $binary is not an executable file" >&2; exit 2; }
else
  if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo (Rust) is needed to build omc and was not found." >&2
    echo "  Install Rust from https://rustup.rs or your package manager, then run ./install.sh again." >&2
    exit 1
  fi
  echo "building omc (release; the first build takes about 5-10 minutes on 2 cores)…"
  cargo build --release --locked --bin omc
  binary=${CARGO_TARGET_DIR:-target}/release/omc
fi

bin=$prefix/bin
bash_dir=$prefix/share/bash-completion/completions
zsh_dir=$prefix/share/zsh/site-functions
fish_dir=$prefix/share/fish/vendor_completions.d
other_dir=$own_dir/completions
man_dir=$prefix/share/man/man1
mkdir -p "$bin" "$bash_dir" "$zsh_dir" "$fish_dir" "$other_dir" "$man_dir"

new_manifest=$(mktemp)
trap 'rm -f "$new_manifest"' EXIT
put() { # source destination mode
  install -m "$3" "$1" "$2"
  echo "$2" >> "$new_manifest"
}

put "$binary" "$bin/omc" 755
put completions/omc.bash "$bash_dir/omc" 644
put completions/_omc "$zsh_dir/_omc" 644
put completions/omc.fish "$fish_dir/omc.fish" 644
put completions/_omc.ps1 "$other_dir/_omc.ps1" 644
put completions/omc.elv "$other_dir/omc.elv" 644
for page in man/*.1; do
  put "$page" "$man_dir/$(basename "$page")" 644
done

# Files an older install had that this one does not are removed, so upgrades leave no strays.
for previous in "$manifest" "$old_manifest"; do
  [ -f "$previous" ] || continue
  while IFS= read -r file; do
    grep -qxF "$file" "$new_manifest" || rm -f "$file"
  done < "$previous"
done
mv "$new_manifest" "$manifest"
trap - EXIT
clean_old_layout

[ -z "${work:-}" ] || rm -rf "$work"
echo "omc $("$bin/omc" --version | cut -d' ' -f2) installed to $bin/omc"
# A new shell reads its rc file, not this one's PATH (which may hold $bin only through an
# `export` typed before this script ran): say once which line keeps omc on PATH, unless the rc
# file already names the directory.
case $bin in
  "$HOME"/*) shown_bin="\$HOME${bin#"$HOME"}" ;;
  *) shown_bin=$bin ;;
esac
case ${SHELL:-} in
  */zsh) rc=$HOME/.zshrc; line="export PATH=\"$shown_bin:\$PATH\"" ;;
  */fish) rc=$HOME/.config/fish/config.fish; line="fish_add_path $shown_bin" ;;
  *) rc=$HOME/.bashrc; line="export PATH=\"$shown_bin:\$PATH\"" ;;
esac
if ! grep -qsF "$bin" "$rc" && ! { [ "$bin" = "$HOME/.local/bin" ] && grep -qs '\.local/bin' "$rc"; }; then
  case ":$PATH:" in
    *":$bin:"*) echo "To keep omc on PATH in new shells, add this line to $rc:" ;;
    *) echo "$bin is not on your PATH. To put it there in new shells, add this line to $rc:" ;;
  esac
  echo "  $line"
fi
