"""Which device a model trains on: ``auto`` | ``cpu`` | ``gpu``.

``gpu`` with no usable GPU is an error, never a silent CPU run. ``auto`` uses the GPU when one is
present, and a model whose library cannot use it falls back to the CPU and says so.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

from compete.errors import DeviceError

__all__ = ["DEVICES", "gpu_present", "resolve_device"]

DEVICES = ("auto", "cpu", "gpu")


@functools.cache
def gpu_present() -> bool:
    """True when ``nvidia-smi -L`` lists at least one GPU."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return False
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def resolve_device(request: str) -> str:
    """Turn a user's request into ``cpu`` or ``gpu`` (``auto`` → ``gpu`` only when one is present)."""
    if request not in DEVICES:
        raise DeviceError(f"--device {request!r} is not known; use one of: {', '.join(DEVICES)}")
    if request == "cpu":
        return "cpu"
    if gpu_present():
        return "gpu"
    if request == "gpu":
        raise DeviceError(
            "--device gpu was asked for but no GPU is usable (nvidia-smi lists none); "
            "run with --device cpu or --device auto"
        )
    return "cpu"
