"""Human references per request type and year, such as UPR-2026-0042."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tacase.db.models import ReferenceCounter


def next_reference(session: Session, prefix: str, year: int) -> str:
    bump = (
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + 1)
        .returning(ReferenceCounter.last)
        .execution_options(synchronize_session=False)
    )
    number = session.execute(bump).scalar()
    if number is None:
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(prefix=prefix, year=year, last=1))
            number = 1
        except IntegrityError:  # the first case of the year was opened at the same moment
            number = session.execute(bump).scalar_one()
    return f"{prefix}-{year}-{number:04d}"

