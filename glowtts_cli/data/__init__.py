"""Datasets for training: read, check, prepare and batch (layer L4: imports text/ and audio/ only).

* ``manifest.read_manifest(dir)``: the LJSpeech, folder or CSV layout, detected.
* ``validate.check_dataset(dir, frontend)``: every problem at once, with a summary.
* ``prepare.prepare_dataset(dir, run_dir, text=, audio=)``: cached features and the split.
* ``dataset.TextMelDataset``, ``collate``, ``BucketBatchSampler``: batches (the only torch user;
  ``prepare`` imports torch lazily, for the shared mel).

Nothing is imported here, so reading and checking a dataset never loads torch.
"""
