"""The ``froi`` command line: compute runs and look after unit cost tables.

    froi compute INPUT.json|INPUT.xlsx   results as JSON on stdout
    froi compute INPUT -o RESULTS.xlsx   the standard results workbook
    froi template -o FILE.xlsx           the Excel input template
    froi unit-costs list [--search TEXT] the table in use, a row a line
    froi unit-costs show CODE            one unit cost with its provenance
    froi unit-costs check FILE           load a table strictly; report its data quality
    froi unit-costs import FILE -o OUT   import the GMCA extraction (or a table) as a table

Exit status: 0 done, 2 the input has problems (each printed on stderr), 1 anything else.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from calculator import ENGINE_VERSION
from calculator.errors import FroiError, InvalidInput, Problem
from calculator.jsontext import parse_json
from calculator.prices import DeflatorTable
from calculator.reference import (
    DEFAULT_DEFLATORS,
    DEFAULT_DIR,
    DEFAULT_UNIT_COSTS,
    ReferenceData,
    load_deflators,
    load_reference,
)
from froi.workbook.cells import problem_lines
from froi.workbook.limits import add_limit_arguments
from froi.workbook.template import add_commands as add_template_command


def _reference(args: argparse.Namespace) -> ReferenceData:
    return load_reference(
        unit_costs=args.unit_costs,
        deflators=args.deflators,
        optimism_bias=getattr(args, "optimism_bias", None),
        discount_schedules=getattr(args, "discount_schedules", None),
    )


def _read_json(path: str) -> tuple[Any, str | None]:
    """The document and the SHA-256 of the file's bytes (None for stdin), read once and
    parsed within the limits of :func:`calculator.jsontext.parse_json`."""
    digest = None
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            data = Path(path).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
    except OSError as exc:
        raise InvalidInput([Problem(f"cannot be read: {exc.strerror}", file=path)], path) from None
    return parse_json(data, path), digest


def _compute_results(args: argparse.Namespace, reference: ReferenceData) -> tuple[Any, str | None]:
    """The run's results and the SHA-256 of the input file's bytes (None for stdin)."""
    from calculator.engine import compute, compute_run
    from froi.workbook.limits import limits_from_args
    from froi.workbook.reader import check_workbook, is_workbook_path

    overrides = {
        name: value
        for name, value in (("simulations", args.simulations), ("seed", args.seed))
        if value is not None
    }
    if is_workbook_path(args.input):
        run, book = check_workbook(
            args.input, reference, limits=limits_from_args(args), settings=overrides
        )
        results = compute_run(run, reference, input_sha256=book.sha256)
        return results, book.sha256
    doc, digest = _read_json(args.input)
    if overrides and isinstance(doc, dict):  # the run records what it computed
        doc["settings"] = {**(doc.get("settings") or {}), **overrides}
    return compute(doc, reference), digest


def cmd_compute(args: argparse.Namespace) -> int:
    reference = _reference(args)
    results, digest = _compute_results(args, reference)
    for warning in results.warnings:  # before the output, so a pipe's reader sees them first
        print(f"warning: {warning}", file=sys.stderr)
    if args.output:
        from froi.workbook.results import write_results_workbook

        name = "standard input" if args.input == "-" else Path(args.input).name
        try:
            write_results_workbook(
                results, args.output, reference=reference, input_sha256=digest, input_name=name
            )
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(
            f"wrote the results of {len(results.summary)} project(s) to {args.output}",
            file=sys.stderr,
        )
        return 0
    out = results.to_dict()
    out["run"]["input_file"] = args.input
    out["run"]["input_file_sha256"] = digest
    text = json.dumps(out, indent=2 if args.pretty else None, allow_nan=False, ensure_ascii=False)
    print(text)
    return 0


def _deflators(args: argparse.Namespace) -> DeflatorTable:
    return load_deflators(args.deflators or DEFAULT_DIR / DEFAULT_DEFLATORS)


def _table(args: argparse.Namespace, deflators: DeflatorTable) -> Any:
    from calculator.unit_costs import load_table

    return load_table(args.unit_costs or DEFAULT_DIR / DEFAULT_UNIT_COSTS, deflators)


def cmd_list(args: argparse.Namespace) -> int:
    table = _table(args, _deflators(args))
    rows = table.rows
    if args.search:
        needle = args.search.lower()
        hay = (
            rows.index.str.lower()
            + " "
            + rows["name"].str.lower()
            + " "
            + rows["agency"].str.lower()
        )
        rows = rows[hay.str.contains(needle, regex=False)]
    print(f"# {table.label} ({len(table)} rows, sha256 {table.sha256[:12]}); showing {len(rows)}")
    for code, row in rows.iterrows():
        grade = (
            "-"
            if row["confidence_grade"] != row["confidence_grade"]
            else int(row["confidence_grade"])
        )
        print(
            f"{code}\t£{row['value']:,.2f} {row['unit'].lower()} ({row['price_year']})\t"
            f"grade {grade}\t{row['agency']}\t{row['name']}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    deflators = _deflators(args)
    table = _table(args, deflators)
    if args.code not in table:
        print(f"unit cost '{args.code}' is not in table '{table.label}'", file=sys.stderr)
        return 2
    record = table.row(args.code)
    record["value_at_base_year"] = record["value"] * deflators.factor(
        record["price_year"], deflators.latest_year
    )
    record["base_year"] = deflators.latest_year
    record["table"] = {
        "name": table.meta.name,
        "version": table.meta.version,
        "sha256": table.sha256,
    }
    grade = record["confidence_grade"]
    record["confidence_grade"] = None if grade != grade else int(grade)
    print(json.dumps(record, indent=2, ensure_ascii=False, default=str))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from calculator.unit_costs import load_table

    deflators = _deflators(args)
    table = load_table(args.file, deflators)
    print(f"{args.file}: {table.label}, {len(table)} rows, sha256 {table.sha256}")
    if table.quality:
        print(f"{len(table.quality)} data-quality warning(s):")
        for problem in table.quality:
            print(f"  - {problem}")
    else:
        print("no data-quality warnings")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from calculator.gmca import import_gmca, quality_report
    from calculator.provenance import TableMeta, write_meta
    from calculator.unit_costs import hierarchy_problems, load_table, table_hash, write_table

    deflators = _deflators(args)
    source = Path(args.file)
    if source.suffix.lower() == ".json":
        imported = import_gmca(source, deflators)
        rows, problems = imported.rows, imported.problems
        meta = TableMeta(
            name=args.name or "GMCA Unit Cost Database",
            version=args.version or "1.4",
            publisher="Greater Manchester Combined Authority",
            source=source.name,
        )
    else:
        table = load_table(source, deflators)
        rows, problems, meta = table.rows, list(table.quality), table.meta
    print(quality_report(problems))
    if args.output:
        out = Path(args.output)
        write_table(out, rows)
        write_meta(out, meta)
        print(f"wrote {len(rows)} rows to {out} (sha256 {table_hash(rows)})")
    else:
        print(
            f"{len(rows)} rows read; {len(hierarchy_problems(rows))} hierarchy mismatch(es); "
            "give -o FILE.csv to write the table"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="froi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"froi {ENGINE_VERSION}")
    tables = argparse.ArgumentParser(add_help=False)
    tables.add_argument(
        "--unit-costs",
        metavar="CSV",
        help="unit cost table to use instead of the default national table",
    )
    tables.add_argument("--deflators", metavar="CSV", help="GDP deflator table to use")
    sub = parser.add_subparsers(dest="command", required=True)

    compute = sub.add_parser("compute", parents=[tables], help="compute FROI for an input")
    compute.add_argument(
        "input",
        help="input workbook (.xlsx, .xlsm; see froi template) or JSON file (METHOD section "
        "6), or - for JSON on stdin",
    )
    compute.add_argument(
        "-o",
        "--output",
        metavar="RESULTS.xlsx",
        help="write the standard results workbook here instead of JSON on stdout",
    )
    compute.add_argument("--optimism-bias", metavar="CSV", help="optimism bias table to use")
    compute.add_argument("--discount-schedules", metavar="CSV", help="discount schedules to use")
    compute.add_argument("--pretty", action="store_true", help="indent the JSON")
    compute.add_argument(
        "--simulations",
        type=int,
        metavar="N",
        help="Monte Carlo simulations of every appraisal project (METHOD 5); overrides the "
        "input's settings",
    )
    compute.add_argument("--seed", type=int, metavar="S", help="random seed (default 0)")
    add_limit_arguments(compute)
    compute.set_defaults(func=cmd_compute)
    add_template_command(sub, [tables])

    unit_costs = sub.add_parser("unit-costs", help="list, show, check and import unit costs")
    uc = unit_costs.add_subparsers(dest="action", required=True)
    listing = uc.add_parser("list", parents=[tables], help="list the unit costs in use")
    listing.add_argument("--search", help="only rows whose code, name or agency contain this")
    listing.set_defaults(func=cmd_list)
    show = uc.add_parser("show", parents=[tables], help="show one unit cost")
    show.add_argument("code")
    show.set_defaults(func=cmd_show)
    check = uc.add_parser("check", parents=[tables], help="check a unit cost table file")
    check.add_argument("file")
    check.set_defaults(func=cmd_check)
    imp = uc.add_parser("import", parents=[tables], help="import a GMCA extraction or a table")
    imp.add_argument("file", help="GMCA Unit Cost Database extraction (.json) or a table (.csv)")
    imp.add_argument("-o", "--output", help="write the imported table here (.csv + .json)")
    imp.add_argument("--name", help="table name for the metadata")
    imp.add_argument("--version", dest="version", help="table version for the metadata")
    imp.set_defaults(func=cmd_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except InvalidInput as exc:
        count = len(exc.problems)
        print(f"{count} problem(s) in {exc.context}; nothing was computed:", file=sys.stderr)
        for line in problem_lines(exc):
            print(f"  - {line}", file=sys.stderr)
        return 2
    except FroiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
