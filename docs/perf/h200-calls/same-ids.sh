#!/usr/bin/env bash
# Greedy ids of the demo model on CUDA from bundle/$BASE and bundle: the same kernels, so they must agree exactly.
m=/tmp/demo-model.gguf
python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('bundle/lib/lte4j-cli.jar').read('org/lte4j/cli/default-model.gguf'))" > "$m"
for mode in "" --dense; do
  for b in "bundle/${BASE:-base}" bundle; do
    ids=$(timeout 120 bash "$b/run-on-gpu.sh" org.lte4j.cli.Main generate --model "$m" --device cuda --prompt "ROMEO:" --max-tokens 120 --print-ids $mode 2>/tmp/err.txt | tail -1)
    echo "$b ${mode:-sparse}: $(echo "$ids" | md5sum | cut -c1-12) $(echo "$ids" | wc -w) ids; $(tail -1 /tmp/err.txt)"
  done
done
