// Pre-tokenizers, each as the tokenizers library splits a piece.
#include "models/tokenizer/pre_tokenizers.h"

#include <algorithm>
#include <utility>

#include "models/tokenizer/metaspace.h"
#include "models/tokenizer/regex.h"
#include "models/tokenizer/unicode.h"

namespace hexmoe::tokenizer {
namespace {

/// GPT-2's pattern, which ByteLevel splits with when use_regex is set.
constexpr char kGpt2Pattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

/// A byte range of a piece and whether the pattern matched it.
struct Span {
  size_t begin, end;
  bool match;
};

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

/// The matches of `ranges` and the gaps between them, covering `size` bytes
/// (one empty non-match for an empty piece), as Pattern::find_matches.
std::vector<Span> spansOf(const std::vector<std::pair<size_t, size_t>>& ranges, size_t size, bool invert) {
  std::vector<Span> spans;
  if (size == 0) return {{0, 0, invert}};
  size_t prev = 0;
  for (const auto& [b, e] : ranges) {
    if (prev != b) spans.push_back({prev, b, invert});
    spans.push_back({b, e, !invert});
    prev = e;
  }
  if (prev != size) spans.push_back({prev, size, invert});
  return spans;
}

/// NormalizedString::split: the ranges to keep, merged as `behavior` says.
std::vector<std::pair<size_t, size_t>> applyBehavior(const std::vector<Span>& spans, Behavior behavior) {
  std::vector<std::pair<size_t, size_t>> keep;
  bool previousMatch = false;
  switch (behavior) {
    case Behavior::kIsolated:
      for (const Span& s : spans) keep.emplace_back(s.begin, s.end);
      break;
    case Behavior::kRemoved:
      for (const Span& s : spans)
        if (!s.match) keep.emplace_back(s.begin, s.end);
      break;
    case Behavior::kContiguous:
      for (const Span& s : spans) {
        if (s.match == previousMatch && !keep.empty()) {
          keep.back().second = s.end;
        } else {
          keep.emplace_back(s.begin, s.end);
        }
        previousMatch = s.match;
      }
      break;
    case Behavior::kMergedWithPrevious:
      for (const Span& s : spans) {
        if (s.match && !previousMatch && !keep.empty()) {
          keep.back().second = s.end;
        } else {
          keep.emplace_back(s.begin, s.end);
        }
        previousMatch = s.match;
      }
      break;
    case Behavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->match && !previousMatch && !keep.empty()) {
          keep.back().first = it->begin;
        } else {
          keep.emplace_back(it->begin, it->end);
        }
        previousMatch = it->match;
      }
      std::reverse(keep.begin(), keep.end());
      break;
  }
  return keep;
}

