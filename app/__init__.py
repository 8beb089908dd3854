"""Osaamispassi: Open Badges 3.0 competence passport for Finnish work-workshops."""

__version__ = "0.1.0"
