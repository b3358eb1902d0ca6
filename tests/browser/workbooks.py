"""Input workbooks for the batch upload tests, made from the shipped sample with openpyxl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

SAMPLES = Path(__file__).resolve().parents[2] / "sample_workbooks"
SAMPLE = "edge_of_care_appraisal"
SAMPLE_REF = "EOC-HUB"


def input_workbook(folder: Path, reference: str, success: Any = None) -> tuple[Path, str]:
    """The edge-of-care sample under project ``reference``; ``success`` replaces the first
    outcome's success rate.  Returns the file and that cell's address (``Outcomes!G2``)."""
    book = openpyxl.load_workbook(SAMPLES / f"{SAMPLE}.xlsx")
    for sheet in book.worksheets:
        header = [cell.value for cell in sheet[1]]
        if "project_id" not in header:
            continue
        column = header.index("project_id") + 1
        for row in range(2, sheet.max_row + 1):
            if sheet.cell(row, column).value == SAMPLE_REF:
                sheet.cell(row, column).value = reference
    outcomes = book["Outcomes"]
    column = [cell.value for cell in outcomes[1]].index("success") + 1
    if success is not None:
        outcomes.cell(2, column).value = success
    path = folder / f"{reference.lower()}.xlsx"
    book.save(path)
    return path, f"Outcomes!{get_column_letter(column)}2"


def input_document(reference: str) -> dict[str, Any]:
    """The same input as JSON (the sample's JSON twin), for the engine."""
    doc: dict[str, Any] = json.loads((SAMPLES / f"{SAMPLE}.json").read_text(encoding="utf-8"))
    for project in doc["projects"]:
        if project["project_id"] == SAMPLE_REF:
            project["project_id"] = reference
    return doc
