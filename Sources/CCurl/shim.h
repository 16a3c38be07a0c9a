#ifndef PLUMB_CCURL_SHIM_H
#define PLUMB_CCURL_SHIM_H
/*
 * Plumb opens libcurl (libcurl.so.4) with dlopen only when a download is needed, so the plumb
 * binary neither links libcurl and its ~25 dependent libraries at every start nor needs curl's
 * headers to build. These are the few values of libcurl's stable ABI it uses (curl/curl.h), and
 * typed trampolines for calling the dlsym'd functions (curl_easy_setopt is variadic).
 */
#include <stddef.h>

enum {
    PLUMB_CURLOPT_WRITEDATA = 10001,
    PLUMB_CURLOPT_URL = 10002,
    PLUMB_CURLOPT_ERRORBUFFER = 10010,
    PLUMB_CURLOPT_USERAGENT = 10018,
    PLUMB_CURLOPT_LOW_SPEED_LIMIT = 19,
    PLUMB_CURLOPT_LOW_SPEED_TIME = 20,
    PLUMB_CURLOPT_FOLLOWLOCATION = 52,
    PLUMB_CURLOPT_CONNECTTIMEOUT = 78,
    PLUMB_CURLOPT_NOSIGNAL = 99,
    PLUMB_CURLOPT_WRITEFUNCTION = 20011,
    PLUMB_CURLINFO_RESPONSE_CODE = 0x200002,
    PLUMB_CURL_ERROR_SIZE = 256
};

typedef size_t (*plumb_curl_write_callback)(char *data, size_t size, size_t count, void *context);

static inline void *plumb_curl_easy_init(void *fn) { return ((void *(*)(void))fn)(); }
static inline int plumb_curl_easy_perform(void *fn, void *handle) { return ((int (*)(void *))fn)(handle); }
static inline void plumb_curl_easy_cleanup(void *fn, void *handle) { ((void (*)(void *))fn)(handle); }
static inline const char *plumb_curl_easy_strerror(void *fn, int code) { return ((const char *(*)(int))fn)(code); }

static inline int plumb_curl_setopt_pointer(void *fn, void *handle, int option, const void *value) {
    return ((int (*)(void *, int, ...))fn)(handle, option, value);
}
static inline int plumb_curl_setopt_long(void *fn, void *handle, int option, long value) {
    return ((int (*)(void *, int, ...))fn)(handle, option, value);
}
static inline int plumb_curl_setopt_write(void *fn, void *handle, plumb_curl_write_callback callback) {
    return ((int (*)(void *, int, ...))fn)(handle, PLUMB_CURLOPT_WRITEFUNCTION, callback);
}
static inline int plumb_curl_getinfo_long(void *fn, void *handle, int info, long *value) {
    return ((int (*)(void *, int, ...))fn)(handle, info, value);
}

#endif
