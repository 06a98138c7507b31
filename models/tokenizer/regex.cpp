// Patterns through PCRE2 (8-bit, UTF + UCP, JIT where available).
#include "models/tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cctype>
#include <memory>

#include "models/tokenizer/unicode.h"

namespace hexmoe::tokenizer {
namespace {

/// Backtracking budget per match: far above what the patterns of real
/// tokenizers need on any input, low enough that a pathological pattern in
/// an untrusted file fails an encode instead of hanging it.
constexpr uint32_t kMatchLimit = 10'000'000;

std::string pcre2Message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof(buffer));
  return reinterpret_cast<const char*>(buffer);
}

/// Oniguruma's syntax (what the tokenizers library compiles) where PCRE2's
/// differs: `\uHHHH` is written `\x{HHHH}` there. An escaped backslash stays
/// as it is, so `\\u0041` remains a backslash and "u0041".
std::string toPcre2(const std::string& regex) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  out.reserve(regex.size());
  for (size_t i = 0; i < regex.size(); ++i) {
    if (regex[i] != '\\' || i + 1 >= regex.size()) {
      out += regex[i];
      continue;
    }
    if (regex[i + 1] == 'u' && i + 5 < regex.size() && hex(regex[i + 2]) && hex(regex[i + 3]) && hex(regex[i + 4]) &&
        hex(regex[i + 5])) {
      out += "\\x{" + regex.substr(i + 2, 4) + "}";
      i += 5;
      continue;
    }
    out += regex[i];
    out += regex[++i];
  }
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<Pattern>> Pattern::parse(const json& obj, const std::string& path, const char* key,
                                                  const JsonReader& reader) {
  auto it = obj.find(key);
  const std::string where = childPath(path, key);
  if (it == obj.end()) return reader.error(path, std::string("no \"") + key + "\"");
  if (!it->is_object() || it->size() != 1)
    return reader.error(where, "expected {\"String\": ...} or {\"Regex\": ...}, found " + JsonReader::describe(*it));
  const std::string kind = it->begin().key();
  const json& value = it->begin().value();
  if (kind != "String" && kind != "Regex")
    return reader.error(where, "unsupported pattern kind \"" + kind + "\" (expected \"String\" or \"Regex\")");
  if (!value.is_string())
    return reader.error(childPath(where, kind), "expected a string, found " + JsonReader::describe(value));
  if (kind == "String") {
    std::unique_ptr<Pattern> p(new Pattern());
    p->text_ = value.get<std::string>();
    return p;
  }
  auto compiled = regex(value.get<std::string>());
  if (!compiled.ok()) return reader.error(childPath(where, kind), compiled.status().message());
  return std::move(compiled).value();
}

StatusOr<std::unique_ptr<Pattern>> Pattern::regex(const std::string& source) {
  const std::string regex = toPcre2(source);
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* compiled =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(),
                    PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE | PCRE2_NEVER_BACKSLASH_C, &code, &offset, nullptr);
  if (!compiled)
    return invalidArgument("bad regex at offset " + std::to_string(offset) + ": " + pcre2Message(code) + " in /" +
                           source + "/");
  // Without JIT support pcre2_jit_compile fails and matching interprets.
  (void)pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
  std::unique_ptr<Pattern> p(new Pattern());
  p->literal_ = false;
  p->text_ = source;
  p->code_ = compiled;
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  if (!context) return resourceExhausted("out of memory for a regex match context");
  pcre2_set_match_limit(context, kMatchLimit);
  p->context_ = context;
  return p;
}

Pattern::~Pattern() {
  if (code_) pcre2_code_free(static_cast<pcre2_code*>(code_));
  if (context_) pcre2_match_context_free(static_cast<pcre2_match_context*>(context_));
}

Status Pattern::findAll(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  if (literal_) {
    if (text_.empty()) return okStatus();
    for (size_t at = text.find(text_); at != std::string_view::npos; at = text.find(text_, at + text_.size()))
      out.emplace_back(at, at + text_.size());
    return okStatus();
  }
  auto* code = static_cast<pcre2_code*>(code_);
  auto* mc = static_cast<pcre2_match_context*>(context_);
  // Only the whole match is read, so one ovector pair serves every pattern;
  // one per thread keeps encode thread-safe without an allocation per piece.
  thread_local std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> data(
      pcre2_match_data_create(1, nullptr), pcre2_match_data_free);
  pcre2_match_data* md = data.get();
  if (!md) return resourceExhausted("out of memory for a regex match");
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  bool haveLast = false;
  size_t lastEnd = 0;
  Status status;
  while (start <= text.size()) {
    int rc = pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md, mc);
    // The JIT's fixed stack can run out on long runs; the interpreter, on
    // the heap, then takes over.
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
      rc = pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, mc);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      status = resourceExhausted("regex /" + text_ + "/ gave up on a " + std::to_string(text.size()) +
                                 "-byte piece: " + pcre2Message(rc));
      break;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t b = ov[0], e = ov[1];
    if (b > e || e > text.size()) break;  // \K tricks; never from these files
    if (b == e && haveLast && lastEnd == e) {
      if (start >= text.size()) break;
      start += utf8Length(static_cast<uint8_t>(text[start]));
      continue;
    }
    out.emplace_back(b, e);
    haveLast = true;
    lastEnd = e;
    start = e;
  }
  return status;
}

}  // namespace hexmoe::tokenizer
