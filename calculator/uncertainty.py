"""Uncertainty: Monte Carlo over triangular ranges, and a tornado table (METHOD 5).

Each simulation draws, independently for every outcome row, its success rate, its
deadweight and its unit value, and for every cost row its amount, from triangular
distributions (low, mode = the central value, high):

- outcome rows: the row's ``success_low``/``success_high``, ``deadweight_low``/
  ``deadweight_high``, ``value_low``/``value_high`` (at the unit cost's price year,
  rebased like the value) where given; otherwise ``central x (1 -/+ w)``, rates clipped
  to [0, 1], with ``w`` by the row's confidence grade (1: 5% ... 6: 50%);
- cost rows: ``amount_low``/``amount_high`` where given, otherwise
  ``central x (1 - w/2)`` and ``central x (1 + w)`` (overruns are likelier than savings).

Then METHOD 2 is recomputed per simulation for every appraisal project, and the mean,
5th, 50th and 95th percentiles of FROI and NPV are reported with the probability that
FROI >= 1 and that NPV > 0.

How it is computed, and why:

- Vectorised over simulations: a project's draws are a ``simulations x rows`` matrix
  and every formula of METHOD 2 is applied to whole matrices, a chunk of simulations at
  a time so memory stays bounded however many simulations are asked for.
- Each project has its own random stream, seeded from the run's ``seed`` and the
  project's id, so a project's figures do not change when other projects join the run,
  and a stored run reproduces exactly.
- Each simulation repeats the deterministic engine's arithmetic in the same order (the
  same products, the same sums over years, rows added in input order), so with
  zero-width ranges every simulation equals the deterministic result exactly, not just
  to rounding.
- A simulation whose costs come to zero or less has no FROI; it counts as not reaching
  FROI >= 1 and is left out of the FROI mean and percentiles.

The tornado table sets one input at a time to its low and to its high end, all others
central, and reports FROI and NPV at each end, sorted by the swing in FROI.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from .appraisal import Appraisal
from .arrays import FloatArray, IntArray, project_rng, row_sums, rows_by_project
from .inputs import RunInput

#: Width of the default range by confidence grade (METHOD 5); index 0 unused.
WIDTH_BY_GRADE = np.array([np.nan, 0.05, 0.10, 0.15, 0.25, 0.35, 0.50])
#: Simulations computed at once; bounds memory at about CHUNK x rows x years floats.
CHUNK = 2000
#: Draws of each project kept for the results workbook's sample of draws.
KEEP_DRAWS = 1000
#: About this many bars in a project's histogram of FROI.
HISTOGRAM_BARS = 20
#: The histogram spans these percentiles of FROI; draws beyond count in the end bars.
HISTOGRAM_SPAN = (0.5, 99.5)

SUMMARY = (
    "simulations",
    "seed",
    "froi_mean",
    "froi_p5",
    "froi_p50",
    "froi_p95",
    "npv_mean",
    "npv_p5",
    "npv_p50",
    "npv_p95",
    "prob_froi_at_least_1",
    "prob_npv_positive",
)


def triangular(low: FloatArray, mode: FloatArray, high: FloatArray, u: FloatArray) -> FloatArray:
    """Inverse of the triangular distribution's CDF at ``u`` (all arrays broadcast).

    A zero-width range (low == mode == high) returns the mode exactly, which numpy's
    own ``triangular`` refuses.
    """
    width = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        split = np.where(width > 0, (mode - low) / width, 0.5)
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1.0 - u) * width * (high - mode))
    return np.asarray(np.where(u < split, left, right), dtype=np.float64)


@dataclass(frozen=True)
class Ranges:
    """Low, mode and high of one kind of input, one entry per row."""

    low: FloatArray
    mode: FloatArray
    high: FloatArray


def _given(column: pd.Series, default: FloatArray) -> FloatArray:
    values = column.to_numpy(dtype=np.float64)
    return np.where(np.isnan(values), default, values)


def outcome_ranges(run: RunInput, a: Appraisal) -> dict[str, Ranges]:
    """The triangular ranges of each outcome row's success, deadweight and unit value."""
    rows = run.lists["outcomes"]
    w = WIDTH_BY_GRADE[a.outcomes.grade]
    out: dict[str, Ranges] = {}
    for name in ("success", "deadweight"):
        central = rows[name].to_numpy(dtype=np.float64)
        out[name] = Ranges(
            _given(rows[f"{name}_low"], np.clip(central * (1 - w), 0.0, 1.0)),
            central,
            _given(rows[f"{name}_high"], np.clip(central * (1 + w), 0.0, 1.0)),
        )
    v = a.outcomes.v_base
    factor = a.outcomes.price_factor
    out["value"] = Ranges(
        _given(rows["value_low"] * factor, v * (1 - w)),
        v,
        _given(rows["value_high"] * factor, v * (1 + w)),
    )
    return out


