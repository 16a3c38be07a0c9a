"""Loads libPlumbC.so and declares the functions of plumb.h for ctypes."""
import ctypes
import os
import threading
from pathlib import Path

LIBRARY_NAMES = ("libplumb.so", "libPlumbC.so", "libplumb.dylib", "libPlumbC.dylib")

PLUMB_OK = 0
PLUMB_ERROR_ARGUMENT = 1
PLUMB_ERROR_MODEL = 2
PLUMB_ERROR_INPUT = 3
PLUMB_ERROR_INTERNAL = 4


class ArrowSchema(ctypes.Structure):
    pass


class ArrowArray(ctypes.Structure):
    pass


ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
    ("dictionary", ctypes.POINTER(ArrowSchema)),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))),
    ("private_data", ctypes.c_void_p),
]
ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
    ("dictionary", ctypes.POINTER(ArrowArray)),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))),
    ("private_data", ctypes.c_void_p),
]


def candidates():
    """Paths tried, in order: $PLUMB_LIBRARY, next to this package, then .build/{release,debug}
    of the current directory and of the repository holding this package."""
    env = os.environ.get("PLUMB_LIBRARY")
    if env:
        yield Path(env)
        return
    here = Path(__file__).resolve().parent
    for name in LIBRARY_NAMES:
        yield here / name
    roots = [Path.cwd()] + [p for p in here.parents]
    seen = set()
    for root in roots:
        for config in ("release", "debug"):
            folder = root / ".build" / config
            if folder in seen:
                continue
            seen.add(folder)
            for name in LIBRARY_NAMES:
                yield folder / name


_lock = threading.Lock()
_lib = None


def library():
    """The loaded library, its functions declared (loaded once per process)."""
    global _lib
    with _lock:
        if _lib is None:
            _lib = _load()
        return _lib


def _load():
    tried = []
    for path in candidates():
        tried.append(str(path))
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            _declare(lib)
            lib.path = str(path)
            return lib
    raise OSError(
        "libplumb not found (tried: " + ", ".join(tried) + "). Build it with "
        "`swift build -c release --product PlumbC` and set PLUMB_LIBRARY to the .so"
    )


def _declare(lib):
    c = ctypes
    err = [c.c_char_p, c.c_size_t]
    handle = c.c_void_p
    text_out = c.POINTER(c.c_char_p)
    signatures = {
        "plumb_version": (c.c_char_p, []),
        "plumb_model_open": (c.c_int, [c.c_char_p, c.c_char_p, c.POINTER(c.c_void_p)] + err),
        "plumb_model_free": (None, [handle]),
        "plumb_model_info": (c.c_int, [handle, c.POINTER(c.c_int32), c.POINTER(c.c_int64), c.POINTER(c.c_int64),
                                       c.POINTER(c.c_int64)] + err),
        "plumb_model_identity": (c.c_int, [handle, c.c_int32, text_out] + err),
        "plumb_model_feature": (c.c_int, [handle, c.c_int64, text_out, c.POINTER(c.c_int32)] + err),
        "plumb_model_output": (c.c_int, [handle, c.c_int64, text_out] + err),
        "plumb_model_class": (c.c_int, [handle, c.c_int64, text_out] + err),
        "plumb_predict_arrow": (c.c_int, [handle, c.POINTER(ArrowSchema), c.POINTER(ArrowArray), c.c_int32,
                                          c.c_void_p, c.c_int64, c.POINTER(c.c_int64), c.POINTER(c.c_int64)] + err),
        "plumb_predict_dense": (c.c_int, [handle, c.c_void_p, c.c_int64, c.c_int64, c.c_int32,
                                          c.c_void_p, c.c_int64] + err),
    }
    for name, (restype, argtypes) in signatures.items():
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = argtypes
