// Decoders, each as the library's decode_chain.
#include "models/tokenizer/decoders.h"

#include "models/tokenizer/metaspace.h"
#include "models/tokenizer/regex.h"
#include "models/tokenizer/unicode.h"

namespace hexmoe::tokenizer {
namespace {

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decodeChain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decodeChain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

/// The bytes each token's characters stand for (a token with any other
/// character counts as its own UTF-8), all as one lossy UTF-8 string.
class ByteLevelDecoder : public Decoder {
 public:
  void decodeChain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    std::string mapped;
    for (const std::string& t : tokens) {
      mapped.clear();
      bool all = true;
      for (size_t i = 0; i < t.size() && all;) {
        const int b = byteLevelByte(nextCodePoint(t, i));
        if (b < 0) all = false;
        mapped += static_cast<char>(b);
      }
      bytes += all ? mapped : t;
    }
    tokens.assign(1, utf8Lossy(bytes));
  }
};

/// Runs of <0xNN> tokens become their bytes when those are UTF-8, and one
/// U+FFFD per token when not.
class ByteFallbackDecoder : public Decoder {
 public:
  void decodeChain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (firstInvalidUtf8(pending) == pending.size()) {
        out.push_back(pending);
      } else {
        for (size_t k = 0; k < pending.size(); ++k) out.emplace_back("\xef\xbf\xbd");
      }
      pending.clear();
    };
    for (std::string& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') byte = parseHexByte(t[3], t[4]);
      if (byte >= 0) {
        pending += static_cast<char>(byte);
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  /// Rust's u8::from_str_radix(_, 16) on two bytes: hex digits, or a '+'
  /// and one digit.
  static int parseHexByte(char a, char b) {
    auto digit = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    };
    if (a == '+') return digit(b);
    const int hi = digit(a), lo = digit(b);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }
};

class FuseDecoder : public Decoder {
 public:
  void decodeChain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

/// Up to `start` leading and `stop` trailing copies of one character
/// removed from each token.
class StripDecoder : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
  void decodeChain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::vector<size_t> bounds;  // byte offset of each character, then the end
      for (size_t i = 0; i < t.size();) {
        bounds.push_back(i);
        nextCodePoint(t, i);
      }
      bounds.push_back(t.size());
      const size_t chars = bounds.size() - 1;
      auto at = [&](size_t c) {
        size_t i = bounds[c];
        return nextCodePoint(t, i);
      };
      size_t first = 0;
      while (first < start_ && first < chars && at(first) == content_) ++first;
      size_t last = chars;
      for (size_t k = 0; k < stop_ && last > first && at(last - 1) == content_; ++k) --last;
      t = t.substr(bounds[first], bounds[last] - bounds[first]);
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(std::unique_ptr<Pattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decodeChain(std::vector<std::string>& tokens) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    for (std::string& t : tokens) {
      matches.clear();
      // A regex that gives up leaves the token as it is (decode cannot fail).
      if (!pattern_->findAll(t, matches).ok() || matches.empty()) continue;
      std::string out;
      size_t at = 0;
      for (const auto& [b, e] : matches) {
        out.append(t, at, b - at);
        out += content_;
        at = e;
      }
      out.append(t, at, std::string::npos);
      t = std::move(out);
    }
  }

 private:
  std::unique_ptr<Pattern> pattern_;
  std::string content_;
};

/// The replacement character becomes a space, except in the first token,
/// where it is dropped unless the prepend scheme is "never".
class MetaspaceDecoder : public Decoder {
 public:
  explicit MetaspaceDecoder(MetaspaceOptions options) : o_(std::move(options)) {}
  void decodeChain(std::vector<std::string>& tokens) const override {
    for (size_t k = 0; k < tokens.size(); ++k) {
      const std::string& t = tokens[k];
      std::string out;
      for (size_t i = 0; i < t.size();) {
        if (t.compare(i, o_.replacement.size(), o_.replacement) == 0) {
          if (k != 0 || o_.prepend == PrependScheme::kNever) out += ' ';
          i += o_.replacement.size();
        } else {
          const size_t len = utf8Length(static_cast<uint8_t>(t[i]));
          out.append(t, i, len);
          i += len;
        }
      }
      tokens[k] = std::move(out);
    }
  }

 private:
  MetaspaceOptions o_;
};

}  // namespace

StatusOr<std::unique_ptr<Decoder>> parseDecoder(const json& j, const std::string& path, const JsonReader& reader,
                                                int depth) {
  if (j.is_null()) return std::unique_ptr<Decoder>();
  if (depth > kMaxComponentDepth) return reader.error(path, "Sequences nested too deeply");
  HEXMOE_ASSIGN_OR_RETURN(std::string type, reader.type(j, path));
  if (type == "Sequence") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"decoders"}));
    HEXMOE_ASSIGN_OR_RETURN(const json* list, reader.array(j, path, "decoders"));
    std::vector<std::unique_ptr<Decoder>> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string where = indexPath(childPath(path, "decoders"), i);
      if ((*list)[i].is_null()) return reader.error(where, "expected a decoder, found null");
      HEXMOE_ASSIGN_OR_RETURN(auto part, parseDecoder((*list)[i], where, reader, depth + 1));
      parts.push_back(std::move(part));
    }
    return std::unique_ptr<Decoder>(new SequenceDecoder(std::move(parts)));
  }
  if (type == "ByteLevel") {
    // The options shape offsets when pre-tokenizing; decoding ignores them.
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"add_prefix_space", "trim_offsets", "use_regex"}));
    for (const char* key : {"add_prefix_space", "trim_offsets", "use_regex"})
      HEXMOE_RETURN_IF_ERROR(reader.boolean(j, path, key, true).status());
    return std::unique_ptr<Decoder>(new ByteLevelDecoder());
  }
  if (type == "ByteFallback") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {}));
    return std::unique_ptr<Decoder>(new ByteFallbackDecoder());
  }
  if (type == "Fuse") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {}));
    return std::unique_ptr<Decoder>(new FuseDecoder());
  }
  if (type == "Strip") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"content", "start", "stop"}));
    HEXMOE_ASSIGN_OR_RETURN(std::string content, reader.string(j, path, "content"));
    size_t i = 0;
    const char32_t c = content.empty() ? 0 : nextCodePoint(content, i);
    if (content.empty() || i != content.size())
      return reader.error(childPath(path, "content"), json(content).dump() + " is not one character");
    HEXMOE_ASSIGN_OR_RETURN(int64_t start, reader.integer(j, path, "start", 0, 1 << 20));
    HEXMOE_ASSIGN_OR_RETURN(int64_t stop, reader.integer(j, path, "stop", 0, 1 << 20));
    return std::unique_ptr<Decoder>(new StripDecoder(c, static_cast<size_t>(start), static_cast<size_t>(stop)));
  }
  if (type == "Replace") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"pattern", "content"}));
    HEXMOE_ASSIGN_OR_RETURN(auto pattern, Pattern::parse(j, path, "pattern", reader));
    HEXMOE_ASSIGN_OR_RETURN(std::string content, reader.string(j, path, "content"));
    return std::unique_ptr<Decoder>(new ReplaceDecoder(std::move(pattern), std::move(content)));
  }
  if (type == "Metaspace") {
    HEXMOE_ASSIGN_OR_RETURN(MetaspaceOptions options, parseMetaspace(j, path, reader));
    return std::unique_ptr<Decoder>(new MetaspaceDecoder(std::move(options)));
  }
  return reader.error(path, "unsupported type \"" + type + "\"");
}

}  // namespace hexmoe::tokenizer
