// C shim: exposes the system zstd (Debian's libzstd-dev) to Swift. No Swift lives here.
#include <zstd.h>
