/* Wine 8 has no bcryptprimitives.dll (added in Wine 9); Rust's std on Windows 10+ takes its
   random bytes from its ProcessPrng. For testing under Wine only: the same bytes from
   RtlGenRandom (advapi32 SystemFunction036), which Wine has. Never shipped. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
    if (!SystemFunction036(data, n)) return FALSE;
    data += n; len -= n;
  }
  return TRUE;
}