/// Replaces each text piece by its sub-pieces: `cut` may rewrite the piece
/// and returns the byte ranges of the sub-pieces; empty ones are dropped.
template <typename Cut>
Status splitPieces(std::vector<Piece>& pieces, Cut cut) {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  std::vector<std::pair<size_t, size_t>> ranges;
  for (Piece& p : pieces) {
    if (p.addedId >= 0) {
      out.push_back(std::move(p));
      continue;
    }
    ranges.clear();
    HEXMOE_RETURN_IF_ERROR(cut(p, ranges));
    for (const auto& [b, e] : ranges)
      if (e > b) out.push_back(Piece{p.text.substr(b, e - b), p.atStart && b == 0, -1});
  }
  pieces = std::move(out);
  return okStatus();
}

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  Status preTokenize(std::vector<Piece>& pieces) const override {
    for (const auto& p : parts_) HEXMOE_RETURN_IF_ERROR(p->preTokenize(pieces));
    return okStatus();
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(std::unique_ptr<Pattern> pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  Status preTokenize(std::vector<Piece>& pieces) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    return splitPieces(pieces, [&](Piece& p, std::vector<std::pair<size_t, size_t>>& ranges) -> Status {
      matches.clear();
      HEXMOE_RETURN_IF_ERROR(pattern_->findAll(p.text, matches));
      ranges = applyBehavior(spansOf(matches, p.text.size(), invert_), behavior_);
      return okStatus();
    });
  }

 private:
  std::unique_ptr<Pattern> pattern_;
  Behavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool addPrefixSpace, std::unique_ptr<Pattern> regex)
      : addPrefixSpace_(addPrefixSpace), regex_(std::move(regex)) {}
  Status preTokenize(std::vector<Piece>& pieces) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    HEXMOE_RETURN_IF_ERROR(splitPieces(pieces, [&](Piece& p, std::vector<std::pair<size_t, size_t>>& ranges) -> Status {
      // Every piece, not only the first, gets the space.
      if (addPrefixSpace_ && (p.text.empty() || p.text[0] != ' ')) p.text.insert(0, " ");
      if (!regex_) {
        ranges.emplace_back(0, p.text.size());
        return okStatus();
      }
      matches.clear();
      HEXMOE_RETURN_IF_ERROR(regex_->findAll(p.text, matches));
      ranges = applyBehavior(spansOf(matches, p.text.size(), false), Behavior::kIsolated);
      return okStatus();
    }));
    const auto& alphabet = byteLevelAlphabet();
    for (Piece& p : pieces) {
      if (p.addedId >= 0) continue;
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      for (unsigned char c : p.text) mapped += alphabet[c];
      p.text = std::move(mapped);
    }
    return okStatus();
  }

 private:
  bool addPrefixSpace_;
  std::unique_ptr<Pattern> regex_;  // null without use_regex
};

/// Every numeric character on its own, or runs of them together.
class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  Status preTokenize(std::vector<Piece>& pieces) const override {
    return splitPieces(pieces, [&](Piece& p, std::vector<std::pair<size_t, size_t>>& ranges) -> Status {
      std::vector<Span> spans;
      if (p.text.empty()) spans.push_back({0, 0, false});
      size_t last = 0;
      for (size_t i = 0; i < p.text.size();) {
        const size_t b = i;
        if (isNumeric(nextCodePoint(p.text, i))) {
          if (last < b) spans.push_back({last, b, false});
          spans.push_back({b, i, true});
          last = i;
        }
      }
      if (last < p.text.size()) spans.push_back({last, p.text.size(), false});
      ranges = applyBehavior(spans, individual_ ? Behavior::kIsolated : Behavior::kContiguous);
      return okStatus();
    });
  }

 private:
  bool individual_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  explicit MetaspacePreTokenizer(MetaspaceOptions options) : o_(std::move(options)) {}
  Status preTokenize(std::vector<Piece>& pieces) const override {
    return splitPieces(pieces, [&](Piece& p, std::vector<std::pair<size_t, size_t>>& ranges) -> Status {
      std::string text;
      text.reserve(p.text.size() + o_.replacement.size());
      for (char c : p.text) {
        if (c == ' ') {
          text += o_.replacement;
        } else {
          text += c;
        }
      }
      const bool startsWith = text.compare(0, o_.replacement.size(), o_.replacement) == 0;
      if (!text.empty() && !startsWith &&
          (o_.prepend == PrependScheme::kAlways || (o_.prepend == PrependScheme::kFirst && p.atStart)))
        text.insert(0, o_.replacement);
      p.text = std::move(text);
      if (!o_.split) {
        ranges.emplace_back(0, p.text.size());
        return okStatus();
      }
      std::vector<Span> spans;
      size_t last = 0;
      for (size_t at = p.text.find(o_.replacement); at != std::string::npos;
           at = p.text.find(o_.replacement, at + o_.replacement.size())) {
        if (last < at) spans.push_back({last, at, false});
        spans.push_back({at, at + o_.replacement.size(), true});
        last = at + o_.replacement.size();
      }
      if (last < p.text.size()) spans.push_back({last, p.text.size(), false});
      ranges = applyBehavior(spans, Behavior::kMergedWithNext);
      return okStatus();
    });
  }

 private:
  MetaspaceOptions o_;
};

