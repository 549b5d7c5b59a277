"""A module for archi's pip test."""


def main():
    print("hello from demo")
