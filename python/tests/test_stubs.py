"""The stubs cover the public API, and a typed script passes ``mypy --strict``."""

import ast
import inspect
import pathlib
import subprocess
import sys

import matrixauth as mx
from matrixauth import _native

HERE = pathlib.Path(__file__).resolve().parent


def stub_names():
    stub = pathlib.Path(_native.__file__).with_name("_native.pyi")
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            top.add(node.name)
            members[node.name] = {
                n.name if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) else n.target.id
                for n in node.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                or (isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name))
            }
        elif isinstance(node, ast.FunctionDef):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        elif isinstance(node, ast.Assign):
            top.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return top, members


def test_every_public_native_name_has_a_stub():
    top, members = stub_names()
    public = {n for n in dir(_native) if not n.startswith("_")} | {"__version__"}
    assert public - top == set(), "names without a stub"
    for name in public:
        obj = getattr(_native, name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            attrs = {a for a in vars(obj) if not a.startswith("_")}
            assert attrs - members[name] == set(), f"{name}: members without a stub"


def test_every_exported_name_exists():
    for name in mx.__all__:
        assert hasattr(mx, name), name


def test_typed_example_passes_mypy_strict():
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(HERE / "typed_example.py")],
        capture_output=True,
        text=True,
        cwd=HERE,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_typed_example_runs():
    r = subprocess.run([sys.executable, str(HERE / "typed_example.py")], capture_output=True, text=True, cwd=HERE)
    assert r.returncode == 0, r.stdout + r.stderr
