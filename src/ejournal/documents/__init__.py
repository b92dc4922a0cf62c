"""Paper documents (R-3.4b, R-5.2b), from the stored data: the class journal's paper form per
period (``journal``), the табель and the сводная ведомость (``yearly``), the year-end archive
and its verification (``archive``, ``verify``, ``store``, ``command``), and login slips
(``login_slips``) - rendered by Typst into PDF/A-2b (``render``, ``templates/``), each made
from one snapshot of the read models at a stated log position (``snapshot``).
"""
