"""Where and in what precision the loss network runs: `--device auto|cpu|gpu`, `--precision`.

`select_device` is called before TensorFlow starts (it hides GPUs for `cpu`); everything else may
be asked later. Precision `auto` is bfloat16 where the hardware runs it fast (a GPU, or a CPU with
AVX-512 BF16 or AMX), else float32; Grams, losses and the optimiser's state stay float32/float64.
"""
from __future__ import annotations

import os
import platform
import sys
from functools import lru_cache
from pathlib import Path

from style_transfer.errors import UserInputError
from style_transfer.nst.config import PRECISIONS

DEVICES = ("auto", "cpu", "gpu")
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")

_selected = {"device": "auto", "deterministic": False}


def select_device(device: str = "auto", *, deterministic: bool = False) -> None:
    """Choose the device before TensorFlow starts. `deterministic` (what an explicit --seed asks for)
    turns on TensorFlow's deterministic ops on a GPU too; on a CPU they are always on under a seed,
    as they cost nothing there."""
    if device not in DEVICES:
        raise UserInputError(f"--device: unknown device '{device}' (choose from {', '.join(DEVICES)})")
    _selected.update(device=device, deterministic=deterministic)
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
        if "tensorflow" in sys.modules:  # already started: hide the GPUs from it instead
            import tensorflow as tf

            try:
                tf.config.set_visible_devices([], "GPU")
            except RuntimeError:  # devices already initialised by an in-process caller: theirs to choose
                pass


def check_device() -> None:
    """UserInputError when a GPU was asked for and TensorFlow sees none."""
    if _selected["device"] == "gpu" and not gpu_in_use():
        raise UserInputError("--device gpu: TensorFlow sees no GPU on this machine (use --device auto or cpu)")


# Device nodes of GPU drivers TensorFlow can use (NVIDIA, ROCm, WSL); without any, there is no GPU to
# ask TensorFlow about, and no need to start it just to learn that.
GPU_DEVICE_NODES = ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg")


def gpu_in_use() -> bool:
    """True when the engine runs on a GPU (one is visible and the CPU was not chosen)."""
    if _selected["device"] == "cpu":
        return False
    if _selected["device"] == "auto" and not any(os.path.exists(node) for node in GPU_DEVICE_NODES):
        return False
    return bool(_visible_gpus())


@lru_cache(maxsize=1)
def _visible_gpus() -> tuple:
    import tensorflow as tf

    return tuple(d.name for d in tf.config.list_logical_devices("GPU"))


def wants_op_determinism() -> bool:
    """Deterministic ops under a seed: always on a CPU; on a GPU only when the seed was asked for."""
    return not gpu_in_use() or _selected["deterministic"]


@lru_cache(maxsize=1)
def _cpuinfo() -> dict:
    """The first processor's fields of /proc/cpuinfo (Linux; empty elsewhere)."""
    fields = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def cpu_flags() -> frozenset:
    """The CPU's feature flags."""
    return frozenset(_cpuinfo().get("flags", "").split())


def cpu_has_fast_bf16() -> bool:
    return any(flag in cpu_flags() for flag in BF16_CPU_FLAGS)


def resolve_precision(precision: str = "auto") -> str:
    """'float32' or 'bfloat16' for a --precision choice on this machine."""
    if precision not in PRECISIONS:
        raise UserInputError(f"--precision: unknown precision '{precision}' (choose from {', '.join(PRECISIONS)})")
    if precision != "auto":
        return precision
    return "bfloat16" if gpu_in_use() or cpu_has_fast_bf16() else "float32"


def describe(precision: str = "auto") -> str:
    """One line naming the device and the precision the engine will use."""
    if gpu_in_use():
        import tensorflow as tf

        details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
        where = f"GPU ({details.get('device_name', _visible_gpus()[0])})"
    else:
        model = _cpuinfo().get("model name") or platform.processor() or "CPU"
        extras = [f for f in BF16_CPU_FLAGS if f in cpu_flags()]
        where = f"CPU ({model}, {len(os.sched_getaffinity(0))} cores{', ' + ', '.join(extras) if extras else ''})"
    return f"device: {where}; precision: {resolve_precision(precision)}"

