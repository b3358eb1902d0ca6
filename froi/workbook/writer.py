"""Writing a canonical input document in the workbook layout, exactly.

:func:`write_input_sheets` writes any canonical document (METHOD 6) into an XlsxWriter
workbook as the layout's sheets (:mod:`froi.workbook.layout`), so the template, the
sample workbooks and a results workbook's inputs all come from one writer and read back
(:mod:`froi.workbook.reader`) to the same run:

- numbers are written as numbers, rates as the same numbers with a percentage format
  that shows them in full (0.125 as 12.5%), true/false as booleans, text as text.  Text
  beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with
  Excel's quote prefix: it shows and reads back unchanged and can never become a
  formula.  XlsxWriter writes numbers with 16 significant digits (Excel shows 15), so a
  float that needs a 17th digit comes back within one part in 10^16;
- fields a document has that the layout does not are kept as extra columns, so reading
  the workbook gives the same warnings as reading the document;
- every column gets a data validation: a dropdown for the closed lists (unit cost codes,
  categories, kinds, modes, cost types, grades 1-6, outcome themes, groups, schedules,
  price years) from a hidden ``Lists`` sheet, ranges for numbers and rates, and the
  field's help as the message Excel shows when a cell is selected.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from calculator.agencies import agency_choices
from calculator.fields import (
    CATEGORIES,
    COST_KINDS,
    COST_TYPES,
    MODES,
    PROJECT_LISTS,
    SETTINGS,
    Field,
)
from calculator.inputs import NESTED, NESTED_LISTS
from calculator.reference import ReferenceData
from calculator.validate import DROPDOWN_SEPARATOR

from .layout import PROJECT_ID, SHEET_BY_NAME, SHEET_OF_LIST, SHEETS, Sheet
from .limits import DEFAULT_LIMITS
from .names import label_of
from .package import column_letter
from .unit_cost_fields import UNIT_COST_FIELDS
from .xmlrows import MAX_TEXT, Block, style, text_cells

#: The one style of an input cell, in the template, the samples and a results workbook:
#: a pale yellow fill with dark blue text (the results workbook's legend explains it).
INPUT_STYLE = {
    "bg_color": "#FFF2CC",
    "font_color": "#1F3864",
    "border": 1,
    "border_color": "#BFBFBF",
}
#: What a spreadsheet or a CSV consumer may read as the start of a formula (OWASP's list);
#: the result sheets share it (:mod:`froi.workbook.results.cells`).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: Nested objects of a project: nest -> {key: its Projects column}.  What is nested where is
#: the engine's own map (calculator.inputs), which reads service.price_year into the
#: column service_price_year as this writer writes it.
NESTED_COLUMNS = {
    nest: {key: "service_price_year" if key == "price_year" else key for key in keys}
    for nest, keys in NESTED.items()
}
SETTINGS_FIELDS = (
    Field("name", "text", "The setting's name (do not change it)"),
    Field("value", "text", "The setting's value; leave blank for the default"),
    Field("about", "text", "What the setting means and its default (not read)"),
)
LAST_ROW = DEFAULT_LIMITS.last_row
PROJECT_ROWS = 5000  # project_id dropdowns list the first 5,000 projects


def sheet_fields(sheet: Sheet) -> tuple[Field, ...]:
    """The declared columns of a layout sheet."""
    if sheet.name == "Settings":
        return SETTINGS_FIELDS
    if sheet.name == "UnitCosts":
        return UNIT_COST_FIELDS
    return sheet.fields


def percent_format(value: float) -> str:
    """The shortest percentage format that shows ``value`` in full (up to 6 decimals)."""
    scaled = value * 100
    for decimals in range(7):
        if abs(scaled - round(scaled, decimals)) <= 1e-9 * max(1.0, abs(scaled)):
            return "0%" if decimals == 0 else "0." + "0" * decimals + "%"
    return "0.000000%"


class _Formats:
    """XlsxWriter formats, made once per workbook."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#DCE6F1", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        self.text = workbook.add_format({**INPUT_STYLE, "num_format": "@"})
        self.quoted = workbook.add_format({**INPUT_STYLE, "quote_prefix": True})
        self.money = workbook.add_format({**INPUT_STYLE, "num_format": "£#,##0.00"})
        self.plain = workbook.add_format(INPUT_STYLE)
        # a boolean shown as TRUE / FALSE in LibreOffice too (it shows 1 under General)
        self.boolean = workbook.add_format({**INPUT_STYLE, "num_format": '"TRUE";"TRUE";"FALSE"'})
        self.percents: dict[str, Any] = {}

    def percent(self, code: str) -> Any:
        if code not in self.percents:
            self.percents[code] = self.workbook.add_format({**INPUT_STYLE, "num_format": code})
        return self.percents[code]

    def column(self, spec: Field) -> Any:
        """The format of a column's empty cells (so typing 45 there gives 45%), in the
        input style."""
        if spec.kind == "rate":
            return self.percent("0.0%")
        if spec.kind == "price_year":
            return self.text
        if spec.unit.startswith("£"):
            return self.money
        return self.plain


