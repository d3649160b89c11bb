"""The safe condition language of playbooks.

A condition is plain data (as read from YAML), never code:

    {all: [c, ...]}   {any: [c, ...]}   {not: c}
    {fact: severity, gte: 3}
    {fact: category, in: [malicious-code/infected-system]}
    {fact: text, contains_any: [ransom*, lockbit]}
    {fact: reported_at, within: 72h}

``compile_condition`` checks every fact name, operator and value once, at load
time, and raises ``RuleError`` naming where in the condition the fault is. The
predicate it returns never raises: an unknown (``None``) or ill-typed fact makes
a test false.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ncert.taxonomy import RSIT, TLP, OrgKind, validate_category
from playbooks.facts import Facts

Location = tuple[str | int, ...]
Predicate = Callable[[Facts], bool]

MAX_DEPTH = 32


class RuleError(ValueError):
    """A malformed rule; ``where`` is the path of keys and indexes to the fault."""

    def __init__(self, where: Location, what: str):
        super().__init__(what)
        self.where = tuple(where)
        self.what = what

    def within(self, *prefix: str | int) -> "RuleError":
        """The same error, located under ``prefix``."""
        return RuleError(tuple(prefix) + self.where, self.what)

    def __str__(self) -> str:
        if not self.where:
            return self.what
        return f"{dotted(self.where)}: {self.what}"


def dotted(where: Location) -> str:
    """``("when", "all", 1, "fact")`` → ``when.all[1].fact``."""
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def type_name(value: Any) -> str:
    """The YAML word for a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    return type(value).__name__


# --- values -----------------------------------------------------------------

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_DURATION = re.compile(r"^\s*(\d{1,6})\s*(m|h|d|w)\s*$")
_DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_RSIT_TYPES = frozenset(t for types in RSIT.values() for t in types)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type_name(value)}")
    return value


def _category(value: Any) -> str:
    rsit_class, sep, rsit_type = _string(value).partition("/")
    if not sep:
        raise ValueError(f"category {value!r} must be 'class/type', e.g. 'malicious-code/infected-system'")
    validate_category(rsit_class, rsit_type)
    return value


def _one_of(allowed: tuple[str, ...] | frozenset[str], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if _string(value) not in allowed:
            raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(sorted(allowed))}")
        return value

    return check


def _slug(value: Any) -> str:
    if not _SLUG.match(_string(value)):
        raise ValueError(f"{value!r} is not a sector slug (lower-case letters, digits and '-')")
    return value


def _tlp(value: Any) -> int:
    return TLP.parse(_string(value)).rank


def _number(low: float, high: float | None, *, integer: bool) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {type_name(value)}")
        if integer and not (isinstance(value, int) or value.is_integer()):
            raise ValueError(f"expected a whole number, got {value}")
        if value != value or value < low or (high is not None and value > high):
            bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise ValueError(f"{value} is out of range; expected {bound}")
        return value

    return check


def _keyword(value: Any) -> re.Pattern[str]:
    """A case-insensitive whole-word (or phrase) pattern; a trailing ``*`` matches any word ending."""
    word = _string(value).strip()
    prefix = word.endswith("*")
    word = word.rstrip("*").strip()
    if not re.search(r"\w", word):
        raise ValueError(f"keyword {value!r} has no letters or digits")
    body = r"\s+".join(re.escape(part) for part in word.split())
    return re.compile(r"(?<!\w)" + body + (r"\w*" if prefix else r"(?!\w)"), re.IGNORECASE)


