"""Recipes: end-to-end jobs built from the stages below (:mod:`.quickstart`, the main job).

May import every stage below it; only :mod:`epic.cli` imports it.
"""
