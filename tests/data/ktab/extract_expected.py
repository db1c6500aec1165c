"""Extract the numbers the SMP tests compare from KTAB's reference log.

Run from the repository root with the log at hand (it is 1.6 MB and not committed)::

    python tests/data/ktab/extract_expected.py PATH/TO/SOE-Pol-Comp.reference.txt

It writes tests/data/ktab/SOE-Pol-Comp.expected.json. Every value is kept as the text KTAB
printed, so that a test compares at exactly the printed precision.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

N_ACTORS = 13


def extract(lines: list[str]) -> dict[str, object]:
    positions: list[list[list[str]]] = []  # per turn, after it: [actor][dim], 4 decimals, 0-100
    current: list[list[str]] = []
    risk: list[list[str]] = []  # per state: "Inferred risk attitudes", 3 decimals
    fractional: list[str] = []
    challenges: list[dict[str, object]] = []
    history_pos: dict[str, list[str]] = {}
    history_prob: dict[str, list[str]] = {}
    turns = None
    section = ""
    # per turn, per actor: its queue as [initiator, target] pairs in KTAB's (thread) order,
    # the queue election's probabilities and the index it chose ([k, k] is the status quo)
    queues: list[dict[str, dict[str, object]]] = []
    actor = -1
    for k, line in enumerate(lines):
        s = line.rstrip()
        if re.match(r"postn \d+ , 0 :$", s):
            current.append(lines[k + 1].split())
            if len(current) == N_ACTORS:
                positions.append(current)
                current = []
        elif s == "Inferred risk attitudes:":
            risk.append([lines[k + 1 + a].strip() for a in range(N_ACTORS)])
        elif s.startswith("Fractional change compared to first step:"):
            fractional.append(s.split(":")[1].split()[0])
        elif m := re.match(
            r"In turn (\d+) actor\s+(\d+) has most advantageous target\s+(\d+) worth (\S+)", s
        ):
            est = re.match(
                r"Est by\s+\d+ of prob (\S+) that \[\s*\d+>\s*\d+\], with expected gain to\s+\d+ of (\S+)",
                next(x for x in lines[k + 1 : k + 4] if x.startswith("Est by")),
            )
            assert est is not None
            brg = next(
                j for j in range(k, k + 12) if re.match(r"Bargain \[\d+, \d+:\d+\] from", lines[j])
            )
            init = lines[brg + 1].split(":")[1].split()
            tgt = lines[brg + 2].split(":")[1].split()
            challenges.append(
                {
                    "turn": int(m[1]),
                    "initiator": int(m[2]),
                    "target": int(m[3]),
                    "worth": m[4],
                    "prob": est[1],
                    "gain": est[2],
                    "initiator_adopts": init,
                    "target_adopts": tgt,
                }
            )
        elif s == "Bargains to be resolved":
            queues.append({})
        elif m := re.match(r"Bargains involving actor\s+(\d+): (.*)$", s):
            pairs = [[int(a), int(b)] for a, b in re.findall(r"\[\d+, (\d+):(\d+)\]", m[2])]
            queues[-1][m[1]] = {"items": pairs, "probabilities": [], "chosen": 0}
        elif m := re.match(r"Doing scalarPCE for the (\d+) bargains of actor\s+(\d+)", s):
            actor = int(m[2])
        elif s == "Probability Opt_i" and actor >= 0:
            q = queues[-1][str(actor)]
            q["probabilities"] = [lines[k + 1 + a].strip() for a in range(len(q["items"]))]  # type: ignore[arg-type]
        elif m := re.match(r"Chosen bargain \( Deterministic \): \d+ (\d+) out of (\d+)", s):
            queues[-1][str(actor)]["chosen"] = int(m[1]) - 1
            actor = -1
        elif m := re.match(r"There were (\d+) states, with (\d+) steps between them", s):
            turns = int(m[2])
        elif s == "History of actor positions over time:":
            section = "pos"
        elif s == "History of actors' winning probabilities:":
            section = "prob"
        elif section == "pos" and ":" in s:
            key, vals = s.split(":", 1)
            history_pos[key.strip()] = vals.split()
        elif section == "prob" and ", prob :" in s:
            key, vals = s.split(":", 1)
            history_prob[key.split(",")[0].strip()] = vals.split()
        elif section and not s.strip():
            section = ""
    return {
        "source": "KTAB repository (KAPSARC/KTAB, MIT licence), examples/smp/doc, SOE-Pol-Comp",
        "turns": turns,
        "positions_after_turn": positions,
        "risk_attitudes": risk,
        "fractional_change": fractional,
        "challenges": challenges,
        "queues": queues,
        "history_positions": history_pos,
        "history_winning_probabilities": history_prob,
    }


def main() -> None:
    log = Path(sys.argv[1])
    out = Path(__file__).with_name("SOE-Pol-Comp.expected.json")
    data = extract(log.read_text(encoding="utf-8").splitlines())
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
