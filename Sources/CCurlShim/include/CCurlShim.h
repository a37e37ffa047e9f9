#ifndef MAILINTAKE_CCURLSHIM_H
#define MAILINTAKE_CCURLSHIM_H

// Swift cannot call C variadic functions, so curl_easy_setopt and curl_easy_getinfo
// get one fixed-arity wrapper per argument type. Nothing else belongs here.

#include <curl/curl.h>
#include <sys/types.h>

typedef size_t (*mi_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
typedef int (*mi_curl_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata);

CURLcode mi_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode mi_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode mi_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode mi_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode mi_curl_setopt_data_callback(CURL *handle, CURLoption option, mi_curl_data_callback value);
CURLcode mi_curl_setopt_debug_callback(CURL *handle, mi_curl_debug_callback value);

CURLcode mi_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode mi_curl_getinfo_string(CURL *handle, CURLINFO info, const char **value);
CURLcode mi_curl_getinfo_socket(CURL *handle, curl_socket_t *value);

#endif
