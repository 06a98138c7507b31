// Metaspace options.
#include "models/tokenizer/metaspace.h"

#include "models/tokenizer/unicode.h"

namespace hexmoe::tokenizer {

StatusOr<MetaspaceOptions> parseMetaspace(const json& j, const std::string& path, const JsonReader& reader) {
  HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"}));
  MetaspaceOptions o;
  HEXMOE_ASSIGN_OR_RETURN(o.replacement, reader.string(j, path, "replacement"));
  size_t i = 0;
  if (o.replacement.empty() || (nextCodePoint(o.replacement, i), i != o.replacement.size()))
    return reader.error(childPath(path, "replacement"), json(o.replacement).dump() + " is not one character");
  HEXMOE_ASSIGN_OR_RETURN(auto scheme, reader.optionalString(j, path, "prepend_scheme"));
  if (scheme) {
    if (*scheme == "always") {
      o.prepend = PrependScheme::kAlways;
    } else if (*scheme == "first") {
      o.prepend = PrependScheme::kFirst;
    } else if (*scheme == "never") {
      o.prepend = PrependScheme::kNever;
    } else {
      return reader.error(childPath(path, "prepend_scheme"),
                          "unknown scheme \"" + *scheme + "\" (expected always, first or never)");
    }
  }
  HEXMOE_ASSIGN_OR_RETURN(bool addPrefixSpace, reader.boolean(j, path, "add_prefix_space", true));
  if (!addPrefixSpace) {
    if (scheme && o.prepend != PrependScheme::kNever)
      return reader.error(path, "add_prefix_space false contradicts prepend_scheme \"" + *scheme + "\"");
    o.prepend = PrependScheme::kNever;
  }
  HEXMOE_ASSIGN_OR_RETURN(auto strRep, reader.optionalString(j, path, "str_rep"));
  if (strRep && *strRep != o.replacement)
    return reader.error(childPath(path, "str_rep"), json(*strRep).dump() + " differs from the replacement");
  HEXMOE_ASSIGN_OR_RETURN(o.split, reader.boolean(j, path, "split", true));
  return o;
}

}  // namespace hexmoe::tokenizer