StatusOr<Behavior> parseBehavior(const json& j, const std::string& path, const JsonReader& reader) {
  HEXMOE_ASSIGN_OR_RETURN(std::string name, reader.string(j, path, "behavior"));
  if (name == "Removed") return Behavior::kRemoved;
  if (name == "Isolated") return Behavior::kIsolated;
  if (name == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return Behavior::kMergedWithNext;
  if (name == "Contiguous") return Behavior::kContiguous;
  return reader.error(childPath(path, "behavior"),
                      "unknown behavior \"" + name +
                          "\" (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

}  // namespace

StatusOr<std::unique_ptr<PreTokenizer>> parsePreTokenizer(const json& j, const std::string& path,
                                                          const JsonReader& reader, int depth) {
  if (j.is_null()) return std::unique_ptr<PreTokenizer>();
  if (depth > kMaxComponentDepth) return reader.error(path, "Sequences nested too deeply");
  HEXMOE_ASSIGN_OR_RETURN(std::string type, reader.type(j, path));
  if (type == "Sequence") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"pretokenizers"}));
    HEXMOE_ASSIGN_OR_RETURN(const json* list, reader.array(j, path, "pretokenizers"));
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string where = indexPath(childPath(path, "pretokenizers"), i);
      if ((*list)[i].is_null()) return reader.error(where, "expected a pre-tokenizer, found null");
      HEXMOE_ASSIGN_OR_RETURN(auto part, parsePreTokenizer((*list)[i], where, reader, depth + 1));
      parts.push_back(std::move(part));
    }
    return std::unique_ptr<PreTokenizer>(new SequencePreTokenizer(std::move(parts)));
  }
  if (type == "Split") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"pattern", "behavior", "invert"}));
    HEXMOE_ASSIGN_OR_RETURN(auto pattern, Pattern::parse(j, path, "pattern", reader));
    HEXMOE_ASSIGN_OR_RETURN(Behavior behavior, parseBehavior(j, path, reader));
    HEXMOE_ASSIGN_OR_RETURN(bool invert, reader.boolean(j, path, "invert", false));
    return std::unique_ptr<PreTokenizer>(new SplitPreTokenizer(std::move(pattern), behavior, invert));
  }
  if (type == "ByteLevel") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"add_prefix_space", "trim_offsets", "use_regex"}));
    HEXMOE_ASSIGN_OR_RETURN(bool addPrefixSpace, reader.boolean(j, path, "add_prefix_space", true));
    // trim_offsets changes offsets only, which this reader does not report.
    HEXMOE_RETURN_IF_ERROR(reader.boolean(j, path, "trim_offsets", true).status());
    HEXMOE_ASSIGN_OR_RETURN(bool useRegex, reader.boolean(j, path, "use_regex", true));
    std::unique_ptr<Pattern> regex;
    if (useRegex) {
      HEXMOE_ASSIGN_OR_RETURN(regex, Pattern::regex(kGpt2Pattern));
    }
    return std::unique_ptr<PreTokenizer>(new ByteLevelPreTokenizer(addPrefixSpace, std::move(regex)));
  }
  if (type == "Digits") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"individual_digits"}));
    HEXMOE_ASSIGN_OR_RETURN(bool individual, reader.boolean(j, path, "individual_digits", false));
    return std::unique_ptr<PreTokenizer>(new DigitsPreTokenizer(individual));
  }
  if (type == "Metaspace") {
    HEXMOE_ASSIGN_OR_RETURN(MetaspaceOptions options, parseMetaspace(j, path, reader));
    return std::unique_ptr<PreTokenizer>(new MetaspacePreTokenizer(std::move(options)));
  }
  return reader.error(path, "unsupported type \"" + type + "\"");
}

}  // namespace hexmoe::tokenizer
