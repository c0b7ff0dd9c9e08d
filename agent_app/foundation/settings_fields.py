"""Frozen settings sections and the small validator behind them.

A section is a frozen, keyword-only dataclass whose fields are declared with :func:`setting`
(bounds, a pattern, an extra check); every construction checks and converts every value
and reports all bad ones at once in a :class:`SettingsError`.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, cast

_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_WHOLE = re.compile(r"[+-]?\d+\.0*")  # "30.0" is a whole number; "30.5" and "3e1" are not


@dataclass(frozen=True)
class Rule:
    """What a field accepts beyond its type: bounds, a pattern over the whole text, and a
    check that returns why a value is refused (or None)."""

    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    pattern: str | None = None
    check: Callable[[Any], str | None] | None = None


@dataclass(frozen=True)
class FieldInfo:
    """One field of a section: its resolved type, its default and its rule."""

    annotation: Any
    default: Any
    rule: Rule


@dataclass(frozen=True)
class FieldError:
    loc: tuple[str, ...]  # ("sip", "transport") or ("transport",)
    value: Any
    reason: str


class SettingsError(ValueError):
    """Bad values, all of them: one line per value in the message."""

    def __init__(self, section: str, errors: list[FieldError]) -> None:
        self.errors = tuple(errors)
        lines = [f"{'.'.join(e.loc)} = {e.value!r} is not valid ({e.reason})" for e in errors]
        super().__init__(f"invalid {section}:\n  " + "\n  ".join(lines))


_T = typing.TypeVar("_T")


def setting(
    default: _T,
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    pattern: str | None = None,
    check: Callable[[Any], str | None] | None = None,
) -> _T:
    """A field with a default and the rule its values must follow."""
    rule = Rule(gt, ge, le, pattern, check)
    # The dataclass takes the Field; its stub types it as the default, so mypy checks that.
    return dataclasses.field(default=default, metadata={"rule": rule})


class _ModelFields:
    """``Section.model_fields``: the fields in declaration order, from the class or an instance."""

    def __get__(self, instance: object, owner: type[Section]) -> Mapping[str, FieldInfo]:
        return _fields(owner)


_FIELDS: dict[type[Section], Mapping[str, FieldInfo]] = {}


def _fields(cls: type[Section]) -> Mapping[str, FieldInfo]:
    found = _FIELDS.get(cls)
    if found is None:
        # Resolved once per class: the annotations are strings (postponed evaluation).
        hints = typing.get_type_hints(cls)
        found = {
            f.name: FieldInfo(hints[f.name], f.default, f.metadata.get("rule", Rule()))
            for f in dataclasses.fields(cast(Any, cls))
        }
        _FIELDS[cls] = found
    return found


class Section:
    """Base of the settings sections (subclasses are ``@dataclass(frozen=True, kw_only=True)``)."""

    model_fields: ClassVar[_ModelFields] = _ModelFields()

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        for name, info in _fields(type(self)).items():
            value = getattr(self, name)
            try:
                converted = _convert(info, value)
            except SettingsError as exc:  # a nested section's own errors
                errors += [FieldError((name, *e.loc), e.value, e.reason) for e in exc.errors]
                continue
            except _Refused as exc:
                errors.append(FieldError((name,), value, str(exc)))
                continue
            if converted is not value:
                object.__setattr__(self, name, converted)  # frozen: set once, while built
        if errors:
            raise SettingsError(type(self).__name__, errors)

    @classmethod
    def model_validate(cls, data: Mapping[str, Any]) -> Self:
        """A section from a mapping (nested sections from mappings too); unknown keys refused."""
        fields = _fields(cls)
        unknown = [
            FieldError((str(key),), value, "unknown setting; allowed: " + ", ".join(fields))
            for key, value in data.items()
            if key not in fields
        ]
        try:
            made = cls(**{key: value for key, value in data.items() if key in fields})
        except SettingsError as exc:
            raise SettingsError(cls.__name__, [*exc.errors, *unknown]) from None
        if unknown:
            raise SettingsError(cls.__name__, unknown)
        return made

    def model_dump(self) -> dict[str, Any]:
        """The values as a dict, nested sections as dicts."""
        dumped = {}
        for name in _fields(type(self)):
            value = getattr(self, name)
            dumped[name] = value.model_dump() if isinstance(value, Section) else value
        return dumped

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with ``update`` applied, validated like a new section."""
        return dataclasses.replace(self, **(update or {}))  # type: ignore[type-var]


class _Refused(Exception):
    """Why one value is not valid (becomes a :class:`FieldError`)."""


def _convert(info: FieldInfo, value: Any) -> Any:
    converted = _as_type(info.annotation, value)
    rule = info.rule
    if rule.gt is not None and not converted > rule.gt:
        raise _Refused(f"must be greater than {rule.gt}")
    if rule.ge is not None and not converted >= rule.ge:
        raise _Refused(f"must be greater than or equal to {rule.ge}")
    if rule.le is not None and not converted <= rule.le:
        raise _Refused(f"must be less than or equal to {rule.le}")
    if rule.pattern is not None and re.fullmatch(rule.pattern, converted) is None:
        raise _Refused(f"must match the pattern {rule.pattern!r}")
    if rule.check is not None:
        refusal = rule.check(converted)
        if refusal is not None:
            raise _Refused(refusal)
    return converted


def _as_type(annotation: Any, value: Any) -> Any:
    """``value`` as ``annotation``, with the conversions files and variables need: text to
    numbers and booleans, lists to tuples; a boolean is never a number."""
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return _as_section(annotation, value)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return _as_choice(typing.get_args(annotation), value)
    if origin is tuple:  # tuple[str, ...], the only tuple the sections use
        return _as_texts(value)
    convert = _SCALARS.get(annotation)
    if convert is None:
        raise TypeError(f"no conversion to {annotation!r}")  # a section declared a new type
    return convert(value)


def _as_section(cls: type[Section], value: Any) -> Section:
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        return cls.model_validate(value)
    raise _Refused(f"must be a table of {cls.__name__} settings")


def _as_choice(choices: tuple[Any, ...], value: Any) -> Any:
    if isinstance(value, str) and value in choices:
        return value
    *names, last = [repr(choice) for choice in choices]
    raise _Refused("allowed: " + (f"{', '.join(names)} or {last}" if names else last))


def _as_texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _Refused("must be a list of text")
    return tuple(value)


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise _Refused("must be text")
    return value


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise _Refused("must be true or false")


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Refused("must be a whole number, not true or false")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            if _WHOLE.fullmatch(text):
                return int(float(text))
    raise _Refused("must be a whole number")


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _Refused("must be a number, not true or false")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _Refused("must be a number")


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    str: _as_str,
    bool: _as_bool,
    int: _as_int,
    float: _as_float,
}
