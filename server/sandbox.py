"""Confining the processes the server starts: they die with the process that started them
(``die_with_parent``), and evaluators can be kept off the network (``forbid_connections``).

Keeping an evaluator off the network: a seccomp filter makes connect(2) fail with EPERM in the
process that installs it and in every thread it starts later (and the other ways to open a
connection: sendto, sendmsg and sendmmsg, which can connect with TCP Fast Open, io_uring, and any
call through another ABI such as x32). An evaluator installs it when no
SERVICE endpoint is allowed (the default), so no query, however it is spelt, reaches another host:
the kernel refuses, whatever the query reader beside the parser concluded (``federation.py``).

The numbers are Linux's (<linux/prctl.h>, <linux/seccomp.h>, <linux/filter.h>, <linux/audit.h>,
<asm/unistd.h>), for the two architectures it is installed on: x86-64 and arm64.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import platform
import sys

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
LOAD_WORD = 0x00 | 0x00 | 0x20  # BPF_LD | BPF_W | BPF_ABS
JUMP_IF_EQUAL = 0x05 | 0x10 | 0x00  # BPF_JMP | BPF_JEQ | BPF_K
JUMP_IF_AT_LEAST = 0x05 | 0x30 | 0x00  # BPF_JMP | BPF_JGE | BPF_K
RETURN = 0x06  # BPF_RET | BPF_K
NUMBER, ARCHITECTURE = 0, 4  # offsets in struct seccomp_data
X32_SYSCALL_BIT = 0x40000000
# machine: (AUDIT_ARCH_*, the numbers of connect, sendto, sendmsg, sendmmsg, io_uring_setup)
REFUSED = {"x86_64": (0xC000003E, (42, 44, 46, 307, 425)),
           "aarch64": (0xC00000B7, (203, 206, 211, 269, 425))}


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def die_with_parent(signal_number: int) -> None:
    """Ask the kernel to send this process ``signal_number`` when the thread that started it ends
    (Linux; elsewhere nothing happens: the caller has its own way to stop it)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal_number),
                                                ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def forbid_connections() -> bool:
    """Make connect(2) and the other ways to open a connection fail in this process from now on
    (and any system call made through another architecture's interface). False where that cannot
    be done (not Linux, or another architecture); raises OSError if the kernel refuses the filter."""
    if sys.platform != "linux" or platform.machine() not in REFUSED:
        return False
    architecture, numbers = REFUSED[platform.machine()]
    refuse = SECCOMP_RET_ERRNO | errno.EPERM
    checks = [(JUMP_IF_AT_LEAST, X32_SYSCALL_BIT), *((JUMP_IF_EQUAL, n) for n in numbers)]
    program = [
        (LOAD_WORD, 0, 0, ARCHITECTURE),
        (JUMP_IF_EQUAL, 1, 0, architecture),  # this architecture's calls: go on; others: refused
        (RETURN, 0, 0, refuse),
        (LOAD_WORD, 0, 0, NUMBER),
        # each check, when true, jumps over the checks after it and the "allow" to the "refuse"
        *((operation, len(checks) - i, 0, k) for i, (operation, k) in enumerate(checks)),
        (RETURN, 0, 0, SECCOMP_RET_ALLOW),
        (RETURN, 0, 0, refuse),
    ]
    instructions = (_Instruction * len(program))(*(_Instruction(*i) for i in program))
    filter_program = _Program(len(program), instructions)
    libc = ctypes.CDLL(None, use_errno=True)
    zero = ctypes.c_ulong(0)
    if (libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), zero, zero, zero) != 0
            or libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(filter_program),
                          zero, zero) != 0):
        code = ctypes.get_errno()
        raise OSError(code, f"the kernel refused the network filter: {errno.errorcode.get(code, code)}")
    return True
