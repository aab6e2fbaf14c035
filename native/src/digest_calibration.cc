#include "digest_calibration.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <time.h>

#include <algorithm>
#include <limits>

namespace librtmp_node {
namespace {

// Sizes and repetitions: about 100 KB hashed per round and side, three rounds, the cheapest
// kept (a round that was interrupted reads high). A few ms on x86, tens on a Cortex-A7.
struct Step {
  size_t bytes;
  int reps;
};
constexpr Step kLadder[] = {{64, 64}, {1024, 24}, {4096, 8}, {16384, 4}};
constexpr int kRounds = 3;
constexpr size_t kMaxBytes = 16384;

double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// CPU ns of one record MAC over `bytes` (+ the 13-byte header), or -1 when a call fails.
double RecordMacNs(const EVP_MD* md, ENGINE* impl, const unsigned char* data, size_t bytes,
                   int reps) {
  static const unsigned char kKey[32] = {1};
  static const unsigned char kHeader[13] = {0};
  HMAC_CTX* keyed = HMAC_CTX_new();
  HMAC_CTX* ctx = HMAC_CTX_new();
  double best = -1;
  if (keyed != nullptr && ctx != nullptr && HMAC_Init_ex(keyed, kKey, sizeof kKey, md, impl) == 1) {
    best = std::numeric_limits<double>::max();
    for (int round = 0; round < kRounds && best >= 0; ++round) {
      const double start = ThreadCpuNs();
      for (int i = 0; i < reps; ++i) {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (HMAC_CTX_copy(ctx, keyed) != 1 || HMAC_Update(ctx, kHeader, sizeof kHeader) != 1 ||
            HMAC_Update(ctx, data, bytes) != 1 || HMAC_Final(ctx, out, &len) != 1) {
          best = -1;
          break;
        }
      }
      if (best >= 0) best = std::min(best, (ThreadCpuNs() - start) / reps);
    }
  }
  HMAC_CTX_free(ctx);
  HMAC_CTX_free(keyed);
  return best;
}

bool Offers(ENGINE* e, int nid) {
  ENGINE_DIGESTS_PTR digests = ENGINE_get_digests(e);
  if (digests == nullptr) return false;
  const int* nids = nullptr;
  const int n = digests(e, nullptr, &nids, 0);
  return std::find(nids, nids + n, nid) != nids + n;
}

}  // namespace

std::vector<DigestCalibration> CalibrateDigests(ENGINE* e) {
  std::vector<DigestCalibration> out;
  std::vector<unsigned char> data(kMaxBytes, 0x5a);
  for (int nid : {NID_sha1, NID_sha256, NID_sha384}) {
    const EVP_MD* md = EVP_get_digestbynid(nid);
    if (md == nullptr || !Offers(e, nid)) continue;
    DigestCalibration c;
    c.digest = OBJ_nid2sn(nid);
    bool ok = true;
    for (const Step& step : kLadder) {
      DigestCost cost;
      cost.bytes = step.bytes;
      cost.engineNs = RecordMacNs(md, e, data.data(), step.bytes, step.reps);
      cost.softwareNs = RecordMacNs(md, nullptr, data.data(), step.bytes, step.reps);
      ok = ok && cost.engineNs >= 0 && cost.softwareNs >= 0;
      c.costs.push_back(cost);
    }
    if (!ok) continue;  // the engine's digest failed: it is not offered, it does not pay
    const DigestCost& lo = c.costs.front();
    const DigestCost& hi = c.costs.back();
    const double span = static_cast<double>(hi.bytes - lo.bytes);
    c.engineByteNs = std::max(0.0, (hi.engineNs - lo.engineNs) / span);
    c.softwareByteNs = std::max(0.0, (hi.softwareNs - lo.softwareNs) / span);
    c.engineCallNs = lo.engineNs - c.engineByteNs * static_cast<double>(lo.bytes);
    c.softwareCallNs = lo.softwareNs - c.softwareByteNs * static_cast<double>(lo.bytes);
    // engineCall + engineByte·n < softwareCall + softwareByte·n from n on.
    if (c.engineByteNs < c.softwareByteNs) {
      c.crossoverBytes =
          std::max(0.0, (c.engineCallNs - c.softwareCallNs) / (c.softwareByteNs - c.engineByteNs));
    }
    const double n = static_cast<double>(kDigestDecisionBytes);
    c.enginePays = c.engineCallNs + c.engineByteNs * n < c.softwareCallNs + c.softwareByteNs * n;
    out.push_back(c);
  }
  return out;
}

}  // namespace librtmp_node
