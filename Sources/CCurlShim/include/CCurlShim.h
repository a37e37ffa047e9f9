#ifndef MAILINTAKE_CCURLSHIM_H
#define MAILINTAKE_CCURLSHIM_H

// Swift cannot call C variadic functions, so curl_easy_setopt and curl_easy_getinfo
// get one fixed-arity wrapper per argument type; and one call into OpenSSL through the handle's
// TLS session, which needs OpenSSL's types. Nothing else belongs here.

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

// Before a connect: once the TLS handshake is done, `*slot` holds the connection's OpenSSL `SSL`
// (it stays NULL with another TLS library, or without TLS). The slot must outlive the handle.
CURLcode mi_curl_remember_tls_session(CURL *handle, void **slot);
// Lets OpenSSL read as much as the socket holds, not one TLS record at a time (1: it now does;
// 0: no session).
int mi_tls_read_ahead(void *session);

#endif
