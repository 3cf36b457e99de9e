import pytest
from drawn_dancer import drawn_dataset
from said import warnings_said


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory):
    """A real model bundle, trained briefly and exported by the project's own commands.

    Read-only: copy it to break it. Its quality is poor (a few seconds of training), so tests
    check properties any bundle has, not how well it dances.
    """
    from livedance.cli import main

    base = tmp_path_factory.mktemp("bundle")
    data = drawn_dataset(clips=3, frames=48).save(base / "drawn.npz")
    run = base / "run"
    args = ["--epochs-ae", "10", "--batch-ae", "8", "--epochs-lstm", "4", "--batch-lstm", "32", "--quiet"]
    assert main(["train", "--data", str(data), "--out", str(run), *args]) == 0
    assert main(["export", str(run), "--out", str(base / "tiny")]) == 0
    return base / "tiny"


@pytest.fixture
def warned():
    """What livedance's log warned of during the test (`said.Said`: `lines`, `about(words)`)."""
    with warnings_said() as said:
        yield said
