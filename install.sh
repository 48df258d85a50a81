#!/bin/sh
# Install omc from this checkout: the release binary, shell completions and man pages.
#
#   ./install.sh                  install into ~/.local (bin/, share/…)
#   ./install.sh --prefix DIR     install into DIR
#   ./install.sh --uninstall      remove exactly what an earlier install put there
#
# PREFIX in the environment works like --prefix. Running it again upgrades in place.
set -eu

prefix=${PREFIX:-"$HOME/.local"}
action=install

usage() {
  sed -n '2,9s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
              prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

manifest=$prefix/share/omc/install-manifest

if [ "$action" = uninstall ]; then
  if [ ! -f "$manifest" ]; then
    echo "install.sh: nothing to uninstall: $manifest not found" >&2
    exit 1
  fi
  while IFS= read -r file; do
    [ -n "$file" ] && rm -f "$file"
  done < "$manifest"
  rm -f "$manifest"
  rmdir "$prefix/share/omc/completions" "$prefix/share/omc" 2>/dev/null || true
  echo "omc uninstalled from $prefix"
  exit 0
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "install.sh: cargo (Rust) is needed to build omc and was not found." >&2
  echo "  Install Rust from https://rustup.rs or your package manager, then run ./install.sh again." >&2
  exit 1
fi

cd "$(dirname "$0")"
echo "building omc (release)…"
cargo build --release --locked --quiet --bin omc

bin=$prefix/bin
bash_dir=$prefix/share/bash-completion/completions
zsh_dir=$prefix/share/zsh/site-functions
fish_dir=$prefix/share/fish/vendor_completions.d
other_dir=$prefix/share/omc/completions
man_dir=$prefix/share/man/man1
mkdir -p "$bin" "$bash_dir" "$zsh_dir" "$fish_dir" "$other_dir" "$man_dir"

new_manifest=$(mktemp)
trap 'rm -f "$new_manifest"' EXIT
put() { # source destination mode
  install -m "$3" "$1" "$2"
  echo "$2" >> "$new_manifest"
}

put target/release/omc "$bin/omc" 755
put completions/omc.bash "$bash_dir/omc" 644
put completions/_omc "$zsh_dir/_omc" 644
put completions/omc.fish "$fish_dir/omc.fish" 644
put completions/_omc.ps1 "$other_dir/_omc.ps1" 644
put completions/omc.elv "$other_dir/omc.elv" 644
for page in man/*.1; do
  put "$page" "$man_dir/$(basename "$page")" 644
done

# Pages an older install had that this one does not are removed, so upgrades leave no strays.
if [ -f "$manifest" ]; then
  while IFS= read -r file; do
    grep -qxF "$file" "$new_manifest" || rm -f "$file"
  done < "$manifest"
fi
mv "$new_manifest" "$manifest"
trap - EXIT

echo "omc $("$bin/omc" --version | cut -d' ' -f2) installed to $bin/omc"
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "note: $bin is not on your PATH; add it, e.g. export PATH=\"$bin:\$PATH\"" ;;
esac
