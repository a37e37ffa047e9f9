#include "CCurlShim.h"

#include <openssl/ssl.h>
#include <pthread.h>

CURLcode mi_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode mi_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode mi_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode mi_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode mi_curl_setopt_data_callback(CURL *handle, CURLoption option, mi_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode mi_curl_setopt_debug_callback(CURL *handle, mi_curl_debug_callback value) {
    return curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, value);
}

CURLcode mi_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode mi_curl_getinfo_string(CURL *handle, CURLINFO info, const char **value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode mi_curl_getinfo_socket(CURL *handle, curl_socket_t *value) {
    return curl_easy_getinfo(handle, CURLINFO_ACTIVESOCKET, value);
}

// Our own ex_data slot on the SSL_CTX (no clash with libcurl's), holding where the SSL goes.
static int mi_session_index = -1;
static void mi_make_session_index(void) { mi_session_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL); }

static void mi_note_session(const SSL *ssl, int where, int ret) {
    (void)ret;
    if (!(where & SSL_CB_HANDSHAKE_DONE)) return;
    void **slot = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), mi_session_index);
    if (slot != NULL) *slot = (void *)ssl;
}

static CURLcode mi_remember_session(CURL *handle, void *ctx, void *slot) {
    (void)handle;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, mi_make_session_index);
    // Only where nobody else watches this context: a callback of libcurl's own stays.
    if (mi_session_index >= 0 && SSL_CTX_get_info_callback(ctx) == NULL && SSL_CTX_set_ex_data(ctx, mi_session_index, slot) == 1)
        SSL_CTX_set_info_callback(ctx, mi_note_session);
    return CURLE_OK;
}

CURLcode mi_curl_remember_tls_session(CURL *handle, void **slot) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_SSL_CTX_DATA, (void *)slot);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_SSL_CTX_FUNCTION, mi_remember_session);
}

int mi_tls_read_ahead(void *session) {
    if (session == NULL) return 0;
    SSL_set_read_ahead((SSL *)session, 1);
    return SSL_get_read_ahead((SSL *)session);
}
