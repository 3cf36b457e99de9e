import subprocess
import sys

from livedance.cli import COMMANDS, build_parser, main

PLAY_SIDE = """
import sys
from livedance.cli import main
code = main(["render", "--model", sys.argv[1], "--seconds", "1", "--size", "64x48", "--out", sys.argv[2]])
heavy = sorted(m for m in ("tensorflow", "keras", "tf2onnx") if m in sys.modules)
print("heavy:", heavy)
sys.exit(code)
"""


def test_every_command_has_help(capsys):
    parser = build_parser()
    for name in COMMANDS:
        assert name in parser.format_help()
    assert main([]) == 0
    for name in COMMANDS:
        assert build_parser(name)._subparsers._group_actions[0].choices[name].format_help().count("--") > 0


HELP_ONLY = """
import sys
from livedance.cli import main
try:
    main(sys.argv[1:])
finally:
    print("loaded:", sorted(m for m in sys.modules if m.startswith("livedance.")))
"""


def test_no_command_but_train_and_export_loads_tensorflow():
    """The live side installs without the train extra: its commands must not even import TensorFlow."""
    heavy = "print('heavy:', sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras'}))"
    code = HELP_ONLY.replace("finally:", "finally:\n    " + heavy)
    for command in COMMANDS:
        if command in ("train", "export"):
            continue
        result = subprocess.run(
            [sys.executable, "-c", code, command, "--help"], capture_output=True, text=True, timeout=120
        )
        assert "heavy: []" in result.stdout, (command, result.stdout[-300:], result.stderr[-300:])


def test_help_imports_only_the_command_asked_about():
    listing = subprocess.run([sys.executable, "-c", HELP_ONLY, "--help"], capture_output=True, text=True, timeout=60)
    assert "loaded: ['livedance.cli', 'livedance.errors', 'livedance.logs']" in listing.stdout
    shown = subprocess.run(
        [sys.executable, "-c", HELP_ONLY, "render", "--help"], capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0 and "--out" in shown.stdout
    assert "livedance.tools.render" in shown.stdout and "livedance.training" not in shown.stdout


def test_render_imports_no_tensorflow(bundle_dir, tmp_path):
    """The play side (bundle, generation, render) must start without TensorFlow."""
    result = subprocess.run(
        [sys.executable, "-c", PLAY_SIDE, str(bundle_dir), str(tmp_path / "x.mp4")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "heavy: []" in result.stdout
    assert (tmp_path / "x.mp4").stat().st_size > 0
