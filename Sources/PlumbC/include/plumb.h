/*
 * plumb.h — the C ABI of libPlumbC.so: score Plumb models in-process (Spark, Ray, any C caller).
 *
 * Build:   swift build -c release --product PlumbC    → .build/release/libPlumbC.so
 *          (the Python package python/plumb loads it with ctypes; see its README section).
 *
 * Conventions
 *  - Every function but plumb_version and plumb_model_free returns a status: PLUMB_OK (0) or a
 *    PLUMB_ERROR_* code. On failure it writes a NUL-terminated UTF-8 message into `err` (at most
 *    `err_len` bytes including the NUL, cut at a character boundary); `err` may be NULL. On
 *    success `err[0]` is set to NUL. Messages name the file, URI, column or argument at fault.
 *  - No function aborts on bad arguments or bad data: NULL pointers, indices out of range,
 *    buffers too small, missing or mistyped columns and unsupported Arrow types are errors.
 *    (The Arrow C Data Interface carries no buffer lengths: arrays must be valid per the Arrow
 *    specification; what can be checked — released structures, child and buffer counts, offsets,
 *    dictionary indices — is.)
 *  - A plumb_model is immutable once opened: one handle may be used from any number of threads
 *    at once. Strings returned through `const char**` belong to the handle and stay valid until
 *    plumb_model_free.
 *  - Scoring applies the model's stored preprocessing and produces exactly what `plumb predict`
 *    writes: for a regression one column `prediction`; for a classifier `label` (the class index,
 *    0-based, as a double; its text from plumb_model_class) then `prob_<class>` per class.
 *    Output is column-major: output column j of row r is out[j * rows + r].
 */
#ifndef PLUMB_H
#define PLUMB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The Arrow C Data Interface (https://arrow.apache.org/docs/format/CDataInterface.html),
 *      copied as the specification asks, under its guard macro. ---- */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

/* ---- Status codes ---- */
#define PLUMB_OK 0
/** A NULL pointer, an index out of range, an output buffer too small, a negative count. */
#define PLUMB_ERROR_ARGUMENT 1
/** The model could not be opened: no such file, not a Plumb model, unknown URI or store. */
#define PLUMB_ERROR_MODEL 2
/** The batch does not fit the model: a missing feature column, a string column where the model
 *  wants numbers, an unsupported (nested, view, …) or inconsistent Arrow array. */
#define PLUMB_ERROR_INPUT 3
/** Anything else: a bug, please report it with the message. */
#define PLUMB_ERROR_INTERNAL 4

/* Task codes of plumb_model_info. */
#define PLUMB_TASK_REGRESSION 0
#define PLUMB_TASK_BINARY 1
#define PLUMB_TASK_MULTICLASS 2

/* Feature kinds of plumb_model_feature. */
#define PLUMB_FEATURE_NUMERIC 0
#define PLUMB_FEATURE_CATEGORICAL 1

/* Fields of plumb_model_identity. */
#define PLUMB_IDENTITY_NAME 0    /* registered name, or the file name without extension */
#define PLUMB_IDENTITY_VERSION 1 /* registry version, or the first 12 hex digits of the SHA-256 */
#define PLUMB_IDENTITY_SHA256 2  /* SHA-256 of the model file */
#define PLUMB_IDENTITY_KIND 3    /* model kind, e.g. "gbm", "ridge", "logistic" */
#define PLUMB_IDENTITY_TASK 4    /* "regression", "binary", "multiclass" */
#define PLUMB_IDENTITY_TARGET 5  /* the target column it was trained on */

typedef struct plumb_model plumb_model;

/** The library's version, a static string. */
const char* plumb_version(void);

/**
 * Opens a model: a model file path (as written by `plumb train --out`), or a registry URI
 * `models:/NAME/VERSION` or `models:/NAME@ALIAS` resolved in the tracking store at `store`
 * (NULL: $PLUMB_STORE, else .plumb/plumb.db — as `plumb predict`). A URI is resolved once, at
 * open time. On success *out holds a handle to free with plumb_model_free; on failure *out is NULL.
 */
int plumb_model_open(const char* path_or_uri, const char* store, plumb_model** out,
                     char* err, size_t err_len);

/** Frees a handle (NULL is ignored). The handle must not be in use by another thread. */
void plumb_model_free(plumb_model* model);

/**
 * The model's shape; any out pointer may be NULL.
 *  task:     PLUMB_TASK_*;
 *  features: input feature columns (see plumb_model_feature);
 *  outputs:  output columns (1 for a regression, 1 + classes for a classifier);
 *  classes:  number of classes (0 for a regression).
 */
int plumb_model_info(const plumb_model* model, int32_t* task, int64_t* features, int64_t* outputs,
                     int64_t* classes, char* err, size_t err_len);

/** One PLUMB_IDENTITY_* text of the model. */
int plumb_model_identity(const plumb_model* model, int32_t field, const char** text,
                         char* err, size_t err_len);

/** Input feature `index` (0 ≤ index < features): its column name and PLUMB_FEATURE_* kind. */
int plumb_model_feature(const plumb_model* model, int64_t index, const char** name, int32_t* kind,
                        char* err, size_t err_len);

/** Output column `index` (0 ≤ index < outputs): "prediction", or "label", "prob_<class>"…. */
int plumb_model_output(const plumb_model* model, int64_t index, const char** name,
                       char* err, size_t err_len);

/** The label of class `index` (0 ≤ index < classes), as in the training data. */
int plumb_model_class(const plumb_model* model, int64_t index, const char** label,
                      char* err, size_t err_len);

/**
 * Scores a record batch given through the Arrow C Data Interface: `schema` of format "+s" whose
 * children are the columns, `array` the matching struct array. The caller keeps ownership of both
 * (nothing is released or retained past the call). Columns are found by name; columns the model
 * does not use are skipped unread, whatever their type.
 * Column types read: null, bool, int8…int64, uint8…uint64, float16/32/64, decimal128, date32/64
 * (days), time32/64, timestamp, duration (seconds), utf8, large_utf8, binary, large_binary, and
 * dictionary-encoded utf8 with any integer index; nulls (validity bitmaps) and offsets (slices)
 * are honoured. Numeric features need numeric columns; a categorical feature takes strings (or
 * numbers, matched by their text as `plumb predict` does). Categories unseen in training are
 * encoded as all zeros and counted in *unseen.
 *  threads: 0 = the model's default, n ≥ 1 = at most n threads for this call.
 *  out:     out_len ≥ rows × outputs doubles, column-major (out[j * rows + r]).
 *  rows, unseen: may be NULL; rows scored, category values unseen in training.
 */
int plumb_predict_arrow(const plumb_model* model, const struct ArrowSchema* schema,
                        const struct ArrowArray* array, int32_t threads, double* out, int64_t out_len,
                        int64_t* rows, int64_t* unseen, char* err, size_t err_len);

/**
 * Scores a dense row-major matrix for a model whose features are all numeric: `values` holds
 * rows × columns doubles (values[r * columns + f], features in plumb_model_feature order, NaN =
 * missing); columns must equal the feature count. Output as plumb_predict_arrow.
 */
int plumb_predict_dense(const plumb_model* model, const double* values, int64_t rows, int64_t columns,
                        int32_t threads, double* out, int64_t out_len, char* err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* PLUMB_H */
