"""Nothing livedance reads can run code: no pickle, no eval (docs/security.md). Patches are TOML,
manifests and session logs JSON, models ONNX; this walks every module's syntax tree for the
ways Python turns bytes into code."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("pickle", "cPickle", "dill", "cloudpickle", "joblib", "marshal", "shelve", "yaml", "torch", "jsonpickle")
BUILTINS = ("eval", "exec", "compile", "__import__")


def unsafe(source: str) -> list[str]:
    """What in `source` could turn data into code: the imports, the calls, np.load(allow_pickle=True)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in MODULES:
            found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in BUILTINS:
                found.append(f"{node.func.id}()")
            for keyword in node.keywords:
                truthy = not (isinstance(keyword.value, ast.Constant) and not keyword.value.value)
                if keyword.arg == "allow_pickle" and truthy:
                    found.append("allow_pickle=True")
    return found


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import pickle", ["import pickle"]),
        ("from yaml import load", ["from yaml import ..."]),
        ("import numpy as np\nnp.load('x', allow_pickle=True)", ["allow_pickle=True"]),
        ("np.load('x', allow_pickle=flag)", ["allow_pickle=True"]),  # not provably off
        ("np.load('x', allow_pickle=False)", []),
        ("eval(text)", ["eval()"]),
        ("exec(text)", ["exec()"]),
        ("import json, tomllib\njson.loads(t); tomllib.loads(t)", []),
        ("re.compile('x')", []),  # a method named compile is not the builtin
    ],
)
def test_the_check_finds_what_it_looks_for(source, expected):
    assert unsafe(source) == expected


def test_no_module_can_unpickle_or_evaluate():
    found = {
        str(path.relative_to(ROOT)): hits
        for path in sorted((ROOT / "livedance").rglob("*.py"))
        if (hits := unsafe(path.read_text()))
    }
    assert found == {}
