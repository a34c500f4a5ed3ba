"""Every public physics function documents each of its parameters and what it returns.

DESIGN.md asks for numpydoc ``Parameters`` (with units) on every public closed form;
this reads the docstrings of `desim.assets.physics.scalar`, `desim.assets.physics.thermal`
and the array wrappers in `desim.assets.physics`, and names any argument left out.
"""

from __future__ import annotations

import inspect
import re

import pytest

from desim.assets import physics
from desim.assets.physics import scalar, thermal

_HEADER = re.compile(r"^(\w[\w ]*)\n-+\n", re.MULTILINE)


def _sections(doc: str) -> dict[str, str]:
    doc = inspect.cleandoc(doc)
    marks = list(_HEADER.finditer(doc))
    return {m.group(1): doc[m.end():(marks[i + 1].start() if i + 1 < len(marks) else None)]
            for i, m in enumerate(marks)}


def _documented(section: str) -> set[str]:
    """Names on the ``name : type`` lines of a numpydoc section (``a, b : float`` too)."""
    names = set()
    for line in section.splitlines():
        if line and not line[0].isspace() and " : " in line:
            names.update(n.strip() for n in line.split(" : ")[0].split(","))
    return names


def _public(module):
    for name in module.__all__:
        fn = getattr(module, name)
        if callable(fn) and not isinstance(fn, type):
            yield f"{module.__name__}.{name}", fn


CASES = [*_public(scalar), *_public(thermal), *_public(physics)]


@pytest.mark.parametrize(("name", "fn"), CASES, ids=[c[0] for c in CASES])
def test_each_parameter_and_the_result_are_documented(name, fn):
    sections = _sections(fn.__doc__ or "")
    assert "Parameters" in sections, f"{name}: no Parameters section"
    assert "Returns" in sections, f"{name}: no Returns section"
    args = set(inspect.signature(getattr(fn, "py_func", fn)).parameters)
    missing = args - _documented(sections["Parameters"])
    assert not missing, f"{name}: parameters not documented: {sorted(missing)}"


def test_the_check_reads_grouped_names_and_notices_a_missing_one():
    doc = """Summary.

    Parameters
    ----------
    a, b : float
        Two, kW.
    c : float
        One, h.

    Returns
    -------
    float
    """
    sections = _sections(doc)
    assert _documented(sections["Parameters"]) == {"a", "b", "c"}
    assert {"a", "b", "c", "d"} - _documented(sections["Parameters"]) == {"d"}


def test_there_are_closed_forms_to_check():
    # the modules' public lists are what the parametrized test walks
    assert len(CASES) >= 30
