"""Confining the processes the server starts: they die with the process that started them
(``die_with_parent``), and evaluators can be kept off the network (``forbid_connections``).

Keeping an evaluator off the network: a seccomp filter makes connect(2) fail with EPERM in the
process that installs it and in every thread it starts later (and the other ways to open a
connection: sendto, sendmsg and sendmmsg, which can connect with TCP Fast Open, io_uring, and any
call through another ABI such as x32). An evaluator installs it when no
SERVICE endpoint is allowed (the default), so no query, however it is spelt, reaches another host:
the kernel refuses, whatever the query reader beside the parser concluded (``federation.py``).

With SERVICE endpoints allowed, evaluators need the network, and the query reader alone would be
the guard: a reader beside the parser can be put out of step with it. So there the same calls
are handed to a supervisor thread in the evaluator (``confine_connections``: seccomp's user
notification), which reads the destination address and lets the call go on only to an
allow-listed endpoint's address and port (resolved when the evaluator starts) or to the
resolver's name servers; anything else fails with EPERM, whatever the query said.

The numbers are Linux's (<linux/prctl.h>, <linux/seccomp.h>, <linux/filter.h>, <linux/audit.h>,
<asm/unistd.h>), for the two architectures it is installed on: x86-64 and arm64.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import ipaddress
import platform
import socket
import struct
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_USER_NOTIF = 0x7FC00000
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_NEW_LISTENER = 8
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
NOTIF_RECV, NOTIF_SEND = 0xC0502100, 0xC0182101  # SECCOMP_IOCTL_NOTIF_RECV and _SEND
SECCOMP_CALL = {"x86_64": 317, "aarch64": 277}
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


def _program(handled: int, only_connect: bool = False) -> _Program:
    """The filter: calls through another architecture's interface, x32 calls and io_uring are
    refused; connect, sendto, sendmsg and sendmmsg (or connect alone) get ``handled``; everything
    else is allowed."""
    architecture, numbers = REFUSED[platform.machine()]
    refuse = SECCOMP_RET_ERRNO | errno.EPERM
    *opening, io_uring = numbers
    opening = opening[:1] if only_connect else opening
    n = len(opening)  # a jump skips that many instructions: to the allow (n), handled (n+1), refuse (n+2)
    program = [
        (LOAD_WORD, 0, 0, ARCHITECTURE),
        (JUMP_IF_EQUAL, 1, 0, architecture),  # this architecture's calls: go on; others: refused
        (RETURN, 0, 0, refuse),
        (LOAD_WORD, 0, 0, NUMBER),
        (JUMP_IF_AT_LEAST, n + 3, 0, X32_SYSCALL_BIT),  # to the "refuse"
        (JUMP_IF_EQUAL, n + 2, 0, io_uring),  # to the "refuse"
        *((JUMP_IF_EQUAL, n - i, 0, number) for i, number in enumerate(opening)),  # to "handled"
        (RETURN, 0, 0, SECCOMP_RET_ALLOW),
        (RETURN, 0, 0, handled),
        (RETURN, 0, 0, refuse),
    ]
    instructions = (_Instruction * len(program))(*(_Instruction(*i) for i in program))
    return _Program(len(program), instructions)


def _no_new_privileges(libc: ctypes.CDLL) -> None:
    zero = ctypes.c_ulong(0)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), zero, zero, zero) != 0:
        _refused()


def _refused() -> None:
    code = ctypes.get_errno()
    raise OSError(code, f"the kernel refused the network filter: {errno.errorcode.get(code, code)}")


def forbid_connections(only_connect: bool = False) -> bool:
    """Make connect(2) and the other ways to open a connection fail in this process from now on
    (and any system call made through another architecture's interface), and in the programs it
    executes. False where that cannot be done (not Linux, or another architecture); raises OSError
    if the kernel refuses the filter.

    ``only_connect`` leaves sendto, sendmsg and sendmmsg allowed, for a server that writes its
    answers with them (the oxigraph server): they reach another host only from a socket the program
    chose to make so (a datagram socket, TCP Fast Open), which a query cannot make it choose."""
    if sys.platform != "linux" or platform.machine() not in REFUSED:
        return False
    program = _program(SECCOMP_RET_ERRNO | errno.EPERM, only_connect)
    libc = ctypes.CDLL(None, use_errno=True)
    zero = ctypes.c_ulong(0)
    _no_new_privileges(libc)
    mode = ctypes.c_ulong(SECCOMP_MODE_FILTER)
    if libc.prctl(PR_SET_SECCOMP, mode, ctypes.byref(program), zero, zero) != 0:
        _refused()
    return True


# --- Connections only to allow-listed endpoints -------------------------------------------------

Destination = tuple[str, int]  # an IP address (as ipaddress writes it) and a port


def endpoint_destinations(endpoints: Iterable[str]) -> set[Destination]:
    """The addresses and ports the endpoints' URLs resolve to now, and the name servers of
    /etc/resolv.conf on port 53 (the resolver must reach them to look names up)."""
    allowed: set[Destination] = set()
    for endpoint in endpoints:
        parts = urlsplit(endpoint)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with contextlib.suppress(OSError):
            for *_, address in socket.getaddrinfo(parts.hostname or "", port, proto=socket.IPPROTO_TCP):
                allowed.add((_normal(str(address[0])), port))
    with contextlib.suppress(OSError):
        for line in Path("/etc/resolv.conf").read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[0] == "nameserver":
                allowed.add((_normal(fields[1]), 53))
    return allowed


def _normal(address: str) -> str:
    """An IP address as ipaddress writes it; an IPv4-mapped IPv6 address as its IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    return str(mapped or ip)


def _destination(address: bytes) -> Destination | bool | None:
    """Where a socket address points: (address, port) for IPv4 and IPv6; True for families that
    reach no other host (local sockets, netlink, "unspecified" to disconnect); None otherwise."""
    if len(address) < 2:
        return None
    family = struct.unpack_from("=H", address)[0]
    if family in (socket.AF_UNIX, socket.AF_NETLINK, socket.AF_UNSPEC):
        return True
    if family == socket.AF_INET and len(address) >= 8:
        return str(ipaddress.IPv4Address(address[4:8])), struct.unpack_from("!H", address, 2)[0]
    if family == socket.AF_INET6 and len(address) >= 24:
        return _normal(str(ipaddress.IPv6Address(address[8:24]))), struct.unpack_from("!H", address, 2)[0]
    return None


class _Data(ctypes.Structure):  # struct seccomp_data
    _fields_ = [("nr", ctypes.c_int), ("arch", ctypes.c_uint32), ("ip", ctypes.c_uint64),
                ("args", ctypes.c_uint64 * 6)]


class _Notification(ctypes.Structure):  # struct seccomp_notif
    _fields_ = [("id", ctypes.c_uint64), ("pid", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("data", _Data)]


class _Answer(ctypes.Structure):  # struct seccomp_notif_resp
    _fields_ = [("id", ctypes.c_uint64), ("val", ctypes.c_int64), ("error", ctypes.c_int32),
                ("flags", ctypes.c_uint32)]


def _addresses(call: int, args: ctypes.Array[ctypes.c_uint64]) -> list[bytes]:
    """The socket addresses a connect, sendto, sendmsg or sendmmsg call names (none: a connected
    socket). The call is blocked in this very process, so its memory is read directly."""
    connect, sendto, sendmsg, sendmmsg, _ = REFUSED[platform.machine()][1]

    def read(pointer: int, length: int) -> bytes:
        return ctypes.string_at(pointer, min(length, 128)) if pointer and length else b""

    def named(header: int) -> bytes:  # struct msghdr: msg_name, then msg_namelen
        pointer, length = struct.unpack("=QI", ctypes.string_at(header, 12))
        return read(pointer, length)

    if call == connect:
        return [read(args[1], args[2])]
    if call == sendto:
        return [read(args[4], args[5])]
    if call == sendmsg:
        return [named(args[1])]
    if call == sendmmsg:  # struct mmsghdr: a msghdr (56 bytes) and a length, padded to 64
        return [named(args[1] + 64 * i) for i in range(min(args[2], 1024))]
    return []


_let_through = 0  # calls to another host this process's guard has let go on


def connections_let_through() -> int:
    """How many calls to another host the connection guard of this process has let go on (0
    where there is no guard, or no endpoint is allowed): a query that changed it reached one."""
    return _let_through


def _allowed(call: int, args: ctypes.Array[ctypes.c_uint64], destinations: set[Destination]) -> bool:
    global _let_through
    remote = False
    for address in _addresses(call, args):
        if not address:
            continue  # a socket already connected: its connect was checked
        where = _destination(address)
        if where is not True and where not in destinations:
            return False
        remote = remote or where is not True
    _let_through += remote
    return True


def _supervise(listener: int, destinations: set[Destination]) -> None:
    """Answer every notification of the filter: go on, or fail with EPERM."""
    libc = ctypes.CDLL(None, use_errno=True)
    while True:
        notification = _Notification()
        if libc.ioctl(listener, ctypes.c_ulong(NOTIF_RECV), ctypes.byref(notification)) != 0:
            if ctypes.get_errno() in (errno.EINTR, errno.ENOENT):
                continue  # interrupted, or the calling thread went away
            return
        data = notification.data
        try:
            allowed = _allowed(data.nr, data.args, destinations)
        except (OSError, ValueError):
            allowed = False
        answer = _Answer(notification.id, 0, 0 if allowed else -errno.EPERM,
                         SECCOMP_USER_NOTIF_FLAG_CONTINUE if allowed else 0)
        libc.ioctl(listener, ctypes.c_ulong(NOTIF_SEND), ctypes.byref(answer))


def confine_connections(destinations: set[Destination]) -> bool:
    """From now on, let this process open connections and send datagrams only to
    ``destinations`` (and through local sockets); every other attempt fails with EPERM. A
    supervisor thread of this process decides. False where that cannot be done (not Linux, another
    architecture); raises OSError if the kernel refuses the filter (Linux before 5.5).

    The destination is read while the call waits; another thread of the same process could change
    it between the check and the call (seccomp's documented limit). The engine's threads do not."""
    if sys.platform != "linux" or platform.machine() not in REFUSED:
        return False
    program = _program(SECCOMP_RET_USER_NOTIF)
    libc = ctypes.CDLL(None, use_errno=True)
    _no_new_privileges(libc)
    listener = libc.syscall(ctypes.c_long(SECCOMP_CALL[platform.machine()]),
                            ctypes.c_ulong(SECCOMP_SET_MODE_FILTER),
                            ctypes.c_ulong(SECCOMP_FILTER_FLAG_NEW_LISTENER), ctypes.byref(program))
    if listener < 0:
        _refused()
    threading.Thread(target=_supervise, args=(listener, frozenset(destinations)), name="connection-guard",
                     daemon=True).start()
    return True
