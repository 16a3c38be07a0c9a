// SwiftPM builds a C target from at least one source file; the structures are all in the header.
#include "arrow_c_data.h"
