/*
 * bcryptprimitives.dll for Wine 8.0, which lacks it.
 *
 * Rust's standard library (1.78 and later) gets its random bytes (HashMap
 * keys, for one) from ProcessPrng in bcryptprimitives.dll, which Windows 10
 * and later have. Wine 8.0, the one Debian bookworm ships, has no such DLL,
 * so every Rust program stops before main with status c0000135 (a DLL not
 * found; with WINEDEBUG=-all it says nothing and exits with 53).
 *
 * This file is that one function and nothing else: it asks advapi32's
 * RtlGenRandom (exported as SystemFunction036), which Wine has, for the
 * bytes. It is used only by the tests in tools/on-windows, which build it
 * with mingw-w64 and put the DLL beside the .exe files they run under
 * Wine; on real Windows the system's own DLL is used and this one is never
 * built.
 *
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll \
 *       bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom; ntsecapi.h declares it under this name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Fills `data` with `length` random bytes; TRUE on success (and ProcessPrng
 * never fails on Windows either). RtlGenRandom takes a ULONG, so a larger
 * request is served in pieces. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG piece = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, piece)) {
            return FALSE;
        }
        data += piece;
        length -= piece;
    }
    return TRUE;
}
