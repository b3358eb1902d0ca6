"""The glossary: each term a results page uses, in a sentence or two of plain English.

Anchors are stable (``/glossary#froi``): figures link to them by :data:`TERMS` key, and
``froi.web.core.figures`` names the term of each headline figure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    anchor: str
    name: str
    meaning: tuple[str, ...]


TERMS: tuple[Term, ...] = (
    Term(
        "froi",
        "Fiscal return on investment (FROI)",
        (
            "The public money a project saves for each £1 it costs: the present value of "
            "its fiscal benefits divided by the present value of its costs. £1.84 per £1 "
            "means every pound spent is expected to save £1.84 of public spending.",
            "Above £1 per £1 the project pays for itself in savings to the public purse; "
            "below it, it costs more than it saves (it may still be worth doing for its "
            "wider value).",
        ),
    ),
    Term(
        "npv",
        "Net present value (NPV)",
        (
            "All the benefits less all the costs, each year's figure discounted to today's "
            "value. Above zero, the benefits outweigh the costs.",
        ),
    ),
    Term(
        "present-value",
        "Present value and discounting",
        (
            "A pound next year is worth less than a pound today. Each year's figure is "
            "multiplied by a discount factor (the Green Book's 3.5% a year, or 1.5% for "
            "health) and the results are added up. That total is the present value.",
        ),
    ),
    Term(
        "fiscal-benefit",
        "Fiscal benefit",
        (
            "Public spending avoided because of the project: for example fewer weeks in "
            "care or fewer nights in custody, valued with the unit cost table.",
            "Net budget impact is the fiscal benefits less the costs, at present value.",
        ),
    ),
    Term(
        "cashable",
        "Cashable and non-cashable",
        (
            "A cashable saving is money a budget holder can actually take out, such as a "
            "placement that is no longer bought. A non-cashable one frees capacity (a "
            "social worker's time) rather than cash.",
        ),
    ),
    Term(
        "payback",
        "Payback",
        (
            "The first year in which the running total of discounted benefits reaches the "
            "running total of discounted costs. Year 0 is the first year. If that never "
            "happens within the years appraised, the payback is not within the period.",
        ),
    ),
    Term(
        "optimism-bias",
        "Optimism bias",
        (
            "Project plans tend to underestimate costs and overestimate benefits. Each "
            "figure is adjusted by a percentage set by its confidence grade: costs are "
            "raised and benefits lowered, from 0% for grade 1 (audited local data) to 40% "
            "for grade 6 (expert judgement).",
        ),
    ),
    Term(
        "confidence-grade",
        "Confidence grade",
        (
            "How good the evidence behind a figure is, from 1 (recent official statistics "
            "or audited local data) to 6 (expert judgement, no local evidence). It sets "
            "the optimism bias and, in the uncertainty analysis, how widely a figure may "
            "vary.",
        ),
    ),
    Term(
        "deadweight",
        "Deadweight",
        (
            "The share of people who would have achieved the outcome anyway, without the "
            "project. Their outcomes are not counted as the project's benefit.",
        ),
    ),
    Term(
        "attribution",
        "Attribution and displacement",
        (
            "Attribution is the share of the change credited to this project rather than "
            "to other services working with the same people. Displacement is the share of "
            "the benefit that only moves a cost somewhere else.",
        ),
    ),
    Term(
        "switching-value",
        "Switching value",
        (
            "The success rate at which the project would just break even (a FROI of £1 per "
            "£1), with everything else as entered. If the success rate you entered is well "
            "above it, the result is robust to that figure being too high.",
            "It is not available when the outcome has no fiscal benefit (it cannot move "
            "the FROI), or when no success rate from 0% to 100% would make the FROI £1 per "
            "£1: the project breaks even whatever that outcome's success, or never does.",
        ),
    ),
    Term(
        "value-for-money",
        "Value for money band",
        (
            "A word for the public value ratio (all benefits, fiscal, economic and social, "
            "per £1 of cost): poor below £1, low from £1 to £1.50, medium to £2, high to £4 "
            "and very high above.",
        ),
    ),
    Term(
        "unit-cost",
        "Unit cost",
        (
            "What one unit of a public service costs, such as a week of foster care, from "
            "the versioned unit cost table, with its price year, source and confidence "
            "grade. Figures are moved to the base year's prices with the GDP deflator.",
        ),
    ),
    Term(
        "base-year",
        "Base year",
        (
            "The financial year whose prices every figure is shown in, so that figures from "
            "different years can be added up and compared.",
        ),
    ),
    Term(
        "uncertainty",
        "Uncertainty analysis",
        (
            "The calculation is repeated many times (the simulations) with the success "
            "rates, deadweight and unit values drawn from their plausible ranges. The share "
            "of results with a FROI of at least £1 per £1 is the chance the project pays "
            "back.",
        ),
    ),
    Term(
        "observed-froi",
        "Observed FROI and comparison designs",
        (
            "An observed FROI is worked out from what actually happened to the cases seen, "
            "not from a forecast. A costs-avoided ratio compares an intervention group's "
            "use of services with a comparison group's, per case.",
        ),
    ),
)
