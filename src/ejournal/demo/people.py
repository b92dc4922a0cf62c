"""The demo school's people, classes and week: named staff, 25 students a class, each with a
guardian of the family, and a timetable in which no teacher is in two rooms at once."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ejournal.demo.programmes import ALGEBRA, ENGLISH, GEOMETRY, HISTORY, LITERATURE, RUSSIAN

SCHOOL = "Гимназия № {n}"
TIMEZONE = "Asia/Novosibirsk"
CLASS_SIZE = 25

#: (full name, subjects taught); the first two are the class teachers of 7А and 7Б.
TEACHERS = (
    ("Ковалёва Ирина Петровна", (ALGEBRA.name, GEOMETRY.name)),
    ("Смирнова Ольга Викторовна", (RUSSIAN.name, LITERATURE.name)),
    ("Громов Андрей Николаевич", (HISTORY.name,)),
    ("Белова Марина Алексеевна", (ENGLISH.name,)),
)
ADMIN = "Макарова Елена Сергеевна"  # заместитель директора по учебной работе
AUDITOR = "Лебедев Олег Викторович"  # специалист управления образования
OPERATOR = "Оператор платформы"

_A, _G, _R, _L, _H, _E = (ALGEBRA.name, GEOMETRY.name, RUSSIAN.name, LITERATURE.name,
                          HISTORY.name, ENGLISH.name)
#: Each class's week: the subjects of slots 1, 2, ... each weekday (Monday first). Every
#: subject has its hours a week; the same weekday and slot never needs one teacher twice.
WEEKS = {
    "7А": ((_A, _R, _E, _H), (_R, _G, _L), (_E, _A, _R), (_H, _R, _G), (_A, _E, _L)),
    "7Б": ((_R, _A, _H, _E), (_G, _R, _H), (_A, _R, _E), (_R, _G, _L), (_E, _L, _A)),
}

_BOYS = ("Артём", "Иван", "Михаил", "Матвей", "Тимофей", "Егор", "Лев", "Глеб", "Фёдор",
         "Роман", "Савелий", "Даниил", "Кирилл", "Максим", "Никита", "Александр", "Дмитрий",
         "Андрей", "Илья", "Степан")
_GIRLS = ("Анна", "Мария", "Софья", "Дарья", "Алиса", "Полина", "Ева", "Вера", "Ксения",
          "Варвара", "Милана", "Ульяна", "Таисия", "Виктория", "Арина", "Екатерина",
          "Елизавета", "Василиса", "Александра", "Ольга")
_SURNAMES = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
             "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
             "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов",
             "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов",
             "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
             "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов",
             "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов",
             "Тарасов", "Жуков", "Баранов")
_MOTHERS = ("Наталья", "Елена", "Ольга", "Татьяна", "Ирина", "Светлана", "Юлия", "Анна",
            "Марина", "Екатерина", "Оксана", "Людмила")
_FATHERS = ("Сергей", "Алексей", "Андрей", "Дмитрий", "Владимир", "Игорь", "Олег", "Павел",
            "Николай", "Евгений", "Виктор", "Константин")
_PATRONYMICS_F = ("Сергеевна", "Александровна", "Викторовна", "Владимировна", "Игоревна",
                  "Николаевна", "Андреевна", "Петровна")
_PATRONYMICS_M = ("Сергеевич", "Александрович", "Викторович", "Владимирович", "Игоревич",
                  "Николаевич", "Андреевич", "Петрович")


@dataclass(frozen=True)
class Family:
    """A student («Фамилия Имя») and their guardian («Фамилия Имя Отчество»)."""

    student: str
    guardian: str


def families(rng: random.Random, n: int) -> list[Family]:
    """``n`` families of distinct surnames; mothers are most guardians."""
    out = []
    for surname in rng.sample(_SURNAMES, n):
        girl = rng.random() < 0.5
        feminine = surname + "а"
        child = f"{feminine if girl else surname} {rng.choice(_GIRLS if girl else _BOYS)}"
        if rng.random() < 0.7:
            guardian = f"{feminine} {rng.choice(_MOTHERS)} {rng.choice(_PATRONYMICS_F)}"
        else:
            guardian = f"{surname} {rng.choice(_FATHERS)} {rng.choice(_PATRONYMICS_M)}"
        out.append(Family(child, guardian))
    return out


def teacher_of(subject: str) -> int:
    """The index in ``TEACHERS`` of who teaches ``subject``."""
    return next(i for i, (_, taught) in enumerate(TEACHERS) if subject in taught)
