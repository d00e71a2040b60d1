"""The packages' import graph: the layers hold and nothing imports in a circle.

The contracts are ``[tool.importlinter]`` in pyproject.toml: cli and bench on top (they may import
anything), then api, actors, kernels, dre (each imports only the layers below it), and no cycle
between the siblings of any package (``api.worker -> api.admin -> api.services`` is fine,
``api.services -> api.admin`` would not be). Imports inside functions count; imports under
``if TYPE_CHECKING:`` do not (they never run).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# import-linter's command line (in a process of its own: it changes sys.path and logging)
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_import_contracts_are_kept():
    run = subprocess.run([sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo", "pyproject.toml"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"an import breaks a layer or closes a cycle:\n{run.stdout}{run.stderr}"
