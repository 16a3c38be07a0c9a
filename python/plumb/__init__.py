"""Score Plumb models in-process through libplumb's C ABI (see Sources/PlumbC/include/plumb.h).

    m = plumb.Model("model.plumb")                      # or Model("models:/NAME@ALIAS", store=...)
    m.predict(pyarrow_table)                            # → pyarrow.Table of the prediction columns

Predictions are exactly those of `plumb predict`: the model's stored preprocessing, then the
model; a regression gives `prediction`, a classifier `label` and `prob_<class>` per class.
"""
import ctypes

import numpy as np

from . import _lib

__all__ = ["Model", "PlumbError", "ModelError", "InputError", "library_path", "version"]
__version__ = "0.1.0"

_TASKS = {0: "regression", 1: "binary", 2: "multiclass"}
_KINDS = {0: "numeric", 1: "categorical"}
_ERR_LEN = 4096


class PlumbError(Exception):
    """An error from libplumb; `status` is the PLUMB_ERROR_* code."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class ModelError(PlumbError):
    """The model could not be opened (no such file, not a model, unknown URI or store)."""


class InputError(PlumbError, ValueError):
    """The data does not fit the model (missing or mistyped column, unsupported Arrow type)."""


def _check(status, err):
    if status == _lib.PLUMB_OK:
        return
    message = err.value.decode("utf-8", "replace")
    cls = {_lib.PLUMB_ERROR_MODEL: ModelError, _lib.PLUMB_ERROR_INPUT: InputError}.get(status, PlumbError)
    raise cls(status, message)


def library_path():
    """Path of the libplumb shared library in use."""
    return _lib.library().path


def version():
    """Version of the loaded libplumb."""
    return _lib.library().plumb_version().decode()


class Model:
    """A Plumb model opened in this process. Thread-safe: predict may be called from several
    threads at once (the GIL is released while scoring). Picklable: a copy reopens the model
    from the same path or URI (a URI pinned to the version resolved here)."""

    def __init__(self, path_or_uri, store=None, threads=0):
        """Opens a model file, or a registry URI `models:/NAME/VERSION` / `models:/NAME@ALIAS` in
        the tracking store `store` (default: $PLUMB_STORE, else .plumb/plumb.db).
        `threads`: threads per predict call (0: the model's default, all cores)."""
        self._lib = _lib.library()
        self._handle = None
        self.reference = str(path_or_uri)
        self.store = None if store is None else str(store)
        self.threads = int(threads)
        handle = ctypes.c_void_p()
        err = ctypes.create_string_buffer(_ERR_LEN)
        status = self._lib.plumb_model_open(self.reference.encode(), None if self.store is None else self.store.encode(),
                                            ctypes.byref(handle), err, _ERR_LEN)
        _check(status, err)
        self._handle = handle
        self._describe()

    def _call(self, name, *args):
        err = ctypes.create_string_buffer(_ERR_LEN)
        _check(getattr(self._lib, name)(self._handle, *args, err, _ERR_LEN), err)

    def _describe(self):
        task, features, outputs, classes = ctypes.c_int32(), ctypes.c_int64(), ctypes.c_int64(), ctypes.c_int64()
        self._call("plumb_model_info", ctypes.byref(task), ctypes.byref(features), ctypes.byref(outputs), ctypes.byref(classes))
        text, kind = ctypes.c_char_p(), ctypes.c_int32()

        def get(name, *args):
            self._call(name, *args, ctypes.byref(text))
            return text.value.decode()

        self.task = _TASKS[task.value]
        self.name, self.version, self.sha256, self.kind, _, self.target = (
            get("plumb_model_identity", k) for k in range(6))
        self.schema = {}
        for i in range(features.value):
            self._call("plumb_model_feature", i, ctypes.byref(text), ctypes.byref(kind))
            self.schema[text.value.decode()] = _KINDS[kind.value]
        self.outputs = [get("plumb_model_output", j) for j in range(outputs.value)]
        self.classes = [get("plumb_model_class", c) for c in range(classes.value)] or None

    @property
    def features(self):
        """Input feature column names, in model order (kinds in `schema`)."""
        return list(self.schema)

    def close(self):
        if self._handle is not None:
            self._lib.plumb_model_free(self._handle)
            self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __reduce__(self):
        return (Model, (self.pinned_reference(), self.store, self.threads))

    def pinned_reference(self):
        """The reference that opens this very model again: a registry alias is replaced by the
        version it resolved to, so a promotion during a job cannot mix two models."""
        if self.reference.startswith("models:/"):
            return f"models:/{self.name}/{self.version}"
        return self.reference

    def __repr__(self):
        return f"plumb.Model({self.reference!r}: {self.kind} {self.task}, {len(self.schema)} features → {', '.join(self.outputs)})"

    # ---- scoring ----

    def predict(self, data, keep_columns=False, threads=None):
        """Scores `data`:
          - pyarrow.Table → pyarrow.Table, pyarrow.RecordBatch → pyarrow.RecordBatch;
          - pandas.DataFrame → pyarrow.Table;
          - numpy 2-D array (rows × features, model feature order, NaN = missing; numeric-only
            models) → numpy array: shape (rows,) for a regression, else (rows, len(outputs)) with
            the class index in column 0.
        Prediction columns are those of `plumb predict` (`self.outputs`); with keep_columns the
        input columns come first. A classifier's `label` column holds the class labels."""
        threads = self.threads if threads is None else int(threads)
        if isinstance(data, np.ndarray):
            return self._predict_dense(data, threads)
        import pyarrow as pa
        if isinstance(data, pa.RecordBatch):
            columns = self._predict_batch(data, threads)
            return self._assemble(pa.RecordBatch, data, columns, keep_columns)
        if isinstance(data, pa.Table):
            table = data
        elif type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame":
            table = pa.Table.from_pandas(data, preserve_index=False)
        else:
            raise TypeError(f"predict takes a pyarrow Table or RecordBatch, a pandas DataFrame or a numpy array, not {type(data).__name__}")
        parts = [self._predict_batch(b, threads) for b in table.to_batches()]
        if parts:
            columns = [pa.chunked_array([p[j] for p in parts]) for j in range(len(self.outputs))]
        else:
            columns = [pa.chunked_array([], type=pa.string() if (self.classes and j == 0) else pa.float64())
                       for j in range(len(self.outputs))]
        return self._assemble(pa.Table, table, columns, keep_columns)

    def _assemble(self, cls, data, columns, keep_columns):
        names = list(self.outputs)
        if keep_columns:
            clash = [n for n in names if n in data.schema.names]
            if clash:
                raise InputError(_lib.PLUMB_ERROR_INPUT, f"the input already has column(s) {', '.join(clash)}; drop or rename them to keep the input columns")
            return cls.from_arrays(list(data.columns) + list(columns), names=list(data.schema.names) + names)
        return cls.from_arrays(list(columns), names=names)

    def _predict_batch(self, batch, threads):
        """The prediction columns (pyarrow arrays) of one RecordBatch."""
        import pyarrow as pa
        import pyarrow.compute as pc
        rows = batch.num_rows
        k = len(self.outputs)
        out = np.empty(k * max(rows, 1), dtype=np.float64)
        schema, array = _lib.ArrowSchema(), _lib.ArrowArray()
        batch._export_to_c(ctypes.addressof(array), ctypes.addressof(schema))
        try:
            scored, unseen = ctypes.c_int64(), ctypes.c_int64()
            self._call("plumb_predict_arrow", ctypes.byref(schema), ctypes.byref(array), threads,
                       out.ctypes.data, out.size, ctypes.byref(scored), ctypes.byref(unseen))
        finally:
            if array.release:
                array.release(ctypes.byref(array))
            if schema.release:
                schema.release(ctypes.byref(schema))
        columns = [pa.array(out[j * rows:(j + 1) * rows]) for j in range(k)]
        if self.classes:
            columns[0] = pc.take(pa.array(self.classes, type=pa.string()), pa.array(columns[0].to_numpy().astype(np.int32)))
        return columns

    def _predict_dense(self, x, threads):
        if x.ndim != 2:
            raise InputError(_lib.PLUMB_ERROR_INPUT, f"a numpy input must be 2-D (rows × {len(self.schema)} features), got shape {x.shape}")
        x = np.ascontiguousarray(x, dtype=np.float64)
        rows, cols = x.shape
        k = len(self.outputs)
        out = np.empty((k, rows), dtype=np.float64)
        self._call("plumb_predict_dense", x.ctypes.data, rows, cols, threads, out.ctypes.data, out.size)
        return out[0].copy() if k == 1 else out.T.copy()


from . import spark, ray  # noqa: E402,F401  (helpers; they import pyspark / ray only when called)
