"""A package for archi's hatch-vcs test."""
