"""quiet_stderr against real file descriptors: what C libraries write to fd 2 meanwhile is lost,
and fd 2 comes back as it was, whatever happens in the block."""

import os
import subprocess
import sys
import threading

import pytest

from livedance.quiet import quiet_stderr


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def _fd2() -> tuple[int, int]:
    stat = os.fstat(2)
    return stat.st_dev, stat.st_ino


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


# Writers that go past Python's sys.stderr, as FFmpeg, ALSA and TensorFlow do.
WRITERS = {
    "os-write": "os.write(2, b'{text}\\n')",
    "child-process": "subprocess.run(['sh', '-c', 'echo {text} >&2'], check=True)",
    "c-library": "ctypes.CDLL(None).dprintf(2, b'{text}\\n')",
    "sys-stderr": "print('{text}', file=sys.stderr)",
}


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
def test_what_is_written_to_fd_2_inside_the_block_is_lost_and_around_it_kept(writer):
    code = "\n".join(
        [
            "import ctypes, os, subprocess, sys",
            "from livedance.quiet import quiet_stderr",
            writer.format(text="before"),
            "with quiet_stderr():",
            "    " + writer.format(text="during"),
            writer.format(text="after"),
            "print('done')",
        ]
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stderr.split() == ["before", "after"]
    assert result.stdout == "done\n"  # stdout is left alone


def test_python_text_buffered_before_the_block_is_not_lost_with_it():
    result = _python(
        "import sys\n"
        "from livedance.quiet import quiet_stderr\n"
        "sys.stderr = open(2, 'w', buffering=1 << 16, closefd=False)  # a block-buffered stderr\n"
        "sys.stderr.write('buffered before\\n')\n"
        "with quiet_stderr():\n"
        "    sys.stderr.write('during\\n')\n"
        "    sys.stderr.flush()  # a logging handler flushing inside the block\n"
        "sys.stderr.flush()\n"
    )
    assert result.returncode == 0 and result.stderr == "buffered before\n"


def test_fd_2_is_silenced_in_this_process_too(capfd):
    os.write(2, b"kept\n")
    with quiet_stderr():
        os.write(2, b"lost\n")
        subprocess.run(["sh", "-c", "echo lost-child >&2"], check=True)
    os.write(2, b"kept again\n")
    assert capfd.readouterr().err == "kept\nkept again\n"


class Boom(Exception):
    pass


def _ends_normally():
    with quiet_stderr():
        pass


def _raises():
    with quiet_stderr():
        raise Boom("from inside the block")


def _returns_early():
    with quiet_stderr():
        return "early"


def _floods_fd_2():
    with quiet_stderr():
        os.write(2, b"x" * 100_000)


@pytest.mark.parametrize(
    "use",
    [_ends_normally, _raises, _returns_early, _floods_fd_2],
    ids=["normal", "raises", "returns-early", "floods-fd-2"],
)
def test_fd_2_comes_back_however_the_block_ends(use, capfd):
    before, fds = _fd2(), _open_fds()
    try:
        use()
    except Boom:
        pass
    assert _fd2() == before
    assert _open_fds() == fds  # the saved and /dev/null descriptors are closed again
    os.write(2, b"heard\n")
    assert capfd.readouterr().err == "heard\n"


def test_inside_the_block_fd_2_is_the_null_device():
    null = os.stat(os.devnull)
    with quiet_stderr():
        assert _fd2() == (null.st_dev, null.st_ino)


def test_an_exception_in_the_block_goes_through_unchanged():
    with pytest.raises(Boom, match="from inside the block"):
        _raises()


def test_many_uses_leak_no_file_descriptors():
    fds = _open_fds()
    for _ in range(200):
        with quiet_stderr():
            pass
    assert _open_fds() == fds


def test_threads_taking_turns_leave_fd_2_where_it_was(capfd):
    before = _fd2()
    start = threading.Barrier(8)

    def busy():
        start.wait()
        for _ in range(150):
            with quiet_stderr():
                os.write(2, b"lost\n")

    threads = [threading.Thread(target=busy) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert _fd2() == before
    os.write(2, b"heard\n")
    assert capfd.readouterr().err == "heard\n"


def test_a_second_thread_waits_until_the_first_has_given_fd_2_back():
    inside, release, second_in = threading.Event(), threading.Event(), threading.Event()
    before = _fd2()
    seen = []

    def first():
        with quiet_stderr():
            inside.set()
            release.wait(10)

    def second():
        inside.wait(10)
        with quiet_stderr():
            second_in.set()
        seen.append(_fd2())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert inside.wait(10)
    assert not second_in.wait(0.3)  # held out while the first thread has fd 2
    release.set()
    for thread in threads:
        thread.join(10)
    assert second_in.is_set() and seen == [before] and _fd2() == before


@pytest.mark.parametrize(
    "setup",
    ["os.close(2)", "sys.stderr = None", "sys.stderr.close()"],
    ids=["fd-2-closed", "no-sys-stderr", "sys-stderr-closed"],
)
def test_without_a_stderr_to_silence_the_block_still_runs(setup):
    result = _python(
        "import os, sys\n"
        "from livedance.quiet import quiet_stderr\n"
        f"{setup}\n"
        "with quiet_stderr():\n"
        "    print('ran')\n"
        "with quiet_stderr():  # and the lock was let go\n"
        "    print('again')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ran\nagain\n"


def test_a_quiet_block_inside_another_does_not_hang(capfd):
    with quiet_stderr():
        with quiet_stderr():
            os.write(2, b"inner\n")
        os.write(2, b"outer\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"
