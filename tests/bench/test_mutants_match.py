"""Every planted mutant of ``bench.mutants`` still names a spot in the code: a refactor that moves
the guarded line would otherwise leave the mutant unplanted, and the suite's guard unchecked."""
from __future__ import annotations

import pytest

from bench.mutants import MUTANTS, ROOT


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_the_mutated_text_occurs_once(mutant) -> None:
    text = (ROOT / mutant.path).read_text()
    assert text.count(mutant.old) == 1, f"{mutant.path}: {mutant.old!r} occurs {text.count(mutant.old)} times"
