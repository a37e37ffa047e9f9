// OpenSSL's SHA-256 (libcrypto, already in the process through libcurl): its one-block-at-a-time
// interface is marked deprecated in OpenSSL 3 in favour of EVP, but it is the same optimised code
// (SHA-NI, AVX2), and its context is a plain struct, so a Swift value can hold it.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
