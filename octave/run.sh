#!/bin/sh
# Regenerate octave/reference_run.json: the asker's gradientDescent run in GNU Octave.
# Needs octave-cli (Debian/Ubuntu: apt-get install octave), or OCTAVE=/path/to/octave-cli.
# Usage: octave/run.sh [output.json]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/reference_run.json}
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
octave=${OCTAVE:-octave-cli}
command -v "$octave" >/dev/null 2>&1 || {
  echo "error: $octave not found; install GNU Octave (apt-get install octave) or set OCTAVE=/path" >&2
  exit 1
}
tmp=$out.tmp
cd "$here"
REFERENCE_JSON=$tmp "$octave" --norc --quiet --no-history reference_run.m
mv "$tmp" "$out"
echo "wrote $out"
