"""The roster (classes, students, guardians and their links) and the staff, as rows: who is
new is registered, who exists (by login) is found; what exists already is left as it is. A
roster's blank login is the existing account's, or one made from the name (``logins.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ejournal.application import commands as c
from ejournal.domain.people import User
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role, name_key
from ejournal.imports.files import Table
from ejournal.imports.logins import Logins, enrolled_named, existing, fresh, linked_named
from ejournal.imports.plan import (
    Columns,
    Context,
    Plan,
    date_cell,
    grade_of,
    login_problem,
    new_account,
)

CLASS = "Класс"
STUDENT = "ФИО ученика"
STUDENT_LOGIN = "Логин ученика"
FROM = "Дата зачисления"
GUARDIANS = (("ФИО родителя 1", "Логин родителя 1"), ("ФИО родителя 2", "Логин родителя 2"))
ROSTER_REQUIRED = [CLASS, STUDENT, STUDENT_LOGIN]
ROSTER_OPTIONAL = [FROM, *(x for pair in GUARDIANS for x in pair)]

NAME, LOGIN, ROLE, CLASS_TEACHER = "ФИО", "Логин", "Роль", "Классный руководитель"
STAFF_REQUIRED = [NAME, LOGIN, ROLE]
STAFF_OPTIONAL = [CLASS_TEACHER]
STAFF_ROLES = {"учитель": Role.TEACHER, "администратор": Role.ADMIN,
               "проверяющий": Role.AUDITOR, "teacher": Role.TEACHER, "admin": Role.ADMIN,
               "auditor": Role.AUDITOR}


@dataclass
class Person:
    """A login met in the file: its account's id (new or found), name, role, first row."""

    user_id: UUID
    full_name: str
    role: Role
    row: int
    existing: User | None


def _known(plan: Plan, ctx: Context, seen: dict[str, Person], users: dict[str, User],
           row: int, column: str, login: str, full_name: str, role: Role,
           class_name: str | None, generated: bool = False) -> Person | None:
    """The person of this login: met earlier in the file, an account of the school, or new.
    None, with the problem noted, when the login is another's."""
    key = login.casefold()
    if (met := seen.get(key)) is not None:
        if met.role is not role:
            plan.problem(row, column, f"логин {login} уже встречается в строке {met.row} "
                                      "с другой ролью")
            return None
        if name_key(met.full_name) != name_key(full_name) or role is not Role.GUARDIAN:
            plan.problem(row, column, f"логин {login} уже встречается в строке {met.row}"
                         + ("" if role is not Role.GUARDIAN else f" у «{met.full_name}»"))
            return None
        return met
    user = users.get(key)
    if user is not None:
        if user.school_id != ctx.school_id or user.role is not role:
            plan.problem(row, column, f"логин {login} занят")
            return None
        if name_key(user.full_name) != name_key(full_name):
            plan.problem(row, column, f"логин {login} принадлежит «{user.full_name}»")
            return None
        found = seen[key] = Person(user.id, user.full_name, role, row, user)
        return found
    columns = {"username": column, "full_name": column}
    user_id = new_account(plan, ctx, row, columns, login, full_name, role.value, class_name,
                          generated)
    plan.count(f"{role.value}s")
    seen[key] = Person(user_id, full_name, role, row, None)
    return seen[key]


def _login(plan: Plan, row: int, column: str, login: str) -> bool:
    if not login:
        plan.problem(row, column, "нужен логин")
        return False
    if (why := login_problem(login)) is not None:
        plan.problem(row, column, why)
        return False
    return True


def _guardian_cells(plan: Plan, row: int, v: dict[str, str]) -> list[tuple[str, str, str]]:
    """The row's guardians as (login column, name, login), those with a problem left out."""
    given = []
    for name_column, login_column in GUARDIANS:
        g_name, g_login = v[name_column], v[login_column]
        if not g_name and not g_login:
            continue
        if not g_name:
            plan.problem(row, name_column, "нужны фамилия и имя родителя")
        if _login(plan, row, login_column, g_login) and g_name:
            given.append((login_column, g_name, g_login))
    return given