def _project_record(project: Mapping[str, Any]) -> dict[str, Any]:
    record = {
        k: v
        for k, v in project.items()
        if k not in NESTED and k not in PROJECT_LISTS and not isinstance(v, list)
    }
    for nest, keys in NESTED_COLUMNS.items():
        inner = project.get(nest)
        if isinstance(inner, Mapping):
            for key, column in keys.items():
                if key in inner:
                    record[column] = inner[key]
    return record


def _rows(doc: Mapping[str, Any], sheet: Sheet) -> Iterator[dict[str, Any]]:
    """The document's rows for one list sheet, each with its project_id (and group)."""
    for project in doc.get("projects") or []:
        if not isinstance(project, Mapping):
            continue
        for name in PROJECT_LISTS:
            if SHEET_OF_LIST[name].name != sheet.name:
                continue
            holder = NESTED_LISTS.get(name)
            inner = project.get(holder) if holder else project
            items = inner.get(name) if isinstance(inner, Mapping) else None
            for item in items if isinstance(items, list) else []:
                if not isinstance(item, Mapping):
                    continue
                row = {"project_id": project.get("project_id"), **item}
                if sheet.name == "ComparisonUsage":
                    row["group"] = name.removesuffix("_usage")
                yield row


def _header(ws: Any, sheet: Sheet, names: list[str], fmt: _Formats, labels: bool = False) -> None:
    specs = {f.name: f for f in sheet_fields(sheet)}
    for col, name in enumerate(names):
        shown = label_of(name) if labels and name in specs else name
        ws.write_string(0, col, shown, fmt.header)
        spec = specs.get(name)
        wide = 36 if name in ("description", "name", "source", "notes", "about") else 14
        width = max(wide, min(len(shown), 30) + 2)
        ws.set_column(col, col, width, fmt.column(spec) if spec else None)
    ws.freeze_panes(1, 0)
    if labels:
        ws.set_row(0, 45)
    # print set-up: A4 landscape, one page wide, the header row on every page
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_footer(f"&L{sheet.name}&RPage &P of &N")


def _table(
    ws: Any, sheet: Sheet, records: list[dict[str, Any]], fmt: _Formats, labels: bool = False
) -> list[str]:
    declared = [f.name for f in sheet_fields(sheet)]
    extra = sorted({k for r in records for k in r} - set(declared))
    names = declared + extra
    _header(ws, sheet, names, fmt, labels)
    specs = {f.name: f for f in sheet_fields(sheet)}
    columns = [(col, name, specs.get(name)) for col, name in enumerate(names)]
    block = Block(ws, 1, len(records))
    for col, name, spec in columns:
        block.put(
            col,
            input_cells(
                ws, block.letter(col), block.numbers, [r.get(name) for r in records], spec, fmt
            ),
        )
    return names


