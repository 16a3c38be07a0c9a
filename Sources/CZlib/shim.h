// C shim: exposes the system zlib (Debian's zlib1g-dev) to Swift. No Swift lives here.
#include <zlib.h>

// inflateInit2 is a function-like macro, which Swift cannot import; this wrapper expands it.
static inline int czlib_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
