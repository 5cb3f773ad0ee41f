"""The few bytes of the HDF5 superblock that nvscope reads or edits itself: the "open for writing"
flags a killed SWMR writer leaves behind (cleared by ``clear_write_flags``, as ``h5clear -s`` does) and
the end-of-file address (a file shorter than it is truncated). Only superblock versions 2 and 3 at offset
0 with 8-byte addresses, which is what nvscope writes (HDF5 file format specification, section II.A).
"""

import os

from .errors import SessionFileError

_SIGNATURE = b"\x89HDF\r\n\x1a\n"
WRITE_FLAG = 0x01
"""Superblock status flag: a process has (or had, if it died) the file open for writing."""
SWMR_WRITE_FLAG = 0x04
"""Superblock status flag: ... open for SWMR writing (an acquisition)."""
_MASK32 = 0xFFFFFFFF


def _rot(x, k):
    return ((x << k) | (x >> (32 - k))) & _MASK32


def _mix(a, b, c):
    for x, y, z, k in ((0, 2, 1, 4), (1, 0, 2, 6), (2, 1, 0, 8), (0, 2, 1, 16), (1, 0, 2, 19), (2, 1, 0, 4)):
        # lookup3 mix(): v[x] -= v[y]; v[x] ^= rot(v[y], k); v[y] += v[z]
        v = [a, b, c]
        v[x] = ((v[x] - v[y]) & _MASK32) ^ _rot(v[y], k)
        v[y] = (v[y] + v[z]) & _MASK32
        a, b, c = v
    return a, b, c


def _final(a, b, c):
    for x, y, k in ((2, 1, 14), (0, 2, 11), (1, 0, 25), (2, 1, 16), (0, 2, 4), (1, 0, 14), (2, 1, 24)):
        # lookup3 final(): v[x] ^= v[y]; v[x] -= rot(v[y], k)
        v = [a, b, c]
        v[x] = ((v[x] ^ v[y]) - _rot(v[y], k)) & _MASK32
        a, b, c = v
    return a, b, c


def lookup3_hash(data, initval=0):
    """Bob Jenkins' lookup3 ``hashlittle``: the checksum HDF5 puts on its metadata (H5_checksum_lookup3)."""
    n = len(data)
    a = b = c = (0xDEADBEEF + n + initval) & _MASK32
    i = 0
    while n - i > 12:
        a = (a + int.from_bytes(data[i:i + 4], "little")) & _MASK32
        b = (b + int.from_bytes(data[i + 4:i + 8], "little")) & _MASK32
        c = (c + int.from_bytes(data[i + 8:i + 12], "little")) & _MASK32
        a, b, c = _mix(a, b, c)
        i += 12
    if i == n:
        return c
    tail = data[i:] + bytes(12 - (n - i))
    a = (a + int.from_bytes(tail[0:4], "little")) & _MASK32
    b = (b + int.from_bytes(tail[4:8], "little")) & _MASK32
    c = (c + int.from_bytes(tail[8:12], "little")) & _MASK32
    return _final(a, b, c)[2]


def clear_write_flags(path):
    """Clear the superblock's "open for writing" flags, as ``h5clear -s`` does. Returns True if they were
    set. Touches only that byte and the superblock checksum, and, if the dead writer had reserved file
    space it never wrote (stored end-of-file beyond the real end), pads the file with zeros up to it, as
    HDF5 refuses files shorter than their stored end (``h5clear --increment`` moves the address instead)."""
    with open(path, "r+b") as fh:
        head = bytearray(fh.read(48))
        if len(head) < 48 or head[:8] != _SIGNATURE:
            raise SessionFileError(f"{path} does not start with an HDF5 superblock; it cannot be recovered.")
        if head[8] not in (2, 3) or head[9] != 8:
            raise SessionFileError(f"{path}: superblock version {head[8]} with {head[9]}-byte addresses is not "
                                   "what nvscope writes; recovery refuses to edit it.")
        if int.from_bytes(head[44:48], "little") != lookup3_hash(bytes(head[:44])):
            raise SessionFileError(f"{path}: the superblock checksum is wrong; the file is damaged.")
        if head[11] == 0:
            return False
        end_of_file = int.from_bytes(head[28:36], "little")
        if os.fstat(fh.fileno()).st_size < end_of_file:
            fh.truncate(end_of_file)  # grows the file; the new bytes read as zeros
        head[11] = 0
        head[44:48] = lookup3_hash(bytes(head[:44])).to_bytes(4, "little")
        fh.seek(0)
        fh.write(head)
    return True


def stored_end_of_file(path):
    """(end-of-file address stored in the superblock, write flags byte), or None for other superblocks."""
    with open(path, "rb") as fh:
        head = fh.read(48)
    if len(head) < 48 or head[:8] != _SIGNATURE or head[8] not in (2, 3) or head[9] != 8:
        return None
    if int.from_bytes(head[44:48], "little") != lookup3_hash(head[:44]):
        return None
    return int.from_bytes(head[28:36], "little"), head[11]


def check_not_truncated(path):
    """Raise SessionFileError if a file that no writer holds is shorter than its superblock says. (HDF5
    skips this check for SWMR readers, which is how nvscope reads, because a live file may grow.)"""
    stored = stored_end_of_file(path)
    if stored is None:
        return
    end_of_file, flags = stored
    size = os.path.getsize(path)
    if flags == 0 and size < end_of_file:
        raise SessionFileError(f"{path} is truncated: it has {size} bytes but its HDF5 header says "
                               f"{end_of_file}; the end of the file is missing (an interrupted copy?).")
