// The "decoder" of tokenizer.json: how tokens become text again.
// Supported: Sequence, ByteLevel, ByteFallback, Fuse, Strip, Replace,
// Metaspace. Each works on the list of token strings, as the library's
// decode_chain does; the results are then joined.
#ifndef HEXMOE_MODELS_TOKENIZER_DECODERS_H_
#define HEXMOE_MODELS_TOKENIZER_DECODERS_H_

#include <memory>
#include <string>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

class Decoder {
 public:
  virtual ~Decoder() = default;
  /// Rewrites the tokens; the text is their concatenation at the end.
  virtual void decodeChain(std::vector<std::string>& tokens) const = 0;
};

/// Reads the decoder object at `path`; null in the file gives null here.
StatusOr<std::unique_ptr<Decoder>> parseDecoder(const json& j, const std::string& path, const JsonReader& reader,
                                                int depth = 0);

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_DECODERS_H_
