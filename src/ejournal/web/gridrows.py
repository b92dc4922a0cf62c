"""The grid's body, built in one pass: at 35 students x 25 lessons it is 875 cell controls,
which a template loop renders several times slower than these f-strings (bench/web_grid.py).
Every text from the journal is escaped."""

from __future__ import annotations

from uuid import UUID

from markupsafe import Markup, escape

from ejournal.projections.summary import SummaryStudent
from ejournal.web import i18n
from ejournal.web.reads import Column, JournalView


def _summary(row: SummaryStudent | None, final: str) -> str:
    """The average, the absences, and the period mark: a control that opens its form."""
    average = i18n.decimal(row.average) if row else ""
    absences = (row.absences or "") if row else ""
    value = escape(row.period_mark or "") if row else ""
    return (f'<td class="num">{average}</td><td class="num">{absences}</td>'
            f'<td>{final}{value}</a></td>')


def body(view: JournalView, columns: list[Column], journal_id: UUID) -> Markup:
    """``<tr>`` per student: the name as the row header, a control per lesson named
    «Отметка: {ФИО}, {dd.mm}» (and the slot when two lessons share the date), the summary."""
    base = f"/journals/{journal_id}/cells/"
    period = view.period.id
    heads = [(str(c.lesson.id), f"{c.label}, {c.slot}-й урок" if c.slot else c.label)
             for c in columns]
    rows = []
    for student in view.grid.students:
        name = escape(student.full_name)
        sid = str(student.id)
        cells = student.cells
        parts = [f'<tr><th scope="row" class="name">{name}</th>']
        for column, (lid, label) in zip(columns, heads, strict=True):
            values = cells.get(column.lesson.id)
            shown = escape(" ".join(values)) if values else ""
            parts.append(f'<td><a id="c-{lid}-{sid}" class="cell" href="{base}{lid}/{sid}" '
                         f'aria-label="Отметка: {name}, {label}">{shown}</a></td>')
        final = (f'<a id="f-{sid}" class="cell" href="/journals/{journal_id}/students/{sid}'
                 f'/period-mark?period={period}" aria-label="Итоговая отметка: {name}">')
        if view.windows is None:  # a substitute's days have no period summary
            parts.append(_summary(view.summary.get(student.id), final))
        parts.append("</tr>\n")
        rows.append("".join(parts))
    return Markup("".join(rows))  # noqa: S704 - built of escaped parts above
