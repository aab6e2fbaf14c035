/*
 * Userspace view of the cryptodev-linux 1.x ioctl ABI (/dev/crypto).
 *
 * Written for node-librtmp so that OpenSSL 1.1.1's devcrypto engine
 * (crypto/engine/eng_devcrypto.c, built with enable-devcryptoeng) can be compiled on
 * systems that do not ship the kernel module's own header. It states facts of an
 * existing binary interface -- ioctl numbers, algorithm ids, flag values, struct
 * layouts -- which must match the loaded kernel module byte for byte; the compile-time
 * checks at the end pin those layouts for LP64 (x86_64, aarch64) and ILP32 (armv7).
 *
 * A vendor SDK that ships its own <crypto/cryptodev.h> wins: the build puts
 * CRYPTODEV_INCLUDE_DIR ahead of this folder on the include path.
 */
#ifndef NODE_LIBRTMP_CRYPTODEV_H
#define NODE_LIBRTMP_CRYPTODEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Largest keys the module accepts, in bytes. */
#define CRYPTO_HMAC_MAX_KEY_LEN 512
#define CRYPTO_CIPHER_MAX_KEY_LEN 64

/* Algorithm ids, passed in session_op.cipher / session_op.mac. */
enum cryptodev_crypto_op_t {
  CRYPTO_DES_CBC = 1,
  CRYPTO_3DES_CBC = 2,
  CRYPTO_BLF_CBC = 3,
  CRYPTO_CAST_CBC = 4,
  CRYPTO_SKIPJACK_CBC = 5,
  CRYPTO_MD5_HMAC = 6,
  CRYPTO_SHA1_HMAC = 7,
  CRYPTO_RIPEMD160_HMAC = 8,
  CRYPTO_MD5_KPDK = 9,
  CRYPTO_SHA1_KPDK = 10,
  CRYPTO_RIJNDAEL128_CBC = 11,
  CRYPTO_AES_CBC = CRYPTO_RIJNDAEL128_CBC,
  CRYPTO_ARC4 = 12,
  CRYPTO_MD5 = 13,
  CRYPTO_SHA1 = 14,
  CRYPTO_DEFLATE_COMP = 15,
  CRYPTO_NULL = 16,
  CRYPTO_LZS_COMP = 17,
  CRYPTO_SHA2_256_HMAC = 18,
  CRYPTO_SHA2_384_HMAC = 19,
  CRYPTO_SHA2_512_HMAC = 20,
  CRYPTO_AES_CTR = 21,
  CRYPTO_AES_XTS = 22,
  CRYPTO_AES_ECB = 23,
  CRYPTO_AES_GCM = 50,

  CRYPTO_CAMELLIA_CBC = 101,
  CRYPTO_RIPEMD160 = 102,
  CRYPTO_SHA2_224 = 103,
  CRYPTO_SHA2_256 = 104,
  CRYPTO_SHA2_384 = 105,
  CRYPTO_SHA2_512 = 106,
  CRYPTO_SHA2_224_HMAC = 107,
  CRYPTO_ALGORITHM_ALL /* one past the last id */
};

/*
 * Kept as an expression over the enum on purpose: in a preprocessor #if it evaluates to
 * -1, which is how OpenSSL tells this Linux header from the BSD one (the BSD header has
 * numeric CRYPTO_ALGORITHM_MIN/MAX macros and per-algorithm #defines).
 */
#define CRYPTO_ALGORITHM_MAX (CRYPTO_ALGORITHM_ALL - 1)

/* Cipher block sizes, in bytes. */
#define DES_BLOCK_LEN 8
#define DES3_BLOCK_LEN 8
#define RIJNDAEL128_BLOCK_LEN 16
#define AES_BLOCK_LEN RIJNDAEL128_BLOCK_LEN
#define CAMELLIA_BLOCK_LEN 16
#define BLOWFISH_BLOCK_LEN 8
#define SKIPJACK_BLOCK_LEN 8
#define CAST128_BLOCK_LEN 8
#define EALG_MAX_BLOCK_LEN 16

