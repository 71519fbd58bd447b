#!/usr/bin/env bash
# Patina's one-command set-up, on Debian or Ubuntu, from a clean clone:
#   ./run.sh demo    install what is missing, then start the demo (Ctrl-C stops it)
#   ./run.sh test    install what is missing, then run the whole test suite
# Extra arguments go to `patina demo` or to pytest.
set -euo pipefail
cd "$(dirname "$0")"

action="${1:-}"
case "$action" in
  demo|test) shift ;;
  *) echo "usage: ./run.sh demo|test [arguments]" >&2; exit 2 ;;
esac

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi

# System packages: the broker, the database, and for the tests a real browser.
packages=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || packages+=(mosquitto)
command -v influxd >/dev/null 2>&1 || packages+=(influxdb)
command -v mosquitto_pub >/dev/null 2>&1 || packages+=(mosquitto-clients)
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || packages+=(python3)
python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)
# Printable reports (WeasyPrint): Pango for layout, DejaVu for Vietnamese and French glyphs.
# grep reads all of ldconfig's output: with pipefail, `grep -q` stopping early fails the pipe.
ldconfig -p 2>/dev/null | grep 'libpangoft2-1.0.so.0' >/dev/null || packages+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
if [ "$action" = test ]; then
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "Installing system packages: ${packages[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

# The virtual environment and the package (editable, so the repository is what runs).
# Installed once: a stamp records what was installed, so a museum server without internet
# can restart the demo. A changed pyproject.toml (new dependencies) installs again.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
target="."
if [ "$action" = test ]; then target=".[test]"; fi
stamp=".venv/patina-installed"
wanted="$target $(sha256sum pyproject.toml | cut -d' ' -f1)"
installed=""
if [ -f "$stamp" ]; then installed=$(cat "$stamp"); fi
# What `test` installs covers what `demo` needs.
if [ "$installed" != "$wanted" ] && ! { [ "$target" = "." ] && [ "$installed" = ".[test] ${wanted#* }" ]; }; then
  echo "Installing Patina into .venv (log: .venv/install.log)"
  if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e "$target"; } \
      > .venv/install.log 2>&1; then
    tail -30 .venv/install.log >&2
    echo "pip failed; the whole log is in .venv/install.log" >&2
    exit 1
  fi
  echo "$wanted" > "$stamp"
fi

# Where PYTHONDONTWRITEBYTECODE is set (containers, CI machines), Python keeps nothing it
# compiles, and every process (the collector, each page server, each command) compiles
# Patina's modules again: they are compiled here once. A module edited since is compiled
# again in memory, as if this had not run.
.venv/bin/python -m compileall -q -j 0 analysis collector dashboard museum patina sensors_sim >/dev/null

if [ "$action" = demo ]; then
  exec .venv/bin/patina demo "$@"
fi
exec .venv/bin/python -m pytest "$@"
