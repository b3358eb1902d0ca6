"""Form fields for templates, built from the field declarations.

A :class:`FormField` is everything a template needs to draw one input accessibly: its
id, label, hint (the declaration's help, what is accepted, the default and unit), the
value as typed or stored, and its error.  Templates never invent labels or rules;
:func:`form_fields` derives them, so a form says what the workbook and the API say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from calculator.fields import Field

from .words import choice_words, field_hint, field_label, plain_message


def shown(value: Any) -> str:
    """A stored value as it goes back into an input: exact, and whole numbers without .0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


@dataclass(frozen=True)
class FormField:
    """One input of a form: a declaration, the value to show and its error, if any."""

    spec: Field
    value: str
    error: str | None = None
    #: set when two sets of fields share a form (a project's ``discount`` and the
    #: settings' ``discount``), so their names and ids stay apart
    prefix: str = ""
    #: a closed list of answers for a text field (the agencies a run knows), drawn as a
    #: select; a stored value outside it is kept as an option, so nothing is lost
    answers: tuple[str, ...] | None = None
    #: the set the field belongs to (``project``, ``settings``, ``costs``...), for its words
    group: str = ""
    #: required in context (a cost's agency when the cost is an amount), over the
    #: declaration's own rule; None: as declared
    needed: bool | None = None
    #: the words of each answer of ``answers`` where they differ from the answer itself
    answer_words: tuple[tuple[str, str], ...] = ()
    #: a label of the form's own, over the field's usual one
    label_text: str | None = None
    hint_text: str | None = None

    @property
    def name(self) -> str:
        return self.prefix + self.spec.name

    @property
    def id(self) -> str:
        return f"field-{self.name}"

    @property
    def required(self) -> bool:
        return self.spec.required if self.needed is None else self.needed

    @property
    def label(self) -> str:
        text = self.label_text or field_label(self.spec.name, self.group)
        return text + ("" if self.required else " (optional)")

    @property
    def hint(self) -> str:
        return self.hint_text if self.hint_text is not None else field_hint(self.spec, self.group)

    @property
    def message(self) -> str | None:
        """The error in the form's words (the field's label, never its name)."""
        return None if self.error is None else plain_message(self.error, self.spec, self.group)

    @property
    def control(self) -> str:
        """``select`` for a closed set of answers, ``text`` otherwise.

        Numbers are text inputs with ``inputmode`` (GOV.UK's advice): a number input
        would silently drop "45%" or "£1,200", which the engine accepts.
        """
        if self.answers is not None:
            return "select"
        return "select" if self.spec.kind in ("choice", "bool") else "text"

    @property
    def inputmode(self) -> str | None:
        return {"integer": "numeric", "number": "decimal", "rate": "decimal"}.get(self.spec.kind)

    @property
    def options(self) -> list[tuple[str, str]]:
        default = shown(self.spec.default)
        blank = f"Not given (usually {default.replace('_', ' ')})" if default else "Not given"
        if self.answers is not None:
            words = dict(self.answer_words)
            known = [(a, words.get(a, a)) for a in self.answers]
            if self.value and self.value not in self.answers:
                known.insert(0, (self.value, f"{self.value} (not in the list)"))
            return [("", "Choose one" if self.required else "Not given"), *known]
        if self.spec.kind == "bool":
            blank = f"Not given (usually {'yes' if self.spec.default else 'no'})"
            return [("", blank), ("true", "Yes"), ("false", "No")]
        return [("", blank)] + [(c, choice_words(c)) for c in self.spec.choices]

    @property
    def width(self) -> str:
        """A width class that hints at the expected answer (GOV.UK: size inputs to fit)."""
        if self.spec.kind in ("number", "integer", "rate", "price_year", "discount", "code"):
            return "input-short"
        return "input-long" if self.spec.name in ("description", "name", "help") else "input-medium"


def form_fields(
    fields: Iterable[Field],
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    prefix: str = "",
    answers: Mapping[str, tuple[str, ...]] | None = None,
    group: str = "",
    needed: Mapping[str, bool] | None = None,
    answer_words: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
) -> list[FormField]:
    """One FormField per declaration, in declaration order; ``answers`` gives a text field
    its closed list of answers (by field name), ``group`` the set whose words it takes
    (:mod:`.words`) and ``needed`` what is required in the form's context."""
    errors = errors or {}
    answers = answers or {}
    needed = needed or {}
    answer_words = answer_words or {}
    return [
        FormField(
            spec,
            shown(values.get(spec.name)),
            errors.get(spec.name),
            prefix,
            answers.get(spec.name),
            group,
            needed.get(spec.name),
            answer_words.get(spec.name, ()),
        )
        for spec in fields
    ]


def posted(fields: Iterable[Field], form: Mapping[str, str], prefix: str = "") -> dict[str, str]:
    """The values a form posted for these fields, by field name, as typed."""
    return {spec.name: form.get(prefix + spec.name, "") for spec in fields}


def is_range(spec: Field) -> bool:
    """Uncertainty ranges (METHOD 5): optional extras grouped apart on a form."""
    return spec.name.endswith(("_low", "_high"))


@dataclass(frozen=True)
class ErrorItem:
    """One line of an error summary: the message and where to fix it (or None)."""

    text: str
    href: str | None = None


def summary(fields: Iterable[FormField]) -> list[ErrorItem]:
    """The error summary of a form: each field's error, linking to the field."""
    return [ErrorItem(f.message, f"#{f.id}") for f in fields if f.message]