/* Largest digest / MAC output, in bytes. */
#define AALG_MAX_RESULT_LEN 64
#define HASH_MAX_LEN 64

/* Size of the name buffers in struct alg_info (the kernel's crypto API name limit). */
#define CRYPTODEV_MAX_ALG_NAME 64

/* CIOCGSESSION: set cipher and/or mac (with their keys); the module fills in ses. */
struct session_op {
  __u32 cipher; /* enum cryptodev_crypto_op_t, 0 for none */
  __u32 mac;    /* enum cryptodev_crypto_op_t, 0 for none */

  __u32 keylen;
  __u8 *key;
  __u32 mackeylen;
  __u8 *mackey;

  __u32 ses; /* session id, output */
};

/* Kernel crypto API names of the transform behind a session. */
struct alg_info {
  char cra_name[CRYPTODEV_MAX_ALG_NAME];
  char cra_driver_name[CRYPTODEV_MAX_ALG_NAME];
};

/* CIOCGSESSINFO: set ses; the module fills in the rest. */
struct session_info_op {
  __u32 ses;

  struct alg_info cipher_info;
  struct alg_info hash_info;

  __u16 alignmask; /* buffers aligned to (alignmask + 1) avoid a bounce copy */
  __u32 flags;     /* SIOP_FLAG_* */
};

/* session_info_op.flags: at least one transform is a real (non-software) driver. */
#define SIOP_FLAG_KERNEL_DRIVER_ONLY 1

/* crypt_op.op / crypt_auth_op.op */
#define COP_ENCRYPT 0
#define COP_DECRYPT 1

/* CIOCCRYPT (and the asynchronous CIOCASYNCCRYPT / CIOCASYNCFETCH). */
struct crypt_op {
  __u32 ses;
  __u16 op;    /* COP_ENCRYPT or COP_DECRYPT */
  __u16 flags; /* COP_FLAG_* */
  __u32 len;   /* bytes at src */
  __u8 *src;
  __u8 *dst;
  __u8 *mac; /* digest / MAC output */
  __u8 *iv;
};

/* CIOCAUTHCRYPT: AEAD, TLS-style MAC-then-encrypt, or SRTP, chosen by flags. */
struct crypt_auth_op {
  __u32 ses;
  __u16 op;       /* COP_ENCRYPT or COP_DECRYPT */
  __u16 flags;    /* 0, COP_FLAG_AEAD_TLS_TYPE or COP_FLAG_AEAD_SRTP_TYPE */
  __u32 len;      /* bytes to encrypt at src */
  __u32 auth_len; /* bytes only authenticated at auth_src */
  __u8 *auth_src;
  __u8 *src;
  __u8 *dst;     /* room for len + tag (+ padding in TLS mode) */
  __u8 *tag;     /* tag output, used in SRTP mode */
  __u32 tag_len; /* 0 selects the algorithm's full tag */
  __u8 *iv;
  __u32 iv_len;
};

/* crypt_op.flags / crypt_auth_op.flags */
#define COP_FLAG_NONE (0 << 0)
#define COP_FLAG_UPDATE (1 << 0)   /* hash: absorb data, keep the state */
#define COP_FLAG_FINAL (1 << 1)    /* hash: absorb data and produce the digest */
#define COP_FLAG_WRITE_IV (1 << 2) /* cipher: write the next IV back to iv */
#define COP_FLAG_NO_ZC (1 << 3)    /* do not map user pages (zero copy) */
#define COP_FLAG_AEAD_TLS_TYPE (1 << 4)
#define COP_FLAG_AEAD_SRTP_TYPE (1 << 5)
#define COP_FLAG_RESET (1 << 6) /* hash: restart the state; with COP_FLAG_UPDATE */

