"""Uncertainty benchmark: the vectorised Monte Carlo against a per-draw Python loop.

    python bench/uncertainty.py [--simulations 10000]

Times, in one run:
- one project of 20 outcomes over 5 years, ``--simulations`` draws, vectorised
  (target, issue 5: 10,000 draws in under half a second);
- the baseline: tests/slow_monte_carlo.py, which recomputes the project with the
  per-row reference model once per draw, timed on ``--baseline-draws`` draws and scaled
  to the same number of draws (per-draw cost is constant);
- a 100-project portfolio x ``--simulations`` draws, with its peak memory traced, to
  show memory stays bounded (each project is simulated in chunks of 2,000 draws).
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script or a module


from bench.common import best_of, portfolio, reference_model_tables
from calculator.appraisal import appraise
from calculator.inputs import read_input
from calculator.reference import load_reference
from calculator.uncertainty import simulate
from tests.slow_monte_carlo import simulate_slowly


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulations", type=int, default=10_000)
    parser.add_argument("--baseline-draws", type=int, default=200)
    parser.add_argument("--portfolio", type=int, default=100)
    args = parser.parse_args()
    reference = load_reference()
    S = args.simulations

    doc = portfolio(reference, 1, 20, 5, seed=1)
    run = read_input(doc, reference)
    a = appraise(run, reference)
    t_fast, result = best_of(3, lambda: simulate(run, a, S, seed=0))
    tables = reference_model_tables(reference)
    t_slow, _ = best_of(1, lambda: simulate_slowly(doc, tables, args.baseline_draws, seed=0))
    t_slow_scaled = t_slow * S / args.baseline_draws
    print(f"one project, 20 outcomes x 5 years, {S:,} simulations")
    print(
        f"  baseline, per-draw Python loop:  {t_slow_scaled:8.2f} s "
        f"(timed on {args.baseline_draws} draws: {t_slow:.2f} s)"
    )
    print(
        f"  vectorised (calculator.uncertainty.simulate): {t_fast:8.3f} s   "
        f"{t_slow_scaled / t_fast:,.0f}x faster than the baseline"
    )
    print(
        f"  target: under 0.5 s {'met' if t_fast < 0.5 else 'MISSED'}; "
        f"P(FROI >= 1) = {result.summary.at[0, 'prob_froi_at_least_1']:.3f}"
    )

    big = portfolio(reference, args.portfolio, 20, 5, seed=2)
    big_run = read_input(big, reference)
    big_a = appraise(big_run, reference)
    tracemalloc.start()
    t_big, _ = best_of(1, lambda: simulate(big_run, big_a, S, seed=0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    naive = args.portfolio * 20 * S * 5 * 8 * 3
    print(f"{args.portfolio} projects x 20 outcomes x 5 years, {S:,} simulations each")
    print(
        f"  vectorised: {t_big:.2f} s, peak memory traced {peak / 2**20:.0f} MiB "
        f"(all draws at once would need about {naive / 2**20:,.0f} MiB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
