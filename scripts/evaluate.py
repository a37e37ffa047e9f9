#!/usr/bin/env python3
"""Evaluates mailintake's classifier against a folder of labelled .eml files.

The folder holds one RFC 5322 file per message and a labels.json mapping each file name to
{field, secondary_fields, sender_type, legal_kind, intent, language} (the format of the
office's taxonomy). The script runs `mailintake classify --json` once over every file (no
database, no server), then prints per-label accuracy, the confusion matrix for field and every
message it got wrong, with the evidence that decided each wrong label.

  scripts/evaluate.py [--binary PATH] [--config FILE] [--targets] FOLDER

--targets exits 1 when field < 90 %, sender type < 95 %, intent < 85 % or language < 98 %.
"""
import argparse
import json
import os
import subprocess
import sys

LABELS = ["field", "sender_type", "legal_kind", "intent", "language"]
TARGETS = {"field": 0.90, "sender_type": 0.95, "intent": 0.85, "language": 0.98}
FIELDS = ["economy", "culture", "sport", "education", "tourism", "humanitarian", "social", "other"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--binary", default=os.environ.get("MAILINTAKE_BINARY", ".build/debug/mailintake"))
    parser.add_argument("--config", help="a mailintake.conf whose [classifier] and [web_form] sections to use")
    parser.add_argument("--web-form-sender", default="noreply@maribor.example", help="the address the office web form sends from (the corpus uses noreply@maribor.example)")
    parser.add_argument("--vocabulary", help="the vocabulary folder (default: the binary's search path)")
    parser.add_argument("--targets", action="store_true", help="exit 1 below the issue's targets")
    args = parser.parse_args()

    with open(os.path.join(args.folder, "labels.json"), encoding="utf-8") as handle:
        expected = json.load(handle)
    names = sorted(expected)
    command = [args.binary, "classify", "--json", "--web-form-sender", args.web_form_sender]
    if args.config:
        command = [args.binary, "--config", args.config] + command[1:]
    if args.vocabulary:
        command += ["--vocabulary", args.vocabulary]
    command += [os.path.join(args.folder, name) for name in names]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"evaluate: {' '.join(command[:3])} failed ({run.returncode}): {run.stderr.strip()}")
    results = json.loads(run.stdout)
    if isinstance(results, dict):
        results = [results]
    got = {os.path.basename(item["file"]): item for item in results}

    print(f"{len(names)} messages in {args.folder}\n")
    print(f"{'label':<18}{'right':>7}{'of':>5}{'accuracy':>10}{'target':>8}")
    failed = False
    for label in LABELS + ["secondary_fields"]:
        right = sum(1 for n in names if norm(label, got[n].get(label)) == norm(label, expected[n].get(label)))
        share = right / len(names)
        target = TARGETS.get(label)
        mark = ""
        if target is not None:
            mark = f"{target:>7.0%}" + (" " if share >= target else "!")
            failed |= share < target
        print(f"{label:<18}{right:>7}{len(names):>5}{share:>10.1%}{mark:>8}")
    both = sum(1 for n in names if all(norm(l, got[n].get(l)) == norm(l, expected[n].get(l)) for l in LABELS))
    print(f"{'all five':<18}{both:>7}{len(names):>5}{both / len(names):>10.1%}")

    print("\nfield confusion (rows: expected, columns: classified)")
    short = [f[:5] for f in FIELDS]
    print(" " * 14 + "".join(f"{s:>7}" for s in short))
    for want in FIELDS:
        row = [sum(1 for n in names if expected[n]["field"] == want and got[n]["field"] == have) for have in FIELDS]
        print(f"{want:<14}" + "".join(f"{c if c else '.':>7}" for c in row))

    wrong = [n for n in names if any(norm(l, got[n].get(l)) != norm(l, expected[n].get(l)) for l in LABELS)]
    print(f"\n{len(wrong)} messages with a wrong label")
    for name in wrong:
        item = got[name]
        diffs = [f"{l} {expected[name].get(l)} → {item.get(l)}" for l in LABELS
                 if norm(l, item.get(l)) != norm(l, expected[name].get(l))]
        print(f"  {name}: {'; '.join(diffs)}   (subject: {item.get('subject', '')[:60]})")
        for line in item.get("evidence", []):
            if any(line.startswith(l.replace("legal_kind", "sender_type") + "=") for l in LABELS
                   if norm(l, item.get(l)) != norm(l, expected[name].get(l))):
                print(f"      {line[:150]}")
    if args.targets and failed:
        sys.exit(1)


def norm(label, value):
    if label == "secondary_fields":
        return tuple(sorted(value or []))
    return value


if __name__ == "__main__":
    main()
