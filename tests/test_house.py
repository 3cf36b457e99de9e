"""House rules the README's test command enforces: ruff's lint and format, and mypy's types
(rules and the type-check backlog are in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", "livedance", "tests"), ("ruff", "format", "--check", "livedance", "tests"), ("mypy",)],
    ids=["lint", "format", "types"],
)
def test_the_code_passes(command):
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_imports_another_subpackages_private_names():
    """SLF001 (in the lint) catches `obj._name`; this catches `from livedance.pkg.mod import _name` across packages."""
    import ast

    crossings = []
    for path in sorted((ROOT / "livedance").rglob("*.py")):
        package = path.relative_to(ROOT).parts[1] if len(path.relative_to(ROOT).parts) > 2 else ""
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("livedance."):
                target = node.module.split(".")[1]
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private and target != package:
                    crossings.append(f"{path.relative_to(ROOT)}: {node.module} {private}")
    assert crossings == []