/* Asymmetric operations (CIOCKEY); declared by the ABI, not implemented by the module. */
#define CRYPTO_ALG_FLAG_SUPPORTED 1
#define CRYPTO_ALG_FLAG_RNG_ENABLE 2
#define CRYPTO_ALG_FLAG_DSA_SHA 4

struct crparam {
  __u8 *crp_p;
  __u32 crp_nbits;
};

#define CRK_MAXPARAM 8

struct crypt_kop {
  __u32 crk_op; /* enum cryptodev_crk_op_t */
  __u32 crk_status;
  __u16 crk_iparams;
  __u16 crk_oparams;
  __u32 crk_pad1;
  struct crparam crk_param[CRK_MAXPARAM];
};

enum cryptodev_crk_op_t {
  CRK_MOD_EXP = 0,
  CRK_MOD_EXP_CRT = 1,
  CRK_DSA_SIGN = 2,
  CRK_DSA_VERIFY = 3,
  CRK_DH_COMPUTE_KEY = 4,
  CRK_ALGORITHM_ALL
};

#define CRK_ALGORITHM_MAX (CRK_ALGORITHM_ALL - 1)

/* Bits reported by CIOCASYMFEAT. */
#define CRF_MOD_EXP (1 << CRK_MOD_EXP)
#define CRF_MOD_EXP_CRT (1 << CRK_MOD_EXP_CRT)
#define CRF_DSA_SIGN (1 << CRK_DSA_SIGN)
#define CRF_DSA_VERIFY (1 << CRK_DSA_VERIFY)
#define CRF_DH_COMPUTE_KEY (1 << CRK_DH_COMPUTE_KEY)

/* CIOCCPHASH: copy the running hash state of src_ses into dst_ses (both already open). */
struct cphash_op {
  __u32 dst_ses;
  __u32 src_ses;
};

/* ioctl requests on an open /dev/crypto descriptor. */
#define CRIOGET _IOWR('c', 101, __u32)
#define CIOCGSESSION _IOWR('c', 102, struct session_op)
#define CIOCFSESSION _IOW('c', 103, __u32)
#define CIOCCRYPT _IOWR('c', 104, struct crypt_op)
#define CIOCKEY _IOWR('c', 105, struct crypt_kop)
#define CIOCASYMFEAT _IOR('c', 106, __u32)
#define CIOCGSESSINFO _IOWR('c', 107, struct session_info_op)
#define CIOCAUTHCRYPT _IOWR('c', 109, struct crypt_auth_op)
#define CIOCASYNCCRYPT _IOW('c', 110, struct crypt_op)
#define CIOCASYNCFETCH _IOR('c', 111, struct crypt_op)
#define CIOCCPHASH _IOW('c', 112, struct cphash_op)

/* On Linux every open of /dev/crypto is already a separate context; CRIOGET is optional. */
#define CRIOGET_NOT_NEEDED 1

/*
 * Layout checks. A mismatch here means the kernel module would read garbage, so it must
 * stop the build rather than surface as EINVAL (or memory corruption) at run time.
 */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define CRYPTODEV_ABI_CHECK(cond, what) static_assert(cond, what)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define CRYPTODEV_ABI_CHECK(cond, what) _Static_assert(cond, what)
#elif !defined(__cplusplus) && defined(__GNUC__)
/* GCC and Clang accept C11 static assertions in older modes; __extension__ keeps -pedantic quiet.
 */
#define CRYPTODEV_ABI_CHECK(cond, what) __extension__ _Static_assert(cond, what)
#endif

#if defined(CRYPTODEV_ABI_CHECK) && defined(__SIZEOF_POINTER__)
#include <stddef.h>

