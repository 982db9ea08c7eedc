// Discord interaction signatures: Ed25519 over X-Signature-Timestamp followed
// by the raw body, checked with the application's public key (64 hex
// characters). Pure functions; thread-safe. Any failure must become a 401
// with no other effect: Discord probes endpoints with bad signatures.
#pragma once

#include <string>
#include <string_view>

#include "bot/status.h"

namespace adapters::discord {

// Strict hex: exactly 2 * `bytes` characters 0-9 a-f A-F; false otherwise.
bool DecodeHex(std::string_view hex, size_t bytes, std::string* out);

// True when `public_key_hex` is 64 hex characters that OpenSSL accepts as an
// Ed25519 public key.
bool IsValidPublicKey(std::string_view public_key_hex);

// Ed25519 verification of `message` with a raw 32-byte public key and a raw
// 64-byte signature; false on any failure (wrong sizes included).
bool VerifyEd25519(std::string_view raw_public_key, std::string_view raw_signature, std::string_view message);

// Verifies `signature_hex` (X-Signature-Ed25519, 128 hex characters) over
// timestamp + body. Every failure (missing header, bad hex, wrong length,
// bad key, wrong signature) is kInvalidArgument with a reason for the log.
bot::Status VerifySignature(std::string_view public_key_hex, std::string_view signature_hex, std::string_view timestamp,
                            std::string_view body);

}  // namespace adapters::discord