def input_cells(
    ws: Any,
    letter: str,
    rows: Sequence[int],
    values: list[Any],
    spec: Field | None,
    fmt: _Formats,
) -> list[str]:
    """A column of input cells as their XML, for a :class:`~froi.workbook.xmlrows.Block`:
    the one rule for writing a value exactly (see the module docstring): true/false as a
    boolean, a finite number as a number (a rate in the shortest percentage that shows it
    in full, money as £), anything else as text, quoted when it could start a formula."""
    rate = spec is not None and spec.kind == "rate"
    number_style = style(fmt.money if spec is not None and spec.unit.startswith("£") else fmt.plain)
    text_style, quoted_style = style(fmt.plain), style(fmt.quoted)
    boolean_style = style(fmt.boolean)
    percent_styles: dict[float, str] = {}

    def percent_style(value: float) -> str:
        found = percent_styles.get(value)
        if found is None:
            found = percent_styles[value] = style(fmt.percent(percent_format(value)))
        return found

    index = ws.str_table._get_shared_string_index
    out: list[str] = []
    for r, value in zip(rows, values, strict=True):
        kind = value.__class__
        if value is None:
            out.append("")
        elif kind is bool:
            out.append(f'<c r="{letter}{r}"{boolean_style} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float) and math.isfinite(value):
            s = percent_style(float(value)) if rate else number_style
            out.append(f'<c r="{letter}{r}"{s}><v>{float(value):.16G}</v></c>')
        else:
            if isinstance(value, int | float):
                text = str(value)  # inf or NaN: kept as the text it was
            elif isinstance(value, str):
                text = value
            else:
                text = json.dumps(value, ensure_ascii=False)
            if len(text) > MAX_TEXT:
                raise ValueError(
                    f"{ws.name} {letter}{r}: text of {len(text):,} characters (Excel holds 32,767)"
                )
            s = quoted_style if text.startswith(FORMULA_TRIGGERS) else text_style
            out.append(f'<c r="{letter}{r}"{s} t="s"><v>{index(text)}</v></c>')
    return out


def write_input_sheets(
    workbook: Any,
    doc: Mapping[str, Any],
    reference: ReferenceData | None = None,
    *,
    labels: bool = False,
) -> None:
    """Write ``doc`` as the layout's sheets of an XlsxWriter ``workbook``.

    With ``reference`` the sheets get their dropdowns and a hidden ``Lists`` sheet (the
    unit costs of the table in use as "code — name", its price years, the outcome themes
    by name, the agencies...).  With ``labels`` the list sheets' headers are the
    plain-English labels (:data:`froi.workbook.names.LABELS`), which the reader accepts
    as it accepts the field names.
    """
    fmt = _Formats(workbook)
    lists = _Lists(workbook, reference) if reference is not None else None
    settings = doc.get("settings") if isinstance(doc.get("settings"), Mapping) else {}
    assert isinstance(settings, Mapping)
    for sheet in SHEETS:
        ws = workbook.add_worksheet(sheet.name)
        if sheet.name == "Settings":
            names = _settings_sheet(ws, settings, fmt, lists)
            continue
        if sheet.name == "UnitCosts":
            records = [dict(r) for r in doc.get("unit_costs") or [] if isinstance(r, Mapping)]
        elif sheet.name == "Projects":
            records = [
                _project_record(p) for p in doc.get("projects") or [] if isinstance(p, Mapping)
            ]
        else:
            records = list(_rows(doc, sheet))
        names = _table(ws, sheet, records, fmt, labels)
        if lists is not None:
            lists.validate(ws, sheet, names)
    if lists is not None:
        lists.finish()


def _settings_sheet(
    ws: Any, settings: Mapping[str, Any], fmt: _Formats, lists: _Lists | None
) -> list[str]:
    sheet = SHEET_BY_NAME["Settings"]
    names = ["name", "value", "about"]
    _header(ws, sheet, names, fmt)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 18, fmt.plain)
    ws.set_column(2, 2, 90)
    known = {f.name for f in SETTINGS}
    rows = [*SETTINGS, *(Field(k, "text", "") for k in settings if k not in known)]
    block = Block(ws, 1, len(rows))
    block.put(0, text_cells(ws, "A", block.numbers, [spec.name for spec in rows]))
    block.put(  # each setting's value as its own field would be written
        1,
        [
            input_cells(ws, "B", [r], [settings.get(spec.name)], spec, fmt)[0]
            for r, spec in zip(block.numbers, rows, strict=True)
        ],
    )
    about = [f"{s.help}. Default: {describe_default(s)}." if s.help else None for s in rows]
    block.put(2, text_cells(ws, "C", block.numbers, about))
    if lists is not None:
        for i, spec in enumerate(rows, start=1):
            if spec.name in known:
                lists.validate_cell(ws, i, 1, spec)
    return names


