"""Login slips: a printable PDF (A4 portrait, eight slips a page, cut along the dashed lines)
that hands each new account its login and temporary password.

Call it as::

    from ejournal.documents.login_slips import LoginSlip, login_slips

    pdf: bytes = login_slips("Школа № 1", [
        LoginSlip(full_name="Иванова Анна", role="student", class_name="7А",
                  username="ivanova.anna", temporary_password="..."),
    ])

``role`` is a ``Role`` value (``"student"``, ``"guardian"``, ``"teacher"``, ``"admin"``,
``"auditor"``; printed in Russian) or any text, printed as given; ``class_name`` is the
student's class, a guardian's child's, or None. Each slip states the school, the full name,
role and class, the login (with «логин составлен из фамилии и имени» when it was made from the
name), the temporary password and «сменить пароль при первом входе».
Slips print in the order given; the same slips give the same bytes. The PDF holds passwords:
hand it to the admin who asked and keep it nowhere (the application stores none of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ejournal.documents.render import render

ROLE_NAMES = {"student": "ученик", "guardian": "родитель", "teacher": "учитель",
              "admin": "администратор", "auditor": "проверяющий"}


@dataclass(frozen=True)
class LoginSlip:
    full_name: str
    role: str
    class_name: str | None
    username: str
    temporary_password: str
    #: the login was made from the name (the import's login cell was blank): the slip says so
    login_generated: bool = False


def login_slips(school_name: str, slips: Sequence[LoginSlip]) -> bytes:
    """The PDF of ``slips`` for ``school_name`` (one page with a note when there are none)."""
    return render("login_slips", {
        "title": f"{school_name}: данные для входа",
        "school": school_name,
        "slips": [{"full_name": s.full_name, "role": ROLE_NAMES.get(s.role, s.role),
                   "class_name": s.class_name or "", "username": s.username,
                   "password": s.temporary_password, "generated": s.login_generated}
                  for s in slips]})
