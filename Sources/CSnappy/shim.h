// C shim: exposes the system snappy's C API (Debian's libsnappy-dev) to Swift. No Swift lives here.
#include <snappy-c.h>
