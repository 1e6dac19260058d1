#!/usr/bin/env python3
"""Writes the DNS record vectors of ../../shared/corpus as one seed file per input, for the
record fuzz targets: OUT/dmarc, OUT/dkim, OUT/mtasts_record, OUT/mtasts_policy, OUT/tlsrpt.
Usage: python3 records-seeds.py OUT (corpus files are read, never copied into the repository)."""
import json
import pathlib
import sys

corpus = pathlib.Path(__file__).resolve().parent / "../../shared/corpus"
out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/fz/seeds")
seeds = {name: [] for name in ["dmarc", "dkim", "mtasts_record", "mtasts_policy", "tlsrpt"]}
for rel, target in [("dmarc", "dmarc"), ("mta-sts", None), ("tlsrpt", "tlsrpt")]:
    for line in (corpus / rel / "checkdmarc-vectors.jsonl").read_text().splitlines():
        row = json.loads(line)
        name = target or {"mta_sts_record": "mtasts_record", "mta_sts_policy": "mtasts_policy"}.get(row["check"])
        if name and isinstance(row["input"], str):
            seeds[name].append(row["input"])
for line in (corpus / "dkim/key-records.tsv").read_text().splitlines()[1:]:
    seeds["dkim"].append(line.split("\t")[1])
for name, inputs in seeds.items():
    (out / name).mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(inputs):
        (out / name / f"{i:03}").write_bytes(text.encode())
    print(f"{name}: {len(inputs)} seeds in {out / name}")
