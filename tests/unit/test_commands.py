"""Commands as values: every field is part of the idempotency fingerprint, every command has
one handler answering its own result, and a result survives its receipt unchanged.

The values are generated from each command class's field types, so a field added later is
covered without touching this file.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from ejournal.application import commands, messages, results
from ejournal.application.batch import RunBatch
from ejournal.application.commands import Command, GiveMark, PlanYear, TakeAttendance
from ejournal.application.handlers import HANDLERS
from ejournal.application.idempotency import fingerprint
from ejournal.domain.findings import MISSING, Finding
from ejournal.domain.values import Late

COMMANDS = sorted({c for module in (commands, messages) for c in vars(module).values()
                   if inspect.isclass(c) and issubclass(c, Command) and c is not Command},
                  key=lambda c: c.__name__)
RESULTS = sorted({c for module in (results, messages) for c in vars(module).values()
                  if inspect.isclass(c) and issubclass(c, results.Result)},
                 key=lambda c: c.__name__)


#: Fields whose values the domain checks: the values to take instead of generated ones.
CHOICES: dict[tuple[Any, str], list[Any]] = {(Finding, "rule"): sorted(MISSING)}


def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _field(cls: Any, name: str, tp: Any, n: int) -> Any:
    choices = CHOICES.get((cls, name))
    return choices[n % len(choices)] if choices else sample(tp, n)


def sample(tp: Any, n: int) -> Any:
    """The ``n``-th value of type ``tp`` (0 and 1 differ)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return sample(next(a for a in args if a is not type(None)), n)
    if origin in (tuple, Sequence, list) or tp in (tuple, Sequence):
        if (len(args) == 2 and args[1] is Ellipsis) or origin is not tuple:
            return (sample(args[0], n),)
        return tuple(sample(a, n) for a in args)
    if origin is dict:
        return {sample(args[0], n): sample(args[1], n)}
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        make: Any = tp
        return make(**{f.name: _field(tp, f.name, hints[f.name], n)
                       for f in dataclasses.fields(tp)})
    if inspect.isclass(tp) and issubclass(tp, enum.Enum):
        return list(tp)[n % len(tp)]
    values: dict[Any, Callable[[], Any]] = {
        UUID: lambda: uuid5(NAMESPACE_URL, f"value/{n}"), str: lambda: f"text {n}",
        int: lambda: n + 1, bool: lambda: bool(n),
        date: lambda: date(2026, 9, 1) + timedelta(days=n),
        datetime: lambda: datetime(2026, 9, 1, 9, tzinfo=UTC) + timedelta(hours=n)}
    return values[tp]()


