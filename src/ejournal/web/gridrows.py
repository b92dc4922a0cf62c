"""The grid's body, built in one pass: at 35 students x 25 lessons it is 875 cell controls,
which a template loop renders several times slower than these f-strings (bench/web_grid.py).
Every text from the journal is escaped."""

from __future__ import annotations

from uuid import UUID

from markupsafe import Markup, escape

from ejournal.projections.summary import SummaryStudent
from ejournal.web import i18n
from ejournal.web.reads import Column, JournalView


def _summary(row: SummaryStudent | None) -> str:
    if row is None:
        return '<td class="num"></td>' * 3
    return (f'<td class="num">{i18n.decimal(row.average)}</td>'
            f'<td class="num">{row.absences or ""}</td>'
            f'<td class="num">{escape(row.period_mark or "")}</td>')


def body(view: JournalView, columns: list[Column], journal_id: UUID) -> Markup:
    """``<tr>`` per student: the name as the row header, a control per lesson named
    «Отметка: {ФИО}, {dd.mm}» (and the slot when two lessons share the date), the summary."""
    base = f"/journals/{journal_id}/cells/"
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
        parts.append(_summary(view.summary.get(student.id)))
        parts.append("</tr>\n")
        rows.append("".join(parts))
    return Markup("".join(rows))  # noqa: S704 - built of escaped parts above