def _fill_logins(ctx: Context, cells: list[tuple[int, dict[str, str]]],
                 classes: dict[str, SchoolClass | None]) -> Logins:
    """Each named person's blank login cell filled in: the account they have, or a new login."""
    logins = Logins({v[x].casefold() for _, v in cells
                     for x in (STUDENT_LOGIN, *(p[1] for p in GUARDIANS)) if v[x]})
    for row, v in cells:
        blank = [(n, x) for n, x in GUARDIANS if v[n] and not v[x]]
        student = None
        if not v[STUDENT_LOGIN] and v[STUDENT] and v[CLASS]:
            student = enrolled_named(ctx, logins, classes.get(name_key(v[CLASS])),
                                     v[STUDENT])
            v[STUDENT_LOGIN] = student.username if student else fresh(ctx, logins, v[STUDENT])
            logins.made.add((row, STUDENT_LOGIN))
        elif blank and v[STUDENT_LOGIN]:
            student = existing(ctx, v[STUDENT_LOGIN])
        for name_column, login_column in blank:
            key = name_key(v[name_column])
            found = linked_named(ctx, student, v[name_column])
            login = found.username if found is not None else (
                logins.guardians.get(key) or fresh(ctx, logins, v[name_column]))
            v[login_column] = logins.guardians[key] = login
            logins.made.add((row, login_column))
    return logins


def plan_roster(ctx: Context, table: Table) -> Plan:
    plan = Plan(rows=len(table.rows))
    cols = Columns(table, plan, ROSTER_REQUIRED, ROSTER_OPTIONAL)
    if not cols.ok:
        return plan
    if ctx.year is None:
        plan.problem(None, None, "в школе нет учебного года: сначала создайте его")
        return plan
    cells = [(row, {n: cols.get(v, n) for n in ROSTER_REQUIRED + ROSTER_OPTIONAL})
             for row, v in table.rows]
    classes: dict[str, SchoolClass | None] = dict(ctx.classes(v[CLASS] for _, v in cells
                                                            if v[CLASS]))
    made = _fill_logins(ctx, cells, classes).made
    users = ctx.users(v[x] for _, v in cells
                      for x in (STUDENT_LOGIN, *(p[1] for p in GUARDIANS))
                      if v[x] and login_problem(v[x]) is None)
    default_from = max(ctx.year.starts_on, min(ctx.today, ctx.year.ends_on))
    seen: dict[str, Person] = {}
    for row, v in cells:
        class_name, full_name, login = v[CLASS], v[STUDENT], v[STUDENT_LOGIN]
        if not class_name:
            plan.problem(row, CLASS, "нужен класс")
        if not full_name:
            plan.problem(row, STUDENT, "нужны фамилия и имя ученика")
        from_date = date_cell(plan, ctx, row, FROM, v[FROM], default_from)
        login_ok = _login(plan, row, STUDENT_LOGIN, login)
        given = _guardian_cells(plan, row, v)
        if not (class_name and full_name and login_ok and from_date):
            continue
        key = name_key(class_name)
        class_id = ctx.class_id(class_name)
        if key not in classes:
            plan.step(c.OpenClass(ctx.actor_id, ctx.school_id, name=class_name,
                                  year_id=ctx.year.id, grade=grade_of(class_name)),
                      row, {"name": CLASS, "grade": CLASS})
            plan.count("classes")
            classes[key] = None
        student = _known(plan, ctx, seen, users, row, STUDENT_LOGIN, login, full_name,
                         Role.STUDENT, class_name, (row, STUDENT_LOGIN) in made)
        if student is None:
            continue
        school_class = classes[key]
        if school_class is None or student.user_id not in school_class.enrolments:
            plan.step(c.EnrolStudent(ctx.actor_id, class_id, student_id=student.user_id,
                                     from_date=from_date), row,
                      {"from_date": FROM, "student_id": STUDENT_LOGIN, "class_id": CLASS})
            plan.count("enrolments")
        linked = set(student.existing.guardians) if student.existing else set()
        in_row: set[UUID] = set()
        for login_column, g_name, g_login in given:
            guardian = _known(plan, ctx, seen, users, row, login_column, g_login, g_name,
                              Role.GUARDIAN, class_name, (row, login_column) in made)
            if guardian is None:
                continue
            if guardian.user_id in in_row:
                plan.problem(row, login_column, "этот родитель уже указан в строке")
                continue
            in_row.add(guardian.user_id)
            if guardian.user_id in linked:
                continue
            linked.add(guardian.user_id)
            plan.step(c.LinkGuardian(ctx.actor_id, student.user_id,
                                     guardian_id=guardian.user_id), row,
                      {"guardian_id": login_column, "student_id": STUDENT_LOGIN})
            plan.count("links")
    return plan


