"""A package for archi's hatchling test."""
__version__ = "0.7.1"


def main():
    print("hello")