def cost_ranges(run: RunInput, a: Appraisal) -> Ranges:
    """The triangular range of each cost row's amount (at its price year)."""
    rows = run.lists["costs"]
    w = WIDTH_BY_GRADE[a.costs.grade]  # the grade the row was costed with (METHOD 2.1)
    central = a.costs.amount
    return Ranges(
        _given(rows["amount_low"], central * (1 - w / 2)),
        central,
        _given(rows["amount_high"], central * (1 + w)),
    )


@dataclass(frozen=True)
class Uncertainty:
    """Per-project simulation results, the tornado table and a sample of draws."""

    summary: pd.DataFrame  # one row per appraisal project: _p and SUMMARY
    tornado: pd.DataFrame  # _p, list, row, field, label, low, high, froi/npv at each end, swing
    draws: pd.DataFrame  # _p, draw, froi, npv: the first KEEP_DRAWS draws of each project
    histograms: pd.DataFrame  # _p, froi_from, froi_to, simulations: the spread of FROI


def _in_order_sum(values: FloatArray, mask: npt.NDArray[np.bool_]) -> FloatArray:
    """Sum over the last axis of the masked entries, added one by one in order.

    ``np.cumsum`` adds sequentially, as ``np.bincount`` does in the deterministic
    engine; adding the masked-out entries as 0.0 changes nothing.
    """
    if values.shape[-1] == 0:
        return np.zeros(values.shape[:-1])
    return np.asarray(np.cumsum(np.where(mask, values, 0.0), axis=-1)[..., -1], np.float64)


#: Outcome inputs a simulation holds at their central values.
HELD = ("cohort", "engagement", "displacement", "attribution", "quantity")


