/* ProcessPrng for Wine 8 (Debian 12), which has no bcryptprimitives.dll. Rust's std (1.78 and
 * later) imports ProcessPrng from it for its random HashMap keys, so without this no Rust DLL
 * loads there; Windows 10 and later, and newer Wine, ship the real one. Used only by
 * scripts/run-wine.sh, never shipped. It draws from RtlGenRandom (advapi32's SystemFunction036),
 * the system's CSPRNG. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (!RtlGenRandom(data, chunk)) return FALSE;
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
