"""The words of the service's pages: labels, hints and messages in plain English.

``calculator.fields`` declares every field once, with help written for the workbook and
the API, where the field's name (``unit_cost_code``) is what a person types as a column
heading.  A page is read by a finance officer who never sees those names, so the web
forms take their labels and hints from here, and every message from the engine passes
through :func:`plain_message`, which says the field's label instead of its name and
"you typed" instead of "got".  The rules (what is accepted, the ranges) still come from
the declarations, so the pages and the workbook cannot disagree about what is valid.

Groups name the set a field belongs to: ``project``, ``settings`` or a list of
``calculator.fields.PROJECT_LISTS`` (``costs``, ``outcomes``...).
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from calculator.fields import PROJECT, PROJECT_LISTS, SETTINGS, Field

#: Labels of every field, by name; ``GROUP_LABELS`` overrides one within a group.
LABELS: dict[str, str] = {
    # settings
    "base_year": "Base year (prices shown in)",
    "appraisal_years": "Years appraised",
    "discount": "Discount rate",
    "apply_optimism_bias": "Adjust for optimism bias",
    "seed": "Random seed",
    "simulations": "Number of simulations",
    "bootstrap_resamples": "Bootstrap resamples",
    # project
    "project_id": "Project reference",
    "name": "Project name",
    "organisation": "Council or organisation",
    "participants": "People or families supported",
    "mode": "Type of analysis",
    "case_cost_price_year": "Price year of the case costs",
    "intervention_cases": "Cases in the intervention group",
    "comparison_cases": "Cases in the comparison group",
    "annual_running_cost": "Cost of running the whole service for a year",
    "annual_throughput": "Cases the service sees in a year",
    "margin_of_error": "Margin of error",
    "service_price_year": "Price year of the running cost",
    # costs
    "description": "Description",
    "year": "Year",
    "end_year": "Last year",
    "amount": "Amount",
    "price_year": "Price year",
    "agency": "Agency",
    "kind": "Kind of cost",
    "cost_type": "Type of cost",
    "confidence_grade": "Confidence grade",
    "unit_cost_code": "Unit cost",
    "quantity": "Quantity",
    "salary": "Annual salary",
    "on_costs": "Employer's on-costs",
    "overheads": "Overheads",
    "amount_low": "Lowest plausible cost",
    "amount_high": "Highest plausible cost",
    "productive_hours": "Productive hours a year",
    # outcomes
    "cohort": "People or families in the group",
    "cohort_year": "Year the group starts",
    "engagement": "Engagement",
    "success": "Success rate",
    "deadweight": "Deadweight",
    "displacement": "Displacement",
    "attribution": "Attribution",
    "lag": "Years before the benefit starts",
    "duration": "Years the benefit lasts",
    "drop_off": "Drop-off each year",
    "success_low": "Lowest plausible success rate",
    "success_high": "Highest plausible success rate",
    "deadweight_low": "Lowest plausible deadweight",
    "deadweight_high": "Highest plausible deadweight",
    "value_low": "Lowest plausible unit value",
    "value_high": "Highest plausible unit value",
    "outcome_theme": "Outcome theme",
    # cases and teams
    "case_id": "Case reference",
    "cost": "Cost of working the case",
    "team": "Team",
    # unit cost tables and their rows
    "code": "Code",
    "value": "Value",
    "unit": "Unit",
    "source": "Source",
    "category": "Category",
    "cashable": "Cashable",
    "agency_detail": "Agency detail",
    "clash_rule": "When a code is in both tables",
    "version": "Version",
    "site_admin": "Site administrator",
    "case_level": "Case level",
    "set_up": "Set-up",
}

GROUP_LABELS: dict[tuple[str, str], str] = {
    ("outcomes", "description"): "What the outcome is",
    ("outcomes", "unit_cost_code"): "Unit cost of what is avoided",
    ("outcomes", "quantity"): "Units avoided per person each year",
    ("outcomes", "discount"): "Discount rate for this outcome",
    ("outcomes", "confidence_grade"): "Confidence grade of the evidence",
    ("costs", "description"): "What the cost is for",
    ("costs", "year"): "From year",
    ("costs", "end_year"): "To year",
    ("costs", "agency"): "Who pays",
    ("costs", "quantity"): "Number of units",
    ("project", "discount"): "Discount rate for this project",
    ("intervention_usage", "unit_cost_code"): "Unit cost of the service used",
    ("comparison_usage", "unit_cost_code"): "Unit cost of the service used",
    ("intervention_usage", "quantity"): "Units used by the whole group",
    ("comparison_usage", "quantity"): "Units used by the whole group",
    ("case_outcomes", "case_id"): "Case reference",
    ("case_outcomes", "unit_cost_code"): "Unit cost of what is avoided",
    ("case_outcomes", "quantity"): "Units avoided for this case",
    ("teams", "team"): "Team name",
    ("teams", "annual_throughput"): "Cases the team sees in a year",
}

#: Hints, by group and name; a field without one takes its declaration's help, in words.
HINTS: dict[tuple[str, str], str] = {
    ("settings", "base_year"): "The financial year whose prices every figure is shown in, "
    "for example 2024-25. Leave blank for the latest year of the price index.",
    ("settings", "appraisal_years"): "How many years the appraisal covers, from 1 to 100. "
    "Leave blank for 5.",
    ("settings", "discount"): "Standard (the Green Book's 3.5% a year), health (1.5%), or a "
    "flat rate such as 3.5%. Leave blank for standard.",
    ("settings", "apply_optimism_bias"): "Costs are raised and benefits lowered by the "
    "optimism bias of each row's confidence grade. Leave as it is unless told otherwise.",
    ("settings", "seed"): "Any whole number. The same seed gives the same uncertainty "
    "figures again. Leave blank for 0.",
    ("settings", "simulations"): "How many times the uncertainty analysis draws the inputs, "
    "up to 1,000,000. Leave blank for none.",
    ("settings", "bootstrap_resamples"): "For the interval of a case-level project's FROI, "
    "from 100 to 100,000. Leave blank for 2,000.",
    ("project", "project_id"): "A short reference unique to this project, for example EOC-01.",
    ("project", "name"): "For example, Edge of care hub.",
    ("project", "organisation"): "For example, Anytown Council.",
    ("project", "participants"): "Used to show costs and benefits per person.",
    ("project", "mode"): "Appraisal forecasts the return before or during a project. "
    "Comparison sets an intervention group's costs against a comparison group's. "
    "Case level works from the records of cases seen.",
    ("project", "discount"): "Only if this project needs a different rate from the "
    "settings below: standard, health, or a flat rate such as 3.5%.",
    ("project", "case_cost_price_year"): "Case level only. For example 2016-17. Leave "
    "blank if the case costs are at base-year prices.",
    ("project", "intervention_cases"): "Comparison only.",
    ("project", "comparison_cases"): "Comparison only.",
    ("project", "annual_running_cost"): "Case level only. In pounds, for example £769,735.",
    ("project", "annual_throughput"): "Case level only.",
    ("project", "margin_of_error"): "Case level only. For example 5%. Leave blank for 5%.",
    ("project", "service_price_year"): "Case level only. Leave blank if the running cost "
    "is at base-year prices.",
    ("costs", "description"): "For example, Two family support workers.",
    ("costs", "year"): "The first year the cost falls in.",
    ("costs", "end_year"): "For a cost that is paid every year: the last year it is paid. "
    "Left blank, the cost falls in its first year only, even if it is recurring.",
    ("costs", "amount"): "In pounds, for example £85,000. For a recurring cost, the amount "
    "each year.",
    ("costs", "price_year"): "The financial year whose prices the figure is in, for "
    "example 2024-25. Left blank, the project's base year is saved with it, so a later "
    "change of base year moves it to the new year's prices.",
    ("costs", "agency"): "The part of the public sector that pays.",
    ("costs", "kind"): "An offset is a cost saved elsewhere because of the project; it is "
    "taken off the costs.",
    ("costs", "cost_type"): "For reporting costs by type.",
    ("costs", "confidence_grade"): "How good the evidence for the figure is. It sets the "
    "optimism bias added to the cost. Left blank: the unit cost's own grade for units of a "
    "unit cost, otherwise grade 1 (no optimism bias).",
    ("costs", "unit_cost_code"): "Choose from the unit cost table, or search it below.",
    ("costs", "quantity"): "How many units each year, for example 52 for weekly for a year.",
    ("costs", "salary"): "In pounds a year, for example £38,000.",
    ("costs", "on_costs"): "Employer's National Insurance and pension, as a percentage of "
    "salary, for example 30% or 0.3. Leave blank for none.",
    ("costs", "overheads"): "As a percentage of salary and on-costs, for example 20%. "
    "Leave blank for none.",
    ("costs", "productive_hours"): "Only to cost the post by the hour: its productive hours "
    "a year, for example 1,500. The number of posts is then a number of hours.",
    ("costs", "amount_low"): "In pounds, at the same prices as the cost.",
    ("costs", "amount_high"): "In pounds, at the same prices as the cost.",
    ("outcomes", "description"): "For example, Entries to care avoided.",
    ("outcomes", "unit_cost_code"): "The cost of the problem the project helps avoid. "
    "Choose it from the unit cost table, or search it below.",
    ("outcomes", "cohort"): "How many people or families the project works with.",
    ("outcomes", "cohort_year"): "The year the group starts with the project.",
    ("outcomes", "engagement"): "The share of the group who take part, for example 80% or "
    "0.8. Leave blank for 100%.",
    ("outcomes", "success"): "The share of those taking part who achieve the outcome, for "
    "example 30% or 0.3.",
    ("outcomes", "deadweight"): "The share who would have achieved it anyway, for example "
    "20%. Leave blank for none.",
    ("outcomes", "displacement"): "The share of the benefit that only moves the cost "
    "elsewhere. Leave blank for none.",
    ("outcomes", "attribution"): "The share of the change credited to this project rather "
    "than others. Leave blank for 100%.",
    ("outcomes", "quantity"): "How many units of the unit cost each person's outcome avoids "
    "in a year, for example 52 weeks. Leave blank for 1.",
    ("outcomes", "lag"): "Leave blank for none: the benefit starts the year the group starts.",
    ("outcomes", "duration"): "Leave blank for 1 year.",
    ("outcomes", "drop_off"): "The share of the benefit lost each year after the first, for "
    "example 10%. Leave blank for none.",
    ("outcomes", "confidence_grade"): "How good the evidence is. Leave blank to use the "
    "unit cost's own grade.",
    ("outcomes", "discount"): "Only if this outcome needs a different rate: standard, "
    "health, or a flat rate such as 1.5%.",
    ("outcomes", "outcome_theme"): "The common outcome it serves, so the portfolio can "
    "compare like with like.",
    ("outcomes", "success_low"): "For example 20%. Leave blank to take it from the "
    "confidence grade.",
    ("outcomes", "success_high"): "For example 40%. Leave blank to take it from the "
    "confidence grade.",
    ("outcomes", "deadweight_low"): "Leave blank to take it from the confidence grade.",
    ("outcomes", "deadweight_high"): "Leave blank to take it from the confidence grade.",
    ("outcomes", "value_low"): "In pounds, at the unit cost's own prices.",
    ("outcomes", "value_high"): "In pounds, at the unit cost's own prices.",
    ("cases", "case_id"): "Unique within the project, for example C001.",
    ("cases", "cost"): "In pounds, at the price year of the case costs.",
    ("cases", "team"): "Only for a projection by team.",
    ("case_outcomes", "case_id"): "One of the project's cases.",
    ("case_outcomes", "quantity"): "How many units this case avoided.",
    ("teams", "team"): "As written in the cases.",
}

#: Answers of the fields with a closed set, in words.
CHOICE_WORDS: dict[str, str] = {
    "appraisal": "Appraisal (a forecast FROI)",
    "comparison": "Comparison (costs avoided against a comparison group)",
    "case_level": "Case level (an observed FROI from case records)",
    "set_up": "Set-up (one-off)",
    "recurring": "Recurring (each year)",
    "offset": "Offset (a cost saved elsewhere)",
    "staff": "Staff",
    "training": "Training",
    "buildings": "Buildings",
    "travel": "Travel",
    "accommodation_respite": "Accommodation and respite",
    "other": "Other",
    "standard": "Standard",
    "health": "Health",
}

#: Every field name a message may mention, longest first (``price_year`` before ``year``).
_ALL_FIELDS: tuple[Field, ...] = (
    *SETTINGS,
    *PROJECT,
    *(f for fields in PROJECT_LISTS.values() for f in fields),
)
#: only names joined with "_": a plain word (``year``, ``cost``) is also just a word
_NAMES = sorted(
    {n for n in {f.name for f in _ALL_FIELDS} | set(LABELS) if "_" in n}, key=len, reverse=True
)
_NAME = re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in _NAMES) + r")(?![\w-])")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def field_label(name: str, group: str = "") -> str:
    """A field's label on a page: "Unit cost", not ``unit_cost_code``."""
    if (group, name) in GROUP_LABELS:
        return GROUP_LABELS[(group, name)]
    if name in LABELS:
        return LABELS[name]
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def field_hint(spec: Field, group: str = "") -> str:
    """A field's hint on a page: what to type, with an example, in words."""
    if (group, spec.name) in HINTS:
        return HINTS[(group, spec.name)]
    hint = plain_text(spec.help.rstrip(".") + ".")
    if spec.kind == "rate":
        hint += " A percentage such as 45%, or a share such as 0.45."
    elif spec.kind == "price_year":
        hint += " For example 2024-25."
    elif spec.unit.startswith("£"):
        hint += " In pounds, for example £85,000."
    return hint


