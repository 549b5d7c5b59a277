"""A module for archi's setuptools test."""


def main():
    print("hello from demo")
