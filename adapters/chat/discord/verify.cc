#include "adapters/chat/discord/verify.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>

#include "adapters/chat/common.h"

namespace adapters::discord {
namespace {

using chat::HexValue;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

PkeyPtr PublicKey(const std::string& raw) {
  return PkeyPtr(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
}

}  // namespace

bool DecodeHex(std::string_view hex, size_t bytes, std::string* out) {
  if (hex.size() != bytes * 2) return false;
  std::string raw(bytes, '\0');
  for (size_t i = 0; i < bytes; i++) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    raw[i] = static_cast<char>(hi * 16 + lo);
  }
  *out = std::move(raw);
  return true;
}

bool IsValidPublicKey(std::string_view public_key_hex) {
  std::string raw;
  return DecodeHex(public_key_hex, 32, &raw) && PublicKey(raw) != nullptr;
}

bool VerifyEd25519(std::string_view raw_public_key, std::string_view raw_signature, std::string_view message) {
  if (raw_public_key.size() != 32 || raw_signature.size() != 64) return false;
  PkeyPtr pkey = PublicKey(std::string(raw_public_key));
  MdCtxPtr ctx(pkey ? EVP_MD_CTX_new() : nullptr);
  // Ed25519 takes no digest (NULL) and only the one-shot EVP_DigestVerify
  // (EVP_DigestVerifyUpdate is not supported), so the message comes whole.
  bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(raw_signature.data()), raw_signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  if (!ok) ERR_clear_error();  // leave no failure behind on this thread's OpenSSL error queue
  return ok;
}

bot::Status VerifySignature(std::string_view public_key_hex, std::string_view signature_hex, std::string_view timestamp,
                            std::string_view body) {
  if (signature_hex.empty()) return bot::Status::InvalidArgument("missing X-Signature-Ed25519");
  if (timestamp.empty()) return bot::Status::InvalidArgument("missing X-Signature-Timestamp");
  std::string key, signature;
  if (!DecodeHex(public_key_hex, 32, &key)) {
    return bot::Status::InvalidArgument("DISCORD_PUBLIC_KEY is not 64 hex characters");
  }
  if (!DecodeHex(signature_hex, 64, &signature)) {
    return bot::Status::InvalidArgument("X-Signature-Ed25519 is not 128 hex characters");
  }
  std::string message;
  message.reserve(timestamp.size() + body.size());
  message.append(timestamp).append(body);
  if (!VerifyEd25519(key, signature, message)) return bot::Status::InvalidArgument("signature mismatch");
  return bot::Status::Ok();
}

}  // namespace adapters::discord
