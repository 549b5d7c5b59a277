"""Exercise a few typing_extensions features that python 3.11's typing lacks or that it reimplements."""
from typing_extensions import NotRequired, Required, TypedDict, TypeVar, get_type_hints, override


class Movie(TypedDict, total=False):
    title: Required[str]
    year: NotRequired[int]


assert Movie.__required_keys__ == frozenset({"title"}), Movie.__required_keys__
assert Movie.__optional_keys__ == frozenset({"year"}), Movie.__optional_keys__
assert get_type_hints(Movie) == {"title": str, "year": int}

# PEP 696 defaults are new in typing_extensions 4.4 and not in python 3.11's typing.
T = TypeVar("T", default=int)
assert T.__default__ is int


class Base:
    def run(self) -> int:
        return 1


class Child(Base):
    @override
    def run(self) -> int:
        return 2


assert Child.run.__override__ is True
print("typing_extensions ok")
