#!/usr/bin/env bash
# Train the bundled voice's own Vocos vocoder (step 3b of the recipe) by distilling HiFi-GAN V1: the
# target of each teacher clip's mel is V1's output for that mel. Pass `--from VOCODER` to start from one.
# Everything but the held-out test sentences is used (the trainer keeps its own validation clips).
# Interrupt it at any time (Ctrl-C, SIGTERM, power loss): running the same command resumes exactly.
# The run lives outside the checkout; export the best checkpoint at any time with
#   glowtts vocoder export ~/glowtts-runs/vocoder-slt-v1 --out DIR
# and try it with `glowtts say "Hello." --vocoder DIR --play`.
#
#   recipes/default_voice/train_vocoder.sh [extra glowtts vocoder train options...]
#
# Background, one torch thread, logging to a file:
#   nohup recipes/default_voice/train_vocoder.sh >> ~/glowtts-runs/vocoder-slt-v1.log 2>&1 &
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$here/data/slt
run_dir=${GLOWTTS_RUNS:-$HOME/glowtts-runs}/vocoder-slt-v1

[ -f "$source_dir/metadata.csv" ] || { echo "no $source_dir/metadata.csv: run synthesize.py first" >&2; exit 1; }
rows=$(grep -c . "$source_dir/metadata.csv")
[ "$rows" -eq 4000 ] || { echo "$source_dir has $rows of 4000 clips: let synthesize.py finish" >&2; exit 1; }
# The `small` Vocos (2.8 M parameters, ~78x faster than HiFi-GAN V1 on one thread) takes 0.27 s
# a step (16 segments of 0.37 s) on an idle CPU core, 0.8-1.1 s on a machine running other jobs:
# 16,000 steps are 1.2 h idle, 4-5 h busy. `glowtts vocoder export` works at any point.
# Distillation: the target of each clip's mel is HiFi-GAN V1's output for that mel (phase
# included), rendered once for a seeded 800 clips (~53 min of audio, ~1 h of one core).
exec glowtts vocoder train "$source_dir" --out "$run_dir" --config small --steps 16000 \
  --batch-size 16 --exclude "$here/corpus/test.txt" --threads 1 \
  --teacher universal --teacher-clips 800 "$@"
