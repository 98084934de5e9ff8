"""Helpers for the sandbox's real local processes (Prometheus, Alertmanager, promtool).

Each process logs stdout and stderr to one file in its work directory; every error raised here
is a :class:`SandboxError` that carries the tail of that log, so a failed start explains itself.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

from incident.errors import SandboxError

BIND_FAILURE = "address already in use"


def find_binary(name: str, package: str) -> str:
    """Absolute path of ``name`` on PATH, else a SandboxError naming the Debian package to install."""
    found = shutil.which(name)
    if found is None:
        raise SandboxError(f"{name} not found: install the Debian package '{package}' (apt-get install {package})")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the caller retries if it is taken)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _with_tail(message: str, log_path: Path) -> str:
    tail = log_tail(log_path)
    return f"{message}\n--- {log_path} (tail) ---\n{tail}" if tail else message


def run_tool(argv: list[str], log_path: Path, *, timeout: float = 120.0) -> None:
    """Run a one-shot command to completion; raise SandboxError with its output tail on failure."""
    with log_path.open("ab") as log:
        try:
            result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(_with_tail(f"{Path(argv[0]).name} timed out after {timeout:.0f}s", log_path)) from exc
        except OSError as exc:
            raise SandboxError(f"cannot run {argv[0]}: {exc}") from exc
    if result.returncode != 0:
        raise SandboxError(_with_tail(f"{Path(argv[0]).name} failed (exit {result.returncode})", log_path))


def start_process(argv: list[str], log_path: Path, *, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``argv`` in the background with stdout and stderr appended to ``log_path``."""
    log = log_path.open("ab")
    try:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd)
    except OSError as exc:
        raise SandboxError(f"cannot start {argv[0]}: {exc}") from exc
    finally:
        log.close()  # the child holds its own descriptor


def wait_ready(url: str, proc: subprocess.Popen[bytes], log_path: Path, *, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers 200; fail early (with the log tail) if the process exits."""
    name = Path(str(proc.args[0] if isinstance(proc.args, list) else proc.args)).name
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                raise SandboxError(_with_tail(f"{name} exited with code {code} before it was ready", log_path))
            try:
                response = client.get(url)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.1)
    stop_process(proc)
    raise SandboxError(_with_tail(f"{name} not ready at {url} after {timeout:.0f}s ({last})", log_path))


def stop_process(proc: subprocess.Popen[bytes] | None, *, grace: float = 5.0) -> None:
    """Terminate, then kill if it does not exit within ``grace`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace)


def start_listening(
    argv_for_port: list[str], port_arg: str, log_path: Path, ready_path: str, *, attempts: int = 3
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server on a free loopback port and wait until ``ready_path`` answers.

    ``port_arg`` is a format string such as ``--web.listen-address=127.0.0.1:{port}``; a start that
    loses the port race (another process took it) is retried on a new port.
    """
    for attempt in range(attempts):
        port = free_port()
        proc = start_process([*argv_for_port, port_arg.format(port=port)], log_path)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base + ready_path, proc, log_path)
        except BaseException as exc:  # not ready, or interrupted (Ctrl-C, SIGTERM): never leave it running
            stop_process(proc)
            if isinstance(exc, SandboxError) and attempt + 1 < attempts and BIND_FAILURE in log_tail(log_path, 5):
                continue
            raise
        return proc, base
    raise SandboxError(_with_tail(f"no free port after {attempts} attempts", log_path))  # pragma: no cover