def choice_words(value: str) -> str:
    return CHOICE_WORDS.get(value, value.replace("_", " ").capitalize())


def _lower_label(name: str, group: str) -> str:
    text = field_label(name, group)
    if text[:1].isupper() and not text[1:2].isupper():
        text = text[:1].lower() + text[1:]
    return text


def plain_text(text: str, group: str = "") -> str:
    """Any text with the field names in it said as labels (lower case mid-sentence)."""

    def said(match: re.Match[str]) -> str:
        name = match.group(1)
        start = match.start() == 0 or text[: match.start()].rstrip().endswith((".", ":"))
        return field_label(name, group) if start else f"‘{_lower_label(name, group)}’"

    text = _NAME.sub(said, text)
    text = text.replace(" (froi unit-costs list)", "")
    text = text.replace("or add it to unit_costs", "or add it to the project's local unit costs")
    text = text.replace("a code from the table", "a unit cost from the table")
    # anything else joined with underscores is read as words
    return _SNAKE.sub(lambda m: m.group(0).replace("_", " "), text)


#: Engine messages a form says in its own words (the form already shows the context).
SAID_AS = {
    re.compile(r"^agency \(who pays\) is required"): (
        "Choose who pays: a cost that is not units of a unit cost needs it"
    ),
    re.compile(r"^give an amount, or a unit_cost_code with a quantity, or a salary"): (
        "Enter the amount, the unit cost or the salary of the way the cost is worked out"
    ),
}
_REQUIRED = re.compile(r"^(?P<name>\w+) is required; give .*$")
_GOT = re.compile(r"; got (?P<got>.*?)(?: - did you mean (?P<mean>.*)\?)?$")