def describe_default(spec: Field) -> str:
    """A field's default as a person would write it in the workbook."""
    if spec.required:
        return "required"
    value = spec.default
    if value is None:
        return "blank"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if spec.kind == "rate":
        return f"{value * 100:g}%"
    return str(value)


class _Lists:
    """The hidden Lists sheet, its named ranges and the data validations using them."""

    def __init__(self, workbook: Any, reference: ReferenceData) -> None:
        self.workbook = workbook
        themes = reference.outcome_themes
        table = reference.unit_costs.rows
        self.columns: list[tuple[str, str, list[Any]]] = [
            ("UnitCostCodes", "unit_cost_code", [str(c) for c in table.index]),
            ("UnitCostNames", "unit cost name", [str(n) for n in table["name"]]),
            (
                "UnitCostChoices",
                "unit cost (code — name)",
                [
                    f"{c}{DROPDOWN_SEPARATOR}{n}"[:250]
                    for c, n in zip(table.index, table["name"], strict=True)
                ],
            ),
            (
                "OutcomeThemeChoices",
                "outcome theme (number — name)",
                [f"{k}{DROPDOWN_SEPARATOR}{themes[k]}" for k in sorted(themes)],
            ),
            ("AgencyNames", "agency", agency_choices(reference.unit_costs)),
            ("Categories", "category", list(CATEGORIES)),
            ("CostKinds", "kind", list(COST_KINDS)),
            ("Modes", "mode", list(MODES)),
            ("CostTypes", "cost_type", list(COST_TYPES)),
            ("Grades", "confidence_grade", [1, 2, 3, 4, 5, 6]),
            ("OutcomeThemes", "outcome_theme", sorted(themes)),
            ("OutcomeThemeNames", "outcome", [themes[k] for k in sorted(themes)]),
            ("Groups", "group", ["intervention", "comparison"]),
            ("Schedules", "discount", sorted(reference.discount_schedules.schedules)),
            ("TrueFalse", "true/false", [True, False]),
            ("PriceYears", "price year", sorted(reference.deflators.index)),
        ]

    def finish(self) -> None:
        ws = self.workbook.add_worksheet("Lists")
        fmt = _Formats(self.workbook)
        block = Block(ws, 1, max(len(values) for _, _, values in self.columns))
        for col, (name, title, values) in enumerate(self.columns):
            ws.write_string(0, col, title, fmt.header)
            padded = [*values, *[None] * (block.rows - len(values))]
            block.put(col, input_cells(ws, block.letter(col), block.numbers, padded, None, fmt))
            ws.set_column(
                col,
                col,
                40 if "name" in title or title.startswith(("outcome", "unit cost")) else 16,
            )
            last = max(len(values), 1) + 1
            self.workbook.define_name(
                name, f"=Lists!${column_letter(col + 1)}$2:${column_letter(col + 1)}${last}"
            )
        ws.hide()

    def rule(self, spec: Field) -> dict[str, Any]:
        """The data validation of a field, with its help shown on selecting a cell."""
        shown = {
            "input_title": spec.name[:32],
            "input_message": (spec.help + (f" ({spec.unit})" if spec.unit else ""))[:255],
        }
        listed = _LISTED.get(spec.name) if spec.kind != "code" else ("UnitCostChoices", "warning")
        if listed is not None:
            return {
                "validate": "list",
                "source": f"={listed[0]}",
                "error_type": listed[1],
                "error_message": f"{spec.name} must be {_accepted(spec)}"[:255],
                **shown,
            }
        if spec.kind == "choice":
            return {"validate": "list", "source": list(spec.choices), **shown}
        if spec.kind in ("discount", "price_year", "bool"):
            source, style, words = {
                "discount": ("Schedules", "information", "a schedule name, or a flat rate (3.5%)"),
                "price_year": ("PriceYears", "warning", "a financial year such as 2024-25"),
                "bool": ("TrueFalse", "stop", "TRUE or FALSE"),
            }[spec.kind]
            return {
                "validate": "list",
                "source": f"={source}",
                "error_type": style,
                "error_message": f"{spec.name} must be {words}",
                **shown,
            }
        if spec.kind == "rate":
            return {
                "validate": "decimal",
                "criteria": "between",
                "minimum": 0,
                "maximum": 1,
                "error_message": f"{spec.name} must be a share from 0% to 100%, e.g. 45%",
                **shown,
            }
        if spec.kind in ("number", "integer") and spec.minimum is not None:
            rule: dict[str, Any] = {
                "validate": "integer" if spec.kind == "integer" else "decimal",
                "error_message": f"{spec.name} must be {spec.accepted()}"[:255],
            }
            if spec.maximum is not None:
                rule.update(criteria="between", minimum=spec.minimum, maximum=spec.maximum)
            else:
                rule.update(criteria=">=", value=spec.minimum)
            return {**rule, **shown}
        return {"validate": "any", **shown}

    def validate(self, ws: Any, sheet: Sheet, names: list[str]) -> None:
        specs = {f.name: f for f in sheet_fields(sheet)}
        for col, name in enumerate(names):
            spec = specs.get(name)
            if spec is None:
                continue
            if spec is PROJECT_ID or (name == "project_id" and sheet.name != "Projects"):
                rule: dict[str, Any] = {
                    "validate": "list",
                    "source": f"=Projects!$A$2:$A${PROJECT_ROWS + 1}",
                    "error_type": "warning",
                    "error_message": "Use a project_id from the Projects sheet",
                    "input_title": "project_id",
                    "input_message": spec.help,
                }
            else:
                rule = self.rule(spec)
            ws.data_validation(1, col, LAST_ROW - 1, col, rule)

    def validate_cell(self, ws: Any, row: int, col: int, spec: Field) -> None:
        ws.data_validation(row, col, row, col, self.rule(spec))


#: fields whose dropdown is a list of the Lists sheet: (named range, Excel error style)
_LISTED = {
    "category": ("Categories", "stop"),
    "mode": ("Modes", "stop"),
    "kind": ("CostKinds", "stop"),
    "cost_type": ("CostTypes", "stop"),
    "confidence_grade": ("Grades", "stop"),
    "outcome_theme": ("OutcomeThemeChoices", "warning"),
    "agency": ("AgencyNames", "warning"),
    "group": ("Groups", "stop"),
}


def _accepted(spec: Field) -> str:
    if spec.kind == "code":
        return (
            "a unit cost from the list (its code and name), a code of the unit cost table, "
            "or one added on UnitCosts"
        )
    if spec.name == "agency":
        return "an agency from the list, or one added to the input's agencies list"
    if spec.name == "outcome_theme":
        return "a theme from the list (its number and name) or its number"
    return spec.accepted()
