"""Field rules, and the plain-Python readers generated from a table of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

ISO_DATE: Final = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
"""A date as YYYY-MM-DD, in ASCII digits; a ``date`` field must also be a day that exists."""
ID_LENGTH: Final = 64
"""Ids the server makes (patients, campaigns) are at most this long."""

Kind = Literal["text", "date", "bool", "int", "list", "ids"]
"""``list``: a list whose entries have rules of their own; ``ids``: a list of ids."""

# Python's type of each kind, and how a problem names it.
_TYPES: Final = {
    "text": ("str", "text"),
    "date": ("str", "a YYYY-MM-DD date"),
    "bool": ("bool", "true or false"),
    "int": ("int", "an integer"),
    "list": ("list", "a list"),
    "ids": ("list", "a list"),
}
# Valid values remembered for a field that ``repeats``: a set lookup costs a fifth of a
# pattern match. Bounded, in case a field takes more values than it was thought to.
_KNOWN_LIMIT: Final = 4096


class ContractViolationError(ValueError):
    """An item breaks a rule; the message names the field and the rule, never the value."""


@dataclass(frozen=True, slots=True)
class Field:
    """The rule of one field. A pattern is the whole value (each reader anchors it)."""

    name: str
    kind: Kind
    required: bool = False  # an item without it is invalid; others may be left out
    nullable: bool = False  # null is one of its values (else a null is invalid)
    min_length: int = 0  # of a text, or of a list
    max_length: int | None = None  # of a text, or of a list
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    default: Any = None  # what the server takes for it when an import leaves it out
    assigned: bool = False  # set by the server, never sent to it
    repeats: bool = False  # takes few distinct values (a language): readers remember them


def _length_test(rule: Field, unit: str) -> tuple[str, str] | None:
    low, high = rule.min_length, rule.max_length
    if high is not None and low:
        return f"not {low} <= len({{v}}) <= {high}", f"must have {low} to {high} {unit}"
    if high is not None:
        return f"len({{v}}) > {high}", f"must have at most {high} {unit}"
    if low == 1:
        return "not {v}", "is empty"
    if low:
        return f"len({{v}}) < {low}", f"must have at least {low} {unit}"
    return None


def _tests(rule: Field, names: dict[str, object]) -> list[tuple[str, str]]:
    """(test on ``{v}``, problem) pairs: a value that passes none of them is valid.

    The names the tests use are added to ``names``. A ``date`` is also tried as a day of
    the calendar, and each id of ``ids`` checked, after these (see :func:`_field_source`).
    """
    name, kind = rule.name, rule.kind
    pytype, described = _TYPES[kind]
    tests = [
        ("{v} is None", "is missing" if rule.required else "is null"),
        (f"type({{v}}) is not {pytype}", f"is not {described}"),
    ]
    length = _length_test(rule, "characters" if kind == "text" else "entries")
    if length is not None:
        tests.append(length)
    if kind == "date":
        names["_date_match"] = re.compile(ISO_DATE).fullmatch
        tests.append(("_date_match({v}) is None", "is not a YYYY-MM-DD date"))
    if rule.pattern is not None:
        match = re.compile(rule.pattern).fullmatch
        if rule.repeats:
            known: set[str] = set()
            names[f"_{name}_known"] = known
            names[f"_{name}_match"] = _remembering(match, known)
            test = f"{{v}} not in _{name}_known and not _{name}_match({{v}})"
        else:
            names[f"_{name}_match"] = match
            test = f"_{name}_match({{v}}) is None"
        tests.append((test, "does not have the expected form"))
    if rule.choices is not None:
        names[f"_{name}_choices"] = frozenset(rule.choices)
        tests.append((f"{{v}} not in _{name}_choices", "is not one of the allowed values"))
    return tests


def _remembering(match: Callable[[str], object], known: set[str]) -> Callable[[str], bool]:
    def matches(value: str) -> bool:
        if match(value) is None:
            return False
        if len(known) < _KNOWN_LIMIT:
            known.add(value)
        return True

    return matches


def _field_source(rule: Field, index: int, names: dict[str, object]) -> list[str]:
    """Statements that check one field and leave its value (None if left out) in ``v<index>``.

    The tests but the first (a null fails the type test too) are joined with ``or`` into
    one condition; only a value that fails it goes through them one by one, in a function
    of its own that names the broken rule (or, for a field left out, returns None).
    """
    name, v = rule.name, f"v{index}"
    tests = _tests(rule, names)
    explain = [f"def _explain_{index}(v):"]
    if not rule.required:
        explain.append("    if v is _MISSING: return None")
    for test, problem in tests:
        explain.append(
            f"    if {test.format(v='v')}: raise _Invalid({f'field {name} {problem}'!r})"
        )
    explain.append(f"    raise _Invalid({f'field {name} is not valid'!r})")  # unreachable
    exec("\n".join(explain), names)  # noqa: S102 - made from the rule's own fields only
    condition = " or ".join(f"({test.format(v=v)})" for test, _ in tests[1:])
    # A subscript in a try costs half a ``get`` call when the key is there, as it nearly
    # always is (the server sends every field).
    out = ["    try:", f"        {v} = item[{name!r}]", "    except KeyError:"]
    out.append(f"        {v} = {'None' if rule.required or rule.nullable else '_MISSING'}")
    if rule.nullable:
        out.append(f"    if {v} is not None and ({condition}):")
    else:  # a value left out fails the type test, and is named by the explanation
        out.append(f"    if {condition}:")
    out.append(f"        {v} = _explain_{index}({v})")
    fail = f"raise _Invalid({f'field {name} '!r} + "
    pad = "    "
    if not rule.required and rule.kind in ("date", "ids"):
        out.append(f"    if {v} is not None:")
        pad = "        "
    if rule.kind == "date":
        out += [f"{pad}try:", f"{pad}    _fromisoformat({v})", f"{pad}except ValueError:"]
        out.append(f"{pad}    {fail}'is not a calendar date') from None")
    if rule.kind == "ids":
        out += [f"{pad}for e in {v}:"]
        out += [f"{pad}    if type(e) is not str or not 0 < len(e) <= {ID_LENGTH}:"]
        out.append(f"{pad}        {fail}'holds an id that is not 1 to {ID_LENGTH} characters')")
    return out


_MISSING: Final = object()


def compile_reader(rules: tuple[Field, ...], function: str) -> Callable[[object], tuple[Any, ...]]:
    """A function that checks an item under ``rules`` and returns its values in their order.

    A field left out reads as None; the first broken rule raises
    :class:`ContractViolationError`. The function is generated from the rules as one flat
    run of tests, with no call for a valid field: the speed of checks written by hand.
    """
    names: dict[str, object] = {
        "_MISSING": _MISSING,
        "_Mapping": Mapping,
        "_Invalid": ContractViolationError,
        "_fromisoformat": date.fromisoformat,
    }
    lines = [
        f"def {function}(item):",
        "    if type(item) is not dict and not isinstance(item, _Mapping):",
        "        raise _Invalid('not an object')",
    ]
    for index, rule in enumerate(rules):
        if not rule.name.isidentifier():  # it names generated functions and values
            raise ValueError(f"not a field name: {rule.name!r}")
        lines += _field_source(rule, index, names)
    lines.append(f"    return ({''.join(f'v{i}, ' for i in range(len(rules)))})")
    exec("\n".join(lines), names)  # noqa: S102 - made above from the rules' own fields only
    reader: Callable[[object], tuple[Any, ...]] = names[function]  # type: ignore[assignment]
    reader.__module__ = __name__
    return reader


def problem_of(reader: Callable[[object], tuple[Any, ...]], item: object) -> str | None:
    """The first problem ``reader`` finds in ``item``, or None if it has none."""
    try:
        reader(item)
    except ContractViolationError as exc:
        return str(exc)
    return None
