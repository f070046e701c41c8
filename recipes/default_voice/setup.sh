#!/usr/bin/env bash
# Install what the default-voice recipe needs on a Debian machine (run as root, once):
# the teacher voices, the offline text sources, and the recipe's Python packages
# into the active virtualenv (or /work/main/.venv style: activate it first).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  festival festvox-us-slt-hts flite sox \
  fortunes bible-kjv man-db \
  apt bash coreutils curl diffutils dpkg findutils git-man grep gzip less make \
  openssh-client procps sed tar util-linux wget

if [ -z "$(find /usr/share/man/man1 -name 'ls.1*' 2>/dev/null)" ]; then
  echo "warning: no manual pages under /usr/share/man (excluded by dpkg?); the corpus will differ" >&2
fi

python -m pip install -r "$here/requirements.txt"
python -c "import glowtts_cli" 2>/dev/null || python -m pip install -e "$root"
