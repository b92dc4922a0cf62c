"""Imports (R-2.1: the school registers each participant): a roster, the staff, a timetable or
a work programme from CSV or XLSX with Russian headers, checked whole (every problem by row and
column) before one transaction writes all of it, or nothing. ``docs/import.md`` is the format."""
