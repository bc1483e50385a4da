// SHA-256 from OpenSSL's libcrypto (Debian libssl-dev). The one-algorithm SHA256_* calls are
// deprecated in OpenSSL 3 in favour of EVP, but EVP's provider machinery would pull most of
// the library into the binary; these pull in SHA-256 alone (with its SHA-NI and AVX2 code).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
