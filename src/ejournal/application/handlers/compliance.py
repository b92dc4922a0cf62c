"""Handlers of the compliance scheduler's records: its findings with the day checked, their
resolution once the missing entry has arrived, and the daily seal of the ledger's head."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from ejournal.application import commands as c
from ejournal.application import results as r
from ejournal.application.unit import Handler, UnitOfWork
from ejournal.domain.findings import ComplianceAudit, MissingEntry, audit_id
from ejournal.domain.ledger import LedgerSeal, seal_id


def record_findings(command: c.RecordFindings, uow: UnitOfWork) -> r.FindingsRecorded:
    """A finding's id is derived from what is missing: recorded already (by an earlier run, a
    restart, another process, or ``ejournal check``) it is left out; two processes racing to
    record it collide on the event store's key and the loser's retry leaves it out."""
    by_id = {f.id: f for f in command.findings}
    if any(f.school_id != command.school_id for f in by_id.values()):
        raise ValueError("every finding must be of the school checked")
    known = uow.existing(by_id)
    new = [MissingEntry.find(f, at=uow.now) for fid, f in by_id.items() if fid not in known]
    changed: list[Aggregate] = list(new)
    if command.day_checked is not None:
        the_id = audit_id(command.school_id)
        audit = uow.load_all([the_id]).get(the_id)
        if not isinstance(audit, ComplianceAudit):
            audit = ComplianceAudit.open(school_id=command.school_id, at=uow.now)
        if audit.last_checked is None or command.day_checked > audit.last_checked:
            audit.check_day(day=command.day_checked, found=len(new), at=uow.now)
            changed.append(audit)
    uow.add(*changed)
    return r.FindingsRecorded(tuple(m.id for m in new))


def resolve_findings(command: c.ResolveFindings, uow: UnitOfWork) -> r.FindingsResolved:
    """Findings resolved already are left as they are, and so are answers recorded before
    the finding was last reopened (the entry withdrawn, or older)."""
    by_id = {finding: (entered_at, by) for finding, entered_at, by in command.answers}
    resolved = 0
    for finding in uow.load_all(by_id).values():
        if isinstance(finding, MissingEntry) and not finding.resolved:
            entered_at, by = by_id[finding.id]
            if not finding.answers(entered_at):
                continue
            finding.resolve(entered_at=entered_at, entered_by=by, at=uow.now)
            uow.add(finding)
            resolved += 1
    return r.FindingsResolved(resolved)


def seal_ledger(command: c.SealLedger, uow: UnitOfWork) -> r.LedgerSealed:
    """The day's seal, unless it is recorded already (two processes racing collide on the
    event store's key; the loser's retry leaves it out)."""
    if uow.existing([seal_id(command.school_id, command.day)]):
        return r.LedgerSealed(sealed=False)
    uow.add(LedgerSeal.seal(school_id=command.school_id, day=command.day,
                            position=command.position, head=command.head, at=uow.now))
    return r.LedgerSealed(sealed=True)


HANDLERS: dict[type, Handler] = {
    c.RecordFindings: record_findings,
    c.ResolveFindings: resolve_findings,
    c.SealLedger: seal_ledger,
}
