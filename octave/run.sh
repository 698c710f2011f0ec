#!/bin/sh
# Regenerate octave/reference_run.json: the asker's gradientDescent run in GNU Octave.
# Needs octave-cli (Debian/Ubuntu: apt-get install octave). Usage: octave/run.sh [output.json]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/reference_run.json}
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
command -v octave-cli >/dev/null 2>&1 || {
  echo "error: octave-cli not found; install GNU Octave (e.g. apt-get install octave)" >&2
  exit 1
}
tmp=$out.tmp
cd "$here"
REFERENCE_JSON=$tmp octave-cli --norc --quiet --no-history reference_run.m
mv "$tmp" "$out"
echo "wrote $out"
