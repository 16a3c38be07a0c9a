// C kernels of Tabular: for work where the CPU has instructions Swift cannot ask for, chosen at
// run time so the binary still runs on CPUs without them.
#ifndef PLUMB_CTABULARKERNELS_H
#define PLUMB_CTABULARKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 (FIPS 180-4) compression of `blocks` consecutive 64-byte blocks of `data` into
/// `state` (eight words, A…H). Uses the x86 SHA extensions when the CPU has them, else plain C.
void plumb_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// 1 when the x86 SHA extensions (with SSE4.1 and SSSE3) are usable here.
int plumb_cpu_has_sha(void);

/// The plain C compression, whatever the CPU: the reference the tests compare with.
void plumb_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
