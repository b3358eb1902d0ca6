"""Engine benchmark: the vectorised engine against a plain per-row Python loop.

    python bench/engine.py [--projects 10000] [--outcomes 20] [--years 5]

Times, in one run on the same synthetic portfolio (projects x outcomes x years, three
cost rows a project, codes drawn from the default unit cost table), each best of --runs:
- the baseline: tests/reference_model.py, a literal per-row implementation of METHOD,
  written as a competent person would with loops and dicts (each discount setting's
  factors worked out once, loop invariants outside the year loop);
- the engine's calculation on checked input (``compute_run``): the hot path;
- reading and checking the JSON input (``read_input``), and the whole ``compute``;
checks that engine and baseline agree to 1e-9 relative on every project's headline
figures, and prints the ratios.  Targets (issue 2): calculation under 1 s and at least
50x faster than the baseline.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script or a module


from bench.common import HEADLINE, best_of, portfolio, reference_model_tables
from calculator.engine import compute_run
from calculator.inputs import read_input
from calculator.reference import load_reference
from tests.reference_model import compute_reference


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--outcomes", type=int, default=20)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    parser.add_argument("--unit-costs", help="unit cost table (default: the national table)")
    args = parser.parse_args()

    reference = load_reference(unit_costs=args.unit_costs)
    doc = portfolio(reference, args.projects, args.outcomes, args.years)
    tables = reference_model_tables(reference)
    rows = args.projects * args.outcomes
    print(
        f"portfolio: {args.projects:,} projects x {args.outcomes} outcomes x {args.years} "
        f"years = {rows:,} outcome rows, {args.projects * 3:,} cost rows"
    )

    t_base, expected = best_of(args.runs, lambda: compute_reference(doc, **tables))
    t_read, run = best_of(args.runs, lambda: read_input(doc, reference))
    t_calc, results = best_of(args.runs, lambda: compute_run(run, reference))

    got = results.summary.set_index("project_id")
    worst = 0.0
    for pid, exp in expected.items():
        for name in HEADLINE:
            a, b = got.at[pid, name], exp[name]
            if b is None:
                assert math.isnan(a), (pid, name, a, b)
                continue
            worst = max(worst, abs(a - b) / max(abs(b), 1e-300) if b else abs(a))
    assert worst <= 1e-9, f"engine and baseline disagree: worst relative difference {worst:g}"

    print(f"baseline, plain per-row Python loop:   {t_base:8.3f} s")
    print(
        f"engine calculation (compute_run):      {t_calc:8.3f} s   "
        f"{t_base / t_calc:6.1f}x faster than the baseline"
    )
    print(f"reading and checking the input:        {t_read:8.3f} s")
    print(
        f"engine, check + calculate (compute):   {t_read + t_calc:8.3f} s   "
        f"{t_base / (t_read + t_calc):6.1f}x faster than the baseline"
    )
    print(
        f"agreement: worst relative difference {worst:.1e} over "
        f"{len(expected) * len(HEADLINE):,} figures (limit 1e-9)"
    )
    ok_time = t_calc < 1.0
    ok_ratio = t_base / t_calc >= 50
    print(
        f"targets: calculation under 1 s {'met' if ok_time else 'MISSED'}; "
        f"at least 50x {'met' if ok_ratio else 'MISSED'}"
    )
    assert len(got) == args.projects
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
