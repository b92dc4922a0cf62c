"""Spreadsheets in and out: XLSX written with xlsxwriter and read with python-calamine, CSV as
Russian Excel expects it (UTF-8 with BOM, ``;``). ``tables``: a sheet as plain rows;
``journal``: a journal's grid and summary as sheets."""
