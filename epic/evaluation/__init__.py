"""Evaluation: the offline suite of real tasks, the mteb 2.x wrapper and result reports.

May import :mod:`epic.utils`, :mod:`epic.data` and :mod:`epic.encoder` (not training or serving).
"""
