"""Developer helper: load a scenario, solve it, audit its proposals, print a compact summary.

Usage: python tools/try_scenario.py PATH_OR_ID [name=value ...]
"""

from __future__ import annotations

import sys

from detente.analysis.audit import audit_proposal
from detente.model.bargaining import disagreement
from detente.model.game import compile_game
from detente.scenario import load, parse_overrides
from detente.solvers.dp import solve_game


def main() -> None:
    scenario = load(sys.argv[1], parse_overrides(sys.argv[2:]))
    g = compile_game(scenario)
    dis = disagreement(g)
    print("free moves:", g.n_free, "initial:", g.ids(g.initial))
    print("no deal values:", dict(zip(g.party_ids, dis.values.round(2), strict=True)), "initial moves reversed without a deal:", g.ids(dis.reversed))
    for prop in scenario.proposals:
        a = audit_proposal(scenario, prop.id, g)
        print(f"\nPROPOSAL {prop.id}: self-enforcing={a.self_enforcing_deal} values={ {k: round(v, 2) for k, v in a.values.items()} }")
        for f in a.failures:
            print("  -", f.sentence)
    r = solve_game(g, scenario.solver.max_transitions)
    print(f"\nSOLVER ({r.seconds:.2f}s, {r.transitions} transitions):")
    if r.best is None:
        print("  no self-enforcing deal")
    else:
        for k, s in enumerate(r.best.stages, 1):
            print(f"  stage {k}:", g.ids(s))
        print("  values:", dict(zip(g.party_ids, r.best.values.round(2), strict=True)))
    e = solve_game(g, scenario.solver.max_transitions, enforce_ic=False, enforce_stable=False)
    if e.best is not None:
        print("IF ENFORCEABLE:", [g.ids(s) for s in e.best.stages], dict(zip(g.party_ids, e.best.values.round(2), strict=True)))


if __name__ == "__main__":
    main()