/* Pointer-free structs: identical on every Linux ABI. */
CRYPTODEV_ABI_CHECK(sizeof(struct alg_info) == 128, "alg_info size");
CRYPTODEV_ABI_CHECK(offsetof(struct session_info_op, cipher_info) == 4, "session_info_op");
CRYPTODEV_ABI_CHECK(offsetof(struct session_info_op, hash_info) == 132, "session_info_op");
CRYPTODEV_ABI_CHECK(offsetof(struct session_info_op, alignmask) == 260, "session_info_op");
CRYPTODEV_ABI_CHECK(offsetof(struct session_info_op, flags) == 264, "session_info_op");
CRYPTODEV_ABI_CHECK(sizeof(struct session_info_op) == 268, "session_info_op size");
CRYPTODEV_ABI_CHECK(sizeof(struct cphash_op) == 8, "cphash_op size");
CRYPTODEV_ABI_CHECK(offsetof(struct cphash_op, src_ses) == 4, "cphash_op");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, op) == 4, "crypt_op");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, flags) == 6, "crypt_op");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, len) == 8, "crypt_op");
CRYPTODEV_ABI_CHECK(sizeof(enum cryptodev_crypto_op_t) == 4, "algorithm id size");

#if __SIZEOF_POINTER__ == 8 /* LP64: x86_64, aarch64 */
CRYPTODEV_ABI_CHECK(offsetof(struct session_op, key) == 16, "session_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct session_op, mackeylen) == 24, "session_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct session_op, mackey) == 32, "session_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct session_op, ses) == 40, "session_op (LP64)");
CRYPTODEV_ABI_CHECK(sizeof(struct session_op) == 48, "session_op size (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, src) == 16, "crypt_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, dst) == 24, "crypt_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, mac) == 32, "crypt_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, iv) == 40, "crypt_op (LP64)");
CRYPTODEV_ABI_CHECK(sizeof(struct crypt_op) == 48, "crypt_op size (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, auth_src) == 16, "crypt_auth_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, tag) == 40, "crypt_auth_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, tag_len) == 48, "crypt_auth_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, iv) == 56, "crypt_auth_op (LP64)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, iv_len) == 64, "crypt_auth_op (LP64)");
CRYPTODEV_ABI_CHECK(sizeof(struct crypt_auth_op) == 72, "crypt_auth_op size (LP64)");
CRYPTODEV_ABI_CHECK(sizeof(struct crypt_kop) == 144, "crypt_kop size (LP64)");
#elif __SIZEOF_POINTER__ == 4 /* ILP32: armv7 (EABI hard-float), i386 */
CRYPTODEV_ABI_CHECK(offsetof(struct session_op, key) == 12, "session_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct session_op, mackeylen) == 16, "session_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct session_op, mackey) == 20, "session_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct session_op, ses) == 24, "session_op (ILP32)");
CRYPTODEV_ABI_CHECK(sizeof(struct session_op) == 28, "session_op size (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, src) == 12, "crypt_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, dst) == 16, "crypt_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, mac) == 20, "crypt_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_op, iv) == 24, "crypt_op (ILP32)");
CRYPTODEV_ABI_CHECK(sizeof(struct crypt_op) == 28, "crypt_op size (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, auth_src) == 16, "crypt_auth_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, tag) == 28, "crypt_auth_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, tag_len) == 32, "crypt_auth_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, iv) == 36, "crypt_auth_op (ILP32)");
CRYPTODEV_ABI_CHECK(offsetof(struct crypt_auth_op, iv_len) == 40, "crypt_auth_op (ILP32)");
CRYPTODEV_ABI_CHECK(sizeof(struct crypt_auth_op) == 44, "crypt_auth_op size (ILP32)");
CRYPTODEV_ABI_CHECK(sizeof(struct crypt_kop) == 80, "crypt_kop size (ILP32)");
#endif

#endif /* CRYPTODEV_ABI_CHECK && __SIZEOF_POINTER__ */
#undef CRYPTODEV_ABI_CHECK

#endif /* NODE_LIBRTMP_CRYPTODEV_H */
