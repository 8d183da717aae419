"""Evaluation: the offline suite of real tasks, the mteb 2.x wrapper and result reports."""
