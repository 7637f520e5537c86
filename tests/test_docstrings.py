"""Every public function, class and method has a docstring (issue 13, point 5).

"Public" = a module-level function or class whose name does not start with "_" and that
is defined in that module (re-exports are checked where they are defined), plus the
public methods, class/static methods and properties defined in such a class (inherited
ones are checked in their own class). Dunder methods are not checked. The docstring must
be the object's own: the signature docstring a dataclass or NamedTuple makes up for
itself does not count, nor does one inherited from a base class.

What a docstring should say (shapes, units, errors, where data or method come from) is
for review; this test only makes sure there is one.

    .venv/bin/python tests/test_docstrings.py     # coverage per package and the gaps
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import pkgutil
import sys
import textwrap
import types
from pathlib import Path

import pytest

PACKAGES = ("core", "ingest", "index", "service", "eval", "tools")

# Modules (dotted prefixes) whose docstrings are being written in another branch of
# issue 13. Empty this when they are done; test_pending_is_still_needed fails as soon as
# an entry here is fully documented, so the list can only shrink.
PENDING: tuple[str, ...] = ()


def _is_pending(module_name: str) -> bool:
    return any(module_name == p or module_name.startswith(p + ".") for p in PENDING)


def iter_modules(packages=PACKAGES):
    """Import and yield every module of ``packages`` (the packages themselves included).

    An import error is not swallowed: a module the test cannot import is a failure.
    """
    for name in packages:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=name + "."):
            yield importlib.import_module(info.name)


def _own_doc(obj) -> str | None:
    """The object's own docstring, or None (made-up and inherited ones do not count)."""
    if isinstance(obj, type):
        doc = obj.__dict__.get("__doc__")
        if doc and dataclasses.is_dataclass(obj):
            try:
                made_up = obj.__name__ + str(inspect.signature(obj)).replace(" -> None", "")
            except (TypeError, ValueError):
                made_up = None
            if doc == made_up:
                doc = None
        fields = obj.__dict__.get("_fields")
        if doc and isinstance(fields, tuple) and doc == f"{obj.__name__}({', '.join(fields)})":
            doc = None
    else:
        doc = getattr(obj, "__doc__", None)
    return doc if doc and doc.strip() else None


def _member_function(value):
    """The function behind a class attribute (method, class/static method, property), or None."""
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, property):
        return value if value.fget is not None else None
    if isinstance(value, functools.cached_property):
        return value
    if callable(value) and inspect.isfunction(inspect.unwrap(value)):
        return value
    return None


def public_objects(module: types.ModuleType):
    """``(qualified name, object)`` for every public function, class and method that
    ``module`` itself defines, in source order of the module dictionary."""
    seen: set[int] = set()
    for attr, obj in list(vars(module).items()):
        if attr.startswith("_") or id(obj) in seen:
            continue
        if isinstance(obj, type):
            if obj.__module__ != module.__name__:
                continue
            seen.add(id(obj))
            yield f"{module.__name__}.{attr}", obj
            for name, value in vars(obj).items():
                if name.startswith("_"):
                    continue
                member = _member_function(value)
                if member is not None:
                    yield f"{module.__name__}.{attr}.{name}", member
        elif callable(obj) and inspect.isfunction(inspect.unwrap(obj)):
            if getattr(obj, "__module__", None) != module.__name__ or obj.__name__ == "<lambda>":
                continue
            seen.add(id(obj))
            yield f"{module.__name__}.{attr}", obj


def survey(modules) -> dict[str, tuple[int, list[str]]]:
    """Module name -> (number of public objects, names of those without a docstring)."""
    out = {}
    for module in modules:
        objects = list(public_objects(module))
        out[module.__name__] = (len(objects), [name for name, obj in objects if _own_doc(obj) is None])
    return out


@pytest.fixture(scope="module")
def coverage() -> dict[str, tuple[int, list[str]]]:
    return survey(iter_modules())


@pytest.mark.parametrize("package", PACKAGES)
def test_public_objects_have_docstrings(coverage, package):
    missing = [name for module, (_, gaps) in coverage.items()
               if (module == package or module.startswith(package + ".")) and not _is_pending(module)
               for name in gaps]
    assert not missing, f"{len(missing)} public functions/classes/methods without a docstring:\n  " + "\n  ".join(missing)


def test_pending_is_still_needed(coverage):
    """Every PENDING entry names existing modules that still have gaps; a finished one
    must leave the list."""
    for prefix in PENDING:
        modules = {m: gaps for m, (_, gaps) in coverage.items() if m == prefix or m.startswith(prefix + ".")}
        assert modules, f"PENDING names no module: {prefix}"
        assert any(modules.values()), f"{prefix} is fully documented now: remove it from PENDING"


def test_the_survey_sees_gaps(monkeypatch):
    """The collector itself: it finds undocumented functions, classes (also dataclasses and
    NamedTuples, whose made-up docstrings do not count), methods and properties, and skips
    private names, dunders and re-exports."""
    module = types.ModuleType("fake_docs")
    source = textwrap.dedent('''
        import dataclasses
        import functools
        from typing import NamedTuple
        from os.path import join  # a re-export: not this module's

        def documented():
            """Yes."""

        def bare(): pass

        def _private(): pass

        @functools.lru_cache
        def cached(): pass

        @dataclasses.dataclass
        class Plain:
            x: int

        class Pair(NamedTuple):
            a: int
            b: int

        class Thing:
            """Documented."""

            def method(self): pass

            def _helper(self): pass

            def __len__(self): return 0

            @property
            def size(self): return 1

            @classmethod
            def make(cls):
                """Documented."""
    ''')
    monkeypatch.setitem(sys.modules, "fake_docs", module)  # dataclasses look their module up
    exec(compile(source, "fake_docs", "exec"), module.__dict__)
    names = {name for name, _ in public_objects(module)}
    assert names == {"fake_docs." + n for n in (
        "documented", "bare", "cached", "Plain", "Pair", "Thing", "Thing.method", "Thing.size", "Thing.make")}
    (count, gaps), = survey([module]).values()
    assert count == 9
    assert sorted(gaps) == ["fake_docs." + n for n in ("Pair", "Plain", "Thing.method", "Thing.size", "bare", "cached")]


def _report(coverage) -> str:
    lines = []
    for package in PACKAGES:
        rows = {m: v for m, v in coverage.items() if m == package or m.startswith(package + ".")}
        total = sum(n for n, _ in rows.values())
        gaps = sum(len(g) for _, g in rows.values())
        lines.append(f"{package:8} {total - gaps:4}/{total:<4} documented")
    total = sum(n for n, _ in coverage.values())
    gaps = sum(len(g) for _, g in coverage.values())
    lines.append(f"{'all':8} {total - gaps:4}/{total:<4} documented")
    pending = sum(len(g) for m, (_, g) in coverage.items() if _is_pending(m))
    lines.append(f"gaps in PENDING modules: {pending}; elsewhere: {gaps - pending}")
    for module, (_, found) in coverage.items():
        for name in found:
            lines.append(f"  missing: {name}{'  (pending)' if _is_pending(module) else ''}")
    return "\n".join(lines)


if __name__ == "__main__":
    # Run as a script, this file's folder comes first on sys.path and its test packages
    # (tests/ingest, tests/index, ...) would shadow the real ones.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
    print(_report(survey(iter_modules())))
    sys.exit(0)
