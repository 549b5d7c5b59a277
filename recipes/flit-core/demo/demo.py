"""A module for archi's flit-core test."""