def plan_staff(ctx: Context, table: Table) -> Plan:
    plan = Plan(rows=len(table.rows))
    cols = Columns(table, plan, STAFF_REQUIRED, STAFF_OPTIONAL)
    if not cols.ok:
        return plan
    cells = [(row, {n: cols.get(v, n) for n in STAFF_REQUIRED + STAFF_OPTIONAL})
             for row, v in table.rows]
    users = ctx.users(v[LOGIN] for _, v in cells
                      if v[LOGIN] and login_problem(v[LOGIN]) is None)
    classes = ctx.classes(v[CLASS_TEACHER] for _, v in cells if v[CLASS_TEACHER])
    appointed: dict[str, int] = {}  # class name key -> the row appointing its class teacher
    seen: dict[str, Person] = {}
    for row, v in cells:
        role = STAFF_ROLES.get(v[ROLE].casefold())
        if role is None:
            plan.problem(row, ROLE, f"роль «{v[ROLE]}»: учитель, администратор или "
                                    "проверяющий")
        if not v[NAME]:
            plan.problem(row, NAME, "нужны фамилия, имя и отчество")
        school_class = _class_teacher_of(plan, ctx, classes, appointed, row, role,
                                         v[CLASS_TEACHER])
        if _login(plan, row, LOGIN, v[LOGIN]) and role is not None and v[NAME]:
            person = _known(plan, ctx, seen, users, row, LOGIN, v[LOGIN], v[NAME], role, None)
            if person is not None and school_class is not None \
                    and school_class.class_teacher_id != person.user_id:
                plan.step(c.AppointClassTeacher(ctx.actor_id, school_class.id,
                                                teacher_id=person.user_id), row,
                          {"teacher_id": LOGIN, "class_teacher_id": CLASS_TEACHER,
                           "class_id": CLASS_TEACHER})
                plan.count("class_teachers")
    return plan


def _class_teacher_of(plan: Plan, ctx: Context, classes: dict[str, SchoolClass],
                      appointed: dict[str, int], row: int, role: Role | None,
                      class_name: str) -> SchoolClass | None:
    """The class of the school year this row makes its teacher the class teacher of."""
    if not class_name:
        return None
    if role is not Role.TEACHER:
        plan.problem(row, CLASS_TEACHER, "классный руководитель - учитель")
        return None
    found = classes.get(name_key(class_name))
    if found is None:
        year = ctx.year.name if ctx.year else "-"
        plan.problem(row, CLASS_TEACHER, f"нет класса «{class_name}» в учебном году {year}")
        return None
    if (earlier := appointed.get(name_key(class_name))) is not None:
        plan.problem(row, CLASS_TEACHER, f"классный руководитель класса уже указан в строке "
                                         f"{earlier}")
        return None
    appointed[name_key(class_name)] = row
    return found