def variants(tp: Any, base: Any) -> Iterator[Any]:
    """Values of type ``tp`` that differ from ``base`` in exactly one place (one field of a
    nested value, one element of a tuple, its presence)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = next(a for a in args if a is not type(None))
        if base is None:
            yield sample(inner, 0)
        else:
            yield from variants(inner, base)
            yield None
        return
    if origin in (tuple, Sequence, list) or tp in (tuple, Sequence):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            for i, element_type in enumerate(args):
                for other in variants(element_type, base[i]):
                    yield (*base[:i], other, *base[i + 1:])
            return
        yield ()
        yield (*base, sample(args[0], 7))
        for other in variants(args[0], base[0]):
            yield (other, *base[1:])
        return
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        for f in dataclasses.fields(tp):
            if (tp, f.name) in CHOICES:
                others = [v for v in CHOICES[tp, f.name] if v != getattr(base, f.name)]
            else:
                others = list(variants(hints[f.name], getattr(base, f.name)))
            for other in others:
                try:
                    yield dataclasses.replace(base, **{f.name: other})
                except ValueError:  # a combination the value itself refuses
                    continue
        return
    yield sample(tp, 1) if base == sample(tp, 0) else sample(tp, 0)


def base_command(cls: Any) -> Any:
    return cls(**{f.name: sample(_hints(cls)[f.name], 0) for f in dataclasses.fields(cls)})


@pytest.mark.parametrize("cls", COMMANDS, ids=lambda c: c.__name__)
def test_two_commands_differing_in_any_one_field_never_share_a_fingerprint(cls: Any) -> None:
    base = base_command(cls)
    hints = _hints(cls)
    seen = {fingerprint(base): base}
    changed = 0
    for f in dataclasses.fields(cls):
        for other in variants(hints[f.name], getattr(base, f.name)):
            command = dataclasses.replace(base, **{f.name: other})
            assert command != base
            digest = fingerprint(command)
            assert digest not in seen, (f.name, command, seen.get(digest))
            seen[digest] = command
            changed += 1
    assert changed >= len(dataclasses.fields(cls))
    # The same request, built again, is the same fingerprint.
    assert fingerprint(base_command(cls)) == fingerprint(base)


def test_commands_of_different_classes_with_the_same_values_differ() -> None:
    digests = {fingerprint(base_command(cls)) for cls in COMMANDS}
    assert len(digests) == len(COMMANDS)
    one = sample(UUID, 0)
    assert fingerprint(commands.CancelMark(one, one, one, reason="r")) != \
        fingerprint(commands.CorrectMark(one, one, one, value="r", reason="r"))


def test_every_command_has_one_handler_answering_its_own_result() -> None:
    # RunBatch (batch.py) runs other commands as one: its own module, outside the sampling.
    assert set(HANDLERS) == {*COMMANDS, RunBatch}
    for cls, handler in HANDLERS.items():
        hints = typing.get_type_hints(handler)
        first = next(iter(inspect.signature(handler).parameters))
        assert hints[first] is cls, handler
        assert hints["return"] is cls.result, (cls, cls.result, hints["return"])
        assert issubclass(cls.result, results.Result)


def test_a_command_is_a_frozen_value_whose_sequences_are_tuples() -> None:
    journal, lesson, actor, kid = (sample(UUID, i) for i in range(4))
    listed = TakeAttendance(actor, journal, lesson, absent=[(kid, "illness")])
    tupled = TakeAttendance(actor, journal, lesson, absent=((kid, "illness"),))
    assert listed == tupled
    assert hash(listed) == hash(tupled)
    assert fingerprint(listed) == fingerprint(tupled)
    assert listed.absent == ((kid, "illness"),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        listed.actor_id = kid  # type: ignore[misc]
    year = PlanYear(actor, journal, name="Год", starts_on=date(2026, 9, 1),
                    ends_on=date(2027, 5, 31), days_per_week=5,
                    periods=[["I", date(2026, 9, 1), date(2026, 12, 28)]])  # type: ignore[list-item]
    assert year.periods == (("I", date(2026, 9, 1), date(2026, 12, 28)),)
    assert year.holidays == ()


def test_a_comment_left_out_is_another_request() -> None:
    actor, journal, lesson, kid = (sample(UUID, i) for i in range(4))
    assert fingerprint(GiveMark(actor, journal, lesson, kid, value="5", work="oral")) != \
        fingerprint(GiveMark(actor, journal, lesson, kid, value="5", work="oral",
                             comment="у доски"))


@pytest.mark.parametrize("cls", [c for c in RESULTS if c.__module__ == results.__name__],
                         ids=lambda c: c.__name__)
def test_a_result_replays_from_its_receipt_as_the_same_typed_result(cls: Any) -> None:
    hints = _hints(cls)
    late = Late(rule="R-4.6", due=date(2026, 11, 23), days=2, working_days=1)
    values = {f.name: (late if f.name == "late" else sample(hints[f.name], 1))
              for f in dataclasses.fields(cls) if f.name not in ("position", "replayed")}
    original = cls(**values, position=41)
    answer = results.answer_of(original)
    assert "position" not in answer
    assert "replayed" not in answer
    replayed = results.replayed_from(cls, answer, 57)
    assert type(replayed) is cls
    assert replayed == dataclasses.replace(original, position=57, replayed=True)


def test_an_answer_stored_by_the_first_schema_reads_as_the_typed_result() -> None:
    periods = {"I полугодие": str(sample(UUID, 1)), "II полугодие": str(sample(UUID, 2))}
    year = results.replayed_from(results.YearPlanned, {
        "id": str(sample(UUID, 0)), "late": None, "extra": {"periods": periods}}, 9)
    assert year == results.YearPlanned(sample(UUID, 0), {k: UUID(v) for k, v in periods.items()},
                                       position=9, replayed=True)
    late = {"rule": "R-4.6", "due": "2026-11-23", "days": 2, "working_days": 1}
    taken = results.replayed_from(results.AttendanceTaken,
                                  {"id": None, "late": late, "extra": {}}, 3)
    assert taken == results.AttendanceTaken(Late.from_dict(late), position=3, replayed=True)