def plain_message(message: str, spec: Field | None = None, group: str = "") -> str:
    """A message from the engine in a form's words.

    ``success is required; give a share...`` -> "Enter the success rate";
    ``success must be between 0 and 1; got 45 - did you mean 45%?`` -> "Success rate must
    be a percentage from 0% to 100% (or a share from 0 to 1); you typed 45. Did you mean
    45%?"
    """
    for pattern, words in SAID_AS.items():
        if pattern.match(message):
            return words
    required = _REQUIRED.match(message)
    if required and spec is not None and required.group("name") == spec.name:
        what = _lower_label(spec.name, group)
        verb = "Choose" if spec.kind in ("choice", "bool", "code") else "Enter"
        return f"{verb} {what}" if what.startswith(("the ", "a ")) else f"{verb} the {what}"
    if spec is not None and re.match(rf"{re.escape(spec.name)}\b(?! \d)", message):
        message = field_label(spec.name, group) + message[len(spec.name) :]
    got = _GOT.search(message)
    typed = mean = ""
    if got:
        typed = f"; you typed {got.group('got')}"
        mean = f". Did you mean {got.group('mean')}?" if got.group("mean") else ""
        message = message[: got.start()]
    if spec is not None and spec.kind == "rate" and "between 0 and 1" in message:
        message = message.replace(
            "must be between 0 and 1",
            "must be a percentage from 0% to 100%, or a share from 0 to 1",
        ).replace(spec.accepted(), "a percentage from 0% to 100%, or a share from 0 to 1")
    text = plain_text(message, group) + typed + mean
    return text[:1].upper() + text[1:]


def names_as_code(text: str) -> Markup:
    """A workbook's message with each column name in it marked as code: on a page about
    a workbook the column name is what a person looks for in its header row."""
    escaped = str(escape(text))
    # bandit B704: the text is escaped first; only <code> tags around names are added
    return Markup(_SNAKE.sub(lambda m: f"<code>{m.group(0)}</code>", escaped))  # nosec B704
