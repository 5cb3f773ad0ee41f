"""SIGINT, SIGTERM and SIGHUP (a closed terminal) sent to a real ``python -m app.cli acquire`` whose RF
generator is the mock SCPI server in a process of its own (``[rf] driver = "scpi"``), as a lab generator is:
after the command exits the server reports its output off, the session says "aborted" with the signal as the
reason and keeps every step the command reported, and the exit status is 128 + the signal (issue 13)."""

import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from analysis.session import read_session

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"), pytest.mark.slow]


@pytest.fixture
def scpi_server():
    server = subprocess.Popen([sys.executable, "-m", "tests.instruments.scpi_server_process"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield server.stdout.readline().strip()
    finally:
        server.stdin.close()
        server.wait(10)


def ask(resource, command):
    """One SCPI query on a connection of its own (the acquiring process has exited by then)."""
    _, host, port, _ = resource.split("::")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(command.encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            reply += conn.recv(100)
    return reply.decode().strip()


def _acquire(tmp_path, resource, scheme="software"):
    config = tmp_path / "lab.toml"
    config.write_text(f'[rf]\ndriver = "scpi"\nresource = "{resource}"\ntimeout_s = 2.0\n')
    out = tmp_path / "run.h5"
    command = [sys.executable, "-m", "app.cli", "acquire", "--config", str(config), "--out", str(out),
               "--size", "32", "32", "--cells", "1", "--points", "3000", "--pairs", "1", "--scheme", scheme]
    return out, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


PROGRESS = re.compile(r"acquire \[[#.]+\]\s+[\d.]+% (\d+)/(\d+)")


# "software": the engine toggles the RF for every frame (mostly off between frames); "alternating": the RF
# stays on for a whole step while the camera gates a switch, so the signal lands with the output on
@pytest.mark.parametrize(("signum", "scheme"), [(signal.SIGINT, "software"), (signal.SIGTERM, "software"),
                                               (signal.SIGHUP, "software"), (signal.SIGTERM, "alternating")])
def test_signal_during_acquire_turns_rf_off_and_keeps_every_step(tmp_path, scpi_server, signum, scheme):
    out, child = _acquire(tmp_path, scpi_server, scheme)
    try:
        lines = []
        while not lines or not PROGRESS.search(lines[-1]):  # the first step is written (10 % lines after)
            line = child.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        time.sleep(0.3)
        if scheme == "alternating":
            assert ask(scpi_server, "OUTP?") == "1"  # the output is on when the signal comes
        child.send_signal(signum)
        _, rest = child.communicate(timeout=60)
    finally:
        child.kill()
    text = "".join(lines) + rest
    assert child.returncode == 128 + signum, text
    assert ask(scpi_server, "OUTP?") == "0"
    session = read_session(out)
    assert session.status == "aborted", text
    assert f"{signal.Signals(signum).name} received" in session.status_reason
    reported = [int(m.group(1)) for m in PROGRESS.finditer(text)]
    kept = re.search(r"(\d+) completed steps kept in", text)
    assert kept is not None and "Traceback" not in text, text
    # the closing line counts the steps in the file, and no step the progress lines reported is missing
    assert int(kept.group(1)) == session.n_steps_completed >= max(reported) >= 1
    assert session.step_done[:session.n_steps_completed].all()
    assert session.n_steps_completed < session.n_steps  # it was stopped, not finished
