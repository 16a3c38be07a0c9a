// C shim: exposes the system LZ4 block and frame APIs (Debian's liblz4-dev) to Swift. No Swift lives here.
#include <lz4.h>
#include <lz4frame.h>
