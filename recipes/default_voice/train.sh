#!/usr/bin/env bash
# Step 3 of the recipe: train the default voice with `glowtts train` on the teacher's audio.
# Everything but the held-out test sentences is used (the trainer keeps its own validation split).
# Interrupt it at any time (Ctrl-C, SIGTERM, power loss): running the same command resumes exactly.
#
#   recipes/default_voice/train.sh [slt|rms] [extra glowtts train options...]
#
# The run folder lives outside the checkout, in $GLOWTTS_RUNS/<voice> (default ~/glowtts-runs),
# so that a fresh checkout finds it. When it is gone (or was never made) and the shipped voice
# voices/$SHIPPED exists, a new run starts from the shipped weights (`--init-from`), so no
# progress is lost: the shipped weights are always the best evaluated ones.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
voice=${1:-slt}
shift || true
source_dir=$here/data/$voice
train_dir=$here/data/$voice-train
run_dir=${GLOWTTS_RUNS:-$HOME/glowtts-runs}/$voice
shipped=$here/../../voices/${SHIPPED:-en-us-$voice}

[ -f "$source_dir/metadata.csv" ] || { echo "no $source_dir/metadata.csv: run synthesize.py first" >&2; exit 1; }
mkdir -p "$train_dir/wavs"
[ -L "$train_dir/wavs" ] && rm "$train_dir/wavs" && mkdir "$train_dir/wavs"
# metadata.csv without the test ids, rewritten only when it changes (so a resume sees the same data);
# the clips are hard links to the rendered ones (the dataset checker refuses links that leave the folder).
python - "$here/corpus/test.txt" "$source_dir/metadata.csv" "$train_dir/metadata.csv" <<'PY'
import os
import sys
from pathlib import Path
test_ids = {line.split("|", 1)[0] for line in Path(sys.argv[1]).read_text("utf-8").splitlines() if line}
rows = [line for line in Path(sys.argv[2]).read_text("utf-8").splitlines()
        if line and line.split("|", 1)[0] not in test_ids]
source_wavs = Path(sys.argv[2]).parent / "wavs"
out = Path(sys.argv[3])
for row in rows:
    name = row.split("|", 1)[0] + ".wav"
    if not (out.parent / "wavs" / name).exists():
        os.link(source_wavs / name, out.parent / "wavs" / name)
text = "\n".join(rows) + "\n"
if not out.exists() or out.read_text("utf-8") != text:
    out.write_text(text, "utf-8")
print(f"{len(rows)} training clips ({len(test_ids)} test sentences held out)", file=sys.stderr)
PY
# The `small` preset (~7 M parameters) is what a 2-core CPU can train in days; use `--config base`
# on a GPU. 200k steps is the target; the voice is exported to $run_dir/voice at the end, and
# `glowtts export $run_dir` exports the best checkpoint so far at any time.
init=()
if [ ! -f "$run_dir/run.json" ] && [ -f "$shipped/model.safetensors" ]; then
  echo "no run in $run_dir: starting from the shipped weights in $shipped" >&2
  init=(--init-from "$shipped")
fi
exec glowtts train "$train_dir" --out "$run_dir" --config small --steps 200000 \
  --batch-size 16 --name "glowtts-en-$voice" "${init[@]}" "$@"
