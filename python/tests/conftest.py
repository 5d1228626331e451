"""The tests run against the installed wheel, never the source tree."""

import json
import pathlib

import pytest

import matrixauth

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "core" / "tests" / "vectors"


def pytest_configure(config: pytest.Config) -> None:
    installed = pathlib.Path(matrixauth.__file__).resolve()
    source = pathlib.Path(__file__).resolve().parents[1] / "matrixauth"
    assert source not in installed.parents, f"testing the source tree ({installed}), not the installed wheel"


@pytest.fixture(scope="session")
def vectors():
    return lambda name: json.loads((VECTORS / name).read_text(encoding="utf-8"))