def _simulate_project(
    held: dict[str, FloatArray],
    a: Appraisal,
    o_rows: IntArray,
    c_rows: IntArray,
    p: int,
    ranges: dict[str, Ranges],
    costs: Ranges,
    simulations: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """FROI and NPV of one project in every simulation (METHOD 2 per draw).

    ``held`` holds the run's outcome columns of :data:`HELD`, converted once for all
    projects.  A cost row's drawn amount applies in every year from its ``year`` to its
    ``end_year``, as in the deterministic engine.

    The uniform draws are the project stream's first ``simulations x rows x 3`` numbers
    for the outcome rows, then ``simulations x cost rows`` for the cost rows; they are
    drawn a chunk at a time (a second generator starts where the cost rows' numbers do),
    so memory is bounded by the chunk, not by the number of simulations.
    """
    cost_bits = copy.deepcopy(rng.bit_generator)
    assert isinstance(cost_bits, np.random.PCG64)  # one 64-bit step per float drawn
    cost_bits.advance(simulations * len(o_rows) * 3)
    cost_rng = np.random.Generator(cost_bits)
    cohort, engagement, displacement, attribution, quantity = (held[n][o_rows] for n in HELD)
    ob = a.outcomes.optimism_bias[o_rows]
    profile = a.outcomes.profile[o_rows]
    factors = a.outcomes.discount_factors[o_rows]
    category = a.outcomes.category[o_rows]
    first, last = a.costs.first_year[c_rows], a.costs.last_year[c_rows]
    cost_factor, sign = a.costs.factor[c_rows], a.costs.sign[c_rows]
    cost_ob = a.costs.optimism_bias[c_rows]
    project_df = a.project_df[p]
    T = project_df.shape[0]

    drawn = [  # u[..., 0], u[..., 1] and u[..., 2], in this order
        Ranges(r.low[o_rows], r.mode[o_rows], r.high[o_rows])
        for r in (ranges["success"], ranges["deadweight"], ranges["value"])
    ]
    cost_low, cost_mode, cost_high = costs.low[c_rows], costs.mode[c_rows], costs.high[c_rows]

    froi = np.empty(simulations)
    npv = np.empty(simulations)
    for start in range(0, simulations, CHUNK):
        stop = min(start + CHUNK, simulations)
        u = rng.random((stop - start, len(o_rows), 3))
        success, deadweight, value = (
            triangular(r.low, r.mode, r.high, u[:, :, k]) for k, r in enumerate(drawn)
        )
        # METHOD 2.2, in the deterministic engine's order of operations
        n = cohort * engagement * success * (1 - deadweight) * (1 - displacement) * attribution
        yearly = n * quantity * value * (1 - ob)
        pv = ((yearly[:, :, None] * profile) * factors).sum(axis=-1)
        fiscal = _in_order_sum(pv, category == 0)
        economic = _in_order_sum(pv, category == 1)
        social = _in_order_sum(pv, category == 2)
        # METHOD 2.1
        amount = triangular(
            cost_low, cost_mode, cost_high, cost_rng.random((stop - start, len(c_rows)))
        )
        real = amount * cost_factor
        net = sign * real * (1.0 + sign * cost_ob)
        by_year = np.stack(
            [_in_order_sum(net, (first <= t) & (t <= last)) for t in range(T)], axis=-1
        )
        pv_costs = (by_year * project_df).sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            froi[start:stop] = np.where(pv_costs > 0, fiscal / pv_costs, np.nan)
        npv[start:stop] = fiscal + economic + social - pv_costs
    return froi, npv


def _summary_row(froi: FloatArray, npv: FloatArray) -> list[float]:
    defined = froi[~np.isnan(froi)]
    if defined.size:
        froi_stats = [float(defined.mean()), *np.percentile(defined, [5, 50, 95]).tolist()]
    else:
        froi_stats = [np.nan] * 4
    return [
        *froi_stats,
        float(npv.mean()),
        *np.percentile(npv, [5, 50, 95]).tolist(),
        float(np.mean(froi >= 1.0)),
        float(np.mean(npv > 0.0)),
    ]


def round_step(span: float, bars: int = HISTOGRAM_BARS) -> float:
    """A round bar width (1, 2 or 5 x 10^k) giving about ``bars`` bars over ``span``."""
    if not span > 0:
        return 0.1
    raw = span / bars
    power = 10.0 ** np.floor(np.log10(raw))
    return float(min(s * power for s in (1, 2, 5, 10) if raw <= s * power))


def froi_histogram(froi: FloatArray) -> pd.DataFrame:
    """The spread of a project's simulated FROI as bars of equal, round width.

    The bars cover the 0.5th to 99.5th percentile and always reach break-even (FROI 1),
    so a reader sees which side of it the draws fall; the few draws beyond are counted
    in the first or last bar (its ``froi_from`` or ``froi_to`` is then open-ended in
    effect).  Simulations without a FROI (costs at or below zero) are not counted.
    """
    defined = froi[~np.isnan(froi)]
    if not defined.size:
        return pd.DataFrame({"froi_from": [], "froi_to": [], "simulations": []})
    low, high = np.percentile(defined, HISTOGRAM_SPAN)
    low, high = min(float(low), 1.0), max(float(high), 1.0)
    step = round_step(high - low)
    first = np.floor(low / step) * step
    bars = max(1, int(np.ceil((high - first) / step - 1e-9)))
    edges = np.round(first + step * np.arange(bars + 1), 12)
    index = np.clip(np.floor((defined - first) / step).astype(np.int64), 0, bars - 1)
    return pd.DataFrame(
        {
            "froi_from": edges[:-1],
            "froi_to": edges[1:],
            "simulations": np.bincount(index, minlength=bars),
        }
    )


def simulate(run: RunInput, a: Appraisal, simulations: int, seed: int) -> Uncertainty:
    """METHOD 5 for every appraisal project of ``run``."""
    P = len(run.projects)
    ranges = outcome_ranges(run, a)
    costs = cost_ranges(run, a)
    outcomes, cost_rows = run.lists["outcomes"], run.lists["costs"]
    o_groups = rows_by_project(outcomes["_p"].to_numpy(dtype=np.int64), P)
    c_groups = rows_by_project(cost_rows["_p"].to_numpy(dtype=np.int64), P)
    held = {name: outcomes[name].to_numpy(dtype=np.float64) for name in HELD}
    ids = run.projects["project_id"].to_numpy(dtype=object)
    appraisal = np.flatnonzero(run.projects["mode"].to_numpy(dtype=object) == "appraisal")
    rows: list[list[float]] = []
    kept: list[pd.DataFrame] = []
    histograms: list[pd.DataFrame] = []
    for p in appraisal:  # one vectorised simulation per project, each on its own stream
        froi, npv = _simulate_project(
            held,
            a,
            o_groups[p],
            c_groups[p],
            int(p),
            ranges,
            costs,
            simulations,
            project_rng(seed, ids[p]),
        )
        rows.append([simulations, seed, *_summary_row(froi, npv)])
        histograms.append(froi_histogram(froi).assign(_p=p))
        keep = min(KEEP_DRAWS, simulations)
        kept.append(
            pd.DataFrame({"_p": p, "draw": np.arange(keep), "froi": froi[:keep], "npv": npv[:keep]})
        )
    summary = pd.DataFrame(rows, columns=list(SUMMARY))
    summary.insert(0, "_p", appraisal)
    draws = (
        pd.concat(kept, ignore_index=True)
        if kept
        else pd.DataFrame(columns=["_p", "draw", "froi", "npv"])
    )
    bars = (
        pd.concat(histograms, ignore_index=True)
        if histograms
        else pd.DataFrame(columns=["froi_from", "froi_to", "simulations", "_p"])
    )
    return Uncertainty(
        summary=summary, tornado=tornado(run, a, ranges, costs), draws=draws, histograms=bars
    )


def tornado(run: RunInput, a: Appraisal, ranges: dict[str, Ranges], costs: Ranges) -> pd.DataFrame:
    """FROI and NPV with one input at its low and at its high end, all others central.

    Vectorised over every input of every appraisal project.  An outcome row's PV is
    ``base x success x (1 - deadweight) x value`` with ``base`` the rest of METHOD 2.2
    (cohort, engagement, displacement, attribution, quantity, OB and the discounted year
    profile), and a cost row's PV is proportional to its amount, so each end is one
    product per row.
    """
    outcomes, cost_rows = run.lists["outcomes"], run.lists["costs"]
    op = outcomes["_p"].to_numpy(dtype=np.int64)
    cp = cost_rows["_p"].to_numpy(dtype=np.int64)
    fiscal = a.pv_by_category[:, 0]
    benefits = a.pv_by_category.sum(axis=1)
    is_fiscal = a.outcomes.category == 0

    def col(name: str) -> FloatArray:
        return outcomes[name].to_numpy(dtype=np.float64)

    base = (
        col("cohort")
        * col("engagement")
        * (1 - col("displacement"))
        * col("attribution")
        * col("quantity")
        * (1 - a.outcomes.optimism_bias)
        * row_sums(a.outcomes.profile * a.outcomes.discount_factors)
    )
    central = {name: r.mode for name, r in ranges.items()}

    def outcome_pv(name: str, end: FloatArray) -> FloatArray:
        x = {**central, name: end}
        return np.asarray(base * x["success"] * (1 - x["deadweight"]) * x["value"], np.float64)

    labels = outcomes["description"].fillna(outcomes["unit_cost_code"]).to_numpy(dtype=object)
    frames = []
    for name, r in ranges.items():
        ends = {}
        for end_name, end in (("low", r.low), ("high", r.high)):
            change = outcome_pv(name, end) - outcome_pv(name, r.mode)
            new_fiscal = fiscal[op] + np.where(is_fiscal, change, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                ends[end_name] = (
                    np.where(a.pv_costs[op] > 0, new_fiscal / a.pv_costs[op], np.nan),
                    benefits[op] + change - a.pv_costs[op],
                )
        frames.append(_tornado_rows(op, "outcomes", outcomes["_row"], name, labels, r, ends))
    with np.errstate(divide="ignore", invalid="ignore"):
        per_amount = np.where(costs.mode != 0, a.costs.pv / costs.mode, 0.0)
    cost_ends = {}
    for end_name, end in (("low", costs.low), ("high", costs.high)):
        new_costs = a.pv_costs[cp] - a.costs.pv + per_amount * end
        with np.errstate(divide="ignore", invalid="ignore"):
            cost_ends[end_name] = (
                np.where(new_costs > 0, fiscal[cp] / new_costs, np.nan),
                benefits[cp] - new_costs,
            )
    cost_labels = cost_rows["description"].fillna("cost row").to_numpy(dtype=object)
    frames.append(
        _tornado_rows(cp, "costs", cost_rows["_row"], "amount", cost_labels, costs, cost_ends)
    )
    table = pd.concat(frames, ignore_index=True)
    modes = run.projects["mode"].to_numpy(dtype=object)
    table = table[modes[table["_p"].to_numpy(dtype=np.int64)] == "appraisal"].copy()
    table["swing"] = (table["froi_high"] - table["froi_low"]).abs()
    ordered: pd.DataFrame = table.sort_values(
        ["_p", "swing"], ascending=[True, False], kind="stable", ignore_index=True
    )
    return ordered


def _tornado_rows(
    owner: npt.NDArray[np.int64],
    list_name: str,
    rows: pd.Series,
    field: str,
    labels: npt.NDArray[np.object_],
    r: Ranges,
    ends: dict[str, tuple[FloatArray, FloatArray]],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "_p": owner,
            "list": list_name,
            "row": rows.to_numpy(),
            "field": field,
            "label": labels,
            "low": r.low,
            "high": r.high,
            "froi_low": ends["low"][0],
            "froi_high": ends["high"][0],
            "npv_low": ends["low"][1],
            "npv_high": ends["high"][1],
        }
    )
