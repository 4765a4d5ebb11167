/* hold-open <file> <milliseconds>: open <file> the way a virus scanner or search indexer does,
 * sharing read and write but not delete, print "held" once the handle is open, keep it for the
 * given time, then close it. While it is held, Windows refuses to rename another file onto it
 * (a sharing violation or access denied), which is what the publish retry waits out. */
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

int wmain(int argc, wchar_t **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: hold-open <file> <milliseconds>\n");
    return 2;
  }
  HANDLE h = CreateFileW(argv[1], GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    fprintf(stderr, "hold-open: CreateFileW failed: %lu\n", GetLastError());
    return 1;
  }
  printf("held\n");
  fflush(stdout);
  Sleep((DWORD)_wtoi(argv[2]));
  CloseHandle(h);
  return 0;
}
