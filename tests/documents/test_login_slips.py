"""Login slips: each account's school, name, role and class, login and temporary password,
and the instruction to change it, on the printed page; the same slips, the same bytes."""

from __future__ import annotations

from pathlib import Path

from ejournal.documents.login_slips import LoginSlip, login_slips
from tests.documents.pdf import first_page_png, fonts, text

SLIPS = [LoginSlip(f"Иванова Анна {i}", "student", "7А", f"ivanova.anna{i}", f"Tmp#{i}]x")
         for i in range(9)] + [LoginSlip("Петров Пётр Петрович", "guardian", None,
                                         "petrov.p", "Ёж[#]*_$")]


def test_each_slip_prints_its_account_and_the_instruction(tmp_path: Path) -> None:
    pdf = login_slips("Школа № 1 «Радуга»", SLIPS)
    assert pdf.startswith(b"%PDF-")
    assert b"<pdfaid:part>2</pdfaid:part>" in pdf
    found = text(pdf, tmp_path)
    for slip in SLIPS:
        for value in (slip.full_name, slip.username, slip.temporary_password):
            assert value in found
    assert found.count("Школа № 1 «Радуга»") >= len(SLIPS)
    assert found.count("ученик, 7А") == 9
    assert "родитель" in found
    assert found.count("сменить пароль при первом входе") == len(SLIPS)
    assert "стр. 1 из 2" in found
    assert "стр. 2 из 2" in found
    assert login_slips("Школа № 1 «Радуга»", SLIPS) == pdf
    first_page_png(pdf, "login-slips", tmp_path)


def test_no_slips_is_one_page_saying_so(tmp_path: Path) -> None:
    assert "Новых учётных записей нет" in text(login_slips("Школа", []), tmp_path)


def test_its_fonts_are_the_typst_wheels_and_embedded(tmp_path: Path) -> None:
    """Only the fonts ``pip install .`` brings (the typst wheel's), never the machine's."""
    found = fonts(login_slips("Школа", SLIPS), tmp_path)
    assert sorted(found) == [("DejaVuSansMono", True), ("LibertinusSerif-Bold", True),
                             ("LibertinusSerif-Regular", True)]
