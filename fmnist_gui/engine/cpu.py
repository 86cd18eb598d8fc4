"""What this machine's CPU is and which of its instructions the training paths care about (Linux's /proc/cpuinfo)."""

from __future__ import annotations

import functools
import platform
from dataclasses import dataclass
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# The flags that change which path is fastest: the vector width, and native bf16 arithmetic (AVX512-BF16's dot
# products, AMX's tiles). Without one of the last three, oneDNN emulates bf16 and it is slower than fp32.
RELEVANT_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class CpuInfo:
    model: str  # "Intel(R) Xeon(R) Platinum 8480+", or the platform's processor name where /proc/cpuinfo is missing
    flags: frozenset[str]
    logical_cpus: int  # as the kernel lists them (hyperthreads count)
    megahertz: float | None = None  # the clock the kernel reports (in a virtual machine: often the base clock)
    threads_per_core: int = 1  # 2 where hyperthreads share a core's vector units

    @property
    def relevant_flags(self) -> tuple[str, ...]:
        return tuple(flag for flag in RELEVANT_FLAGS if flag in self.flags)

    @property
    def native_bf16(self) -> str | None:
        """"AMX" or "AVX512-BF16" where the CPU computes in bf16 itself; None where bf16 would be emulated."""
        if "amx_bf16" in self.flags:
            return "AMX"
        if "avx512_bf16" in self.flags:
            return "AVX512-BF16"
        return None

    @property
    def identity(self) -> str:
        """The model and the relevant flags: what a measurement of the paths depends on, besides torch."""
        return f"{self.model} [{' '.join(self.relevant_flags)}]"


@functools.cache
def cpu_info() -> CpuInfo:
    """This machine's CPU, read once."""
    return read_cpu_info(CPUINFO)


def read_cpu_info(path: Path) -> CpuInfo:
    """The CPU that a /proc/cpuinfo file describes (the first processor's model and flags); an unreadable file
    gives the platform's processor name and no flags, so no path that needs a flag is ever tried."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return CpuInfo(platform.processor() or platform.machine() or "unknown CPU", frozenset(), 0)
    fields: dict[str, str] = {}
    count = 0
    for line in text.splitlines():
        name, _, value = line.partition(":")
        name = name.strip()
        if name == "processor":
            count += 1
        elif name in ("model name", "flags", "cpu MHz", "siblings", "cpu cores") and name not in fields:
            fields[name] = value.strip()
    model = fields.get("model name") or platform.processor() or platform.machine() or "unknown CPU"
    siblings, cores = _number(fields.get("siblings")), _number(fields.get("cpu cores"))
    threads_per_core = round(siblings / cores) if siblings and cores else 1
    return CpuInfo(model, frozenset(fields.get("flags", "").split()), count, _number(fields.get("cpu MHz")), max(1, threads_per_core))


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None