def parse_duration(value: Any) -> timedelta:
    """``"72h"``, ``"30m"``, ``"7d"``, ``"2w"`` → timedelta (positive)."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a duration like '72h', '30m', '7d' or '2w', got {value!r}")
    amount = int(match.group(1))
    if amount == 0:
        raise ValueError("a duration must be longer than zero")
    return timedelta(**{_DURATION_UNITS[match.group(2)]: amount})


# --- facts ------------------------------------------------------------------


@dataclass(frozen=True)
class FactSpec:
    """How one fact is read from ``Facts``, which operators apply and how values are checked."""

    kind: str  # label | ordered | number | set | text | time
    read: Callable[[Facts], Any]
    value: Callable[[Any], Any]


def _attr(name: str) -> Callable[[Facts], Any]:
    return operator.attrgetter(name)


def _tlp_rank(facts: Facts) -> int | None:
    return None if facts.tlp is None else TLP.parse(facts.tlp).rank


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


FACTS: dict[str, FactSpec] = {
    "category": FactSpec("label", lambda f: f.category, _category),
    "category_confirmed": FactSpec("label", _attr("category_confirmed"), _boolean),
    "category_class": FactSpec("label", _attr("category_class"), _one_of(tuple(RSIT), "RSIT class")),
    "category_type": FactSpec("label", _attr("category_type"), _one_of(_RSIT_TYPES, "RSIT type")),
    "sector": FactSpec("label", _attr("sector"), _slug),
    "reporter_kind": FactSpec("label", _attr("reporter_kind"), _one_of(tuple(OrgKind), "organisation kind")),
    "entity_class": FactSpec("label", _attr("entity_class"), _one_of(("essential", "important"), "NIS2 entity class")),
    "tlp": FactSpec("ordered", _tlp_rank, _tlp),
    "severity": FactSpec("number", _attr("severity"), _number(0, 5, integer=True)),
    "severity_hint": FactSpec("number", _attr("severity_hint"), _number(0, 5, integer=True)),
    "sector_criticality": FactSpec("number", _attr("sector_criticality"), _number(1, 5, integer=True)),
    "indicator_count": FactSpec("number", _attr("indicator_count"), _number(0, None, integer=True)),
    "sighting_count": FactSpec("number", _attr("sighting_count"), _number(0, None, integer=True)),
    "sectors_sharing_indicator": FactSpec("number", _attr("sectors_sharing_indicator"), _number(0, None, integer=True)),
    "affected_sector_count": FactSpec("number", lambda f: len(f.affected_sectors), _number(0, None, integer=True)),
    "anomaly_score": FactSpec("number", _attr("anomaly_score"), _number(0, 1, integer=False)),
    "affected_sectors": FactSpec("set", _attr("affected_sectors"), _slug),
    "text": FactSpec("text", _attr("text"), _keyword),
    "reported_at": FactSpec("time", _attr("reported_at"), parse_duration),
    "aware_at": FactSpec("time", _attr("aware_at"), parse_duration),
}

# operator → (takes a list of values?, test(fact value, checked operand) -> bool)
_COMPARE = {
    "eq": (False, operator.eq),
    "ne": (False, operator.ne),
    "in": (True, lambda v, xs: v in xs),
    "not_in": (True, lambda v, xs: v not in xs),
}
_ORDER = {
    "gt": (False, operator.gt),
    "gte": (False, operator.ge),
    "lt": (False, operator.lt),
    "lte": (False, operator.le),
}
OPERATORS: dict[str, dict[str, tuple[bool, Callable[[Any, Any], bool]]]] = {
    "label": _COMPARE,
    "ordered": _COMPARE | _ORDER,
    "number": _COMPARE | _ORDER,
    "set": {
        "contains": (False, lambda v, x: x in v),
        "contains_any": (True, lambda v, xs: any(x in v for x in xs)),
        "contains_all": (True, lambda v, xs: all(x in v for x in xs)),
    },
    "text": {
        "contains_any": (True, lambda v, ps: any(p.search(v) for p in ps)),
        "contains_all": (True, lambda v, ps: all(p.search(v) for p in ps)),
    },
    "time": {
        "within": (False, lambda age, d: timedelta(0) <= age <= d),
        "older_than": (False, lambda age, d: age > d),
    },
}

_COMBINATORS = ("all", "any", "not")
# Facts that other organisations' reports or national decisions shape: the
# national severity (the score and correlation rules raise it), correlation
# itself, the anomaly percentile among everyone's reports, others' sightings.
NATIONAL_FACTS = frozenset({"severity", "sectors_sharing_indicator", "anomaly_score", "sighting_count"})


def facts_read(data: Any) -> frozenset[str]:
    """The fact names a (checked) condition reads."""
    if isinstance(data, Mapping):
        found = {data["fact"]} if isinstance(data.get("fact"), str) else set()
        for key in _COMBINATORS:
            if key in data:
                found |= facts_read(data[key])
        return frozenset(found)
    if isinstance(data, list):
        return frozenset().union(*(facts_read(item) for item in data))
    return frozenset()


# --- compilation --------------------------------------------------------------


def compile_condition(data: Any) -> Predicate:
    """Check a condition and turn it into a predicate over ``Facts``.

    Raises ``RuleError`` (with ``where`` relative to ``data``) on the first fault.
    """
    return _compile(data, 0)


def _compile(data: Any, depth: int) -> Predicate:
    if depth > MAX_DEPTH:
        raise RuleError((), f"condition is nested more than {MAX_DEPTH} levels deep")
    if not isinstance(data, Mapping):
        raise RuleError((), f"a condition must be a mapping, got {type_name(data)}")
    if not data:
        raise RuleError((), "empty condition; expected 'all', 'any', 'not' or 'fact'")
    combinators = [key for key in _COMBINATORS if key in data]
    if combinators:
        key = combinators[0]
        extra = sorted(str(k) for k in data if k != key)
        if extra:
            raise RuleError((extra[0],), f"'{key}' cannot be combined with other keys in one mapping")
        if key == "not":
            inner = _nested(data["not"], ("not",), depth)
            return lambda facts: not inner(facts)
        return _combine(key, data[key], depth)
    return _leaf(data)


def _nested(data: Any, where: Location, depth: int) -> Predicate:
    try:
        return _compile(data, depth + 1)
    except RuleError as exc:
        raise exc.within(*where) from None


def _combine(key: str, items: Any, depth: int) -> Predicate:
    if not isinstance(items, list) or not items:
        raise RuleError((key,), f"'{key}' needs a non-empty list of conditions, got {type_name(items)}")
    parts = tuple(_nested(item, (key, i), depth) for i, item in enumerate(items))
    if key == "all":
        return lambda facts: all(part(facts) for part in parts)
    return lambda facts: any(part(facts) for part in parts)


def _leaf(data: Mapping) -> Predicate:
    if "fact" not in data:
        keys = ", ".join(sorted(str(k) for k in data))
        raise RuleError((), f"expected 'all', 'any', 'not' or 'fact', got {keys}")
    name = data["fact"]
    if not isinstance(name, str) or name not in FACTS:
        raise RuleError(("fact",), f"unknown fact {name!r}; expected one of {', '.join(sorted(FACTS))}")
    spec = FACTS[name]
    allowed = OPERATORS[spec.kind]
    ops = [k for k in data if k != "fact"]
    if len(ops) != 1:
        what = "no operator" if not ops else f"{len(ops)} operators"
        raise RuleError((), f"a test on '{name}' needs exactly one operator, got {what}; "
                        f"expected one of {', '.join(allowed)}")
    op = ops[0]
    if op not in allowed:
        raise RuleError((str(op),), f"operator {op!r} does not apply to '{name}'; expected one of {', '.join(allowed)}")
    takes_list, test = allowed[op]
    operand = _operand(spec, op, data[op], takes_list)
    read = spec.read
    if spec.kind == "time":
        return _time_test(read, test, operand)

    def predicate(facts: Facts) -> bool:
        try:
            value = read(facts)
            return value is not None and bool(test(value, operand))
        except (TypeError, ValueError, AttributeError, OverflowError):
            return False

    return predicate


def _operand(spec: FactSpec, op: str, raw: Any, takes_list: bool) -> Any:
    if not takes_list:
        if isinstance(raw, list):
            raise RuleError((op,), f"'{op}' takes a single value, got a list")
        try:
            return spec.value(raw)
        except ValueError as exc:
            raise RuleError((op,), str(exc)) from None
    if not isinstance(raw, list) or not raw:
        raise RuleError((op,), f"'{op}' takes a non-empty list, got {type_name(raw)}")
    checked = []
    for i, item in enumerate(raw):
        try:
            checked.append(spec.value(item))
        except ValueError as exc:
            raise RuleError((op, i), str(exc)) from None
    return tuple(checked) if spec.kind == "text" else frozenset(checked)


def _time_test(read: Callable[[Facts], Any], test: Callable[[Any, Any], bool], span: timedelta) -> Predicate:
    def predicate(facts: Facts) -> bool:
        try:
            when, now = read(facts), facts.now
            return when is not None and now is not None and bool(test(now - when, span))
        except (TypeError, ValueError, AttributeError, OverflowError):
            return False

    return predicate
