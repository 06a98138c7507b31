// Signed artifacts and the trust policy: keys, signing, and every way an
// artifact can fail the policy, checked before any of its code is loaded.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "runtime/schema/artifact_file.h"
#include "runtime/schema/artifact_signature.h"
#include "tests/unit/runtime/runtime_test_util.h"

namespace hexmoe::test {
namespace {

using schema::PublicKey;
using schema::SecretKey;

SecretKey newKey() {
  StatusOr<SecretKey> key = schema::generateKey();
  EXPECT_TRUE(key.ok()) << key.status().message();
  return *key;
}

std::vector<uint8_t> sign(const std::vector<uint8_t>& bytes, const SecretKey& key) {
  StatusOr<std::vector<uint8_t>> out = schema::signArtifact(bytes.data(), bytes.size(), key, "test.hxm");
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? *out : std::vector<uint8_t>{};
}

/// A scratch directory, removed with its files.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/hexmoe-signature-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void writeText(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

TEST(Keys, FormatAndParseRoundTrip) {
  const SecretKey key = newKey();
  const PublicKey pub = key.publicKey();
  StatusOr<PublicKey> parsed = schema::parsePublicKey(schema::formatPublicKey(pub), "k.pub");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(*parsed == pub);
  // The 64 hex digits alone, either case, are a key too.
  StatusOr<PublicKey> bare = schema::parsePublicKey(pub.hex(), "arg");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(*bare == pub);
  std::string upper = pub.hex();
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(schema::parsePublicKey(upper, "arg").ok());
  StatusOr<SecretKey> secret = schema::parseSecretKey(schema::formatSecretKey(key), "k");
  ASSERT_TRUE(secret.ok()) << secret.status().message();
  EXPECT_TRUE(secret->bytes == key.bytes);
  EXPECT_EQ(pub.id(), "ed25519:" + pub.hex().substr(0, 8));
}

TEST(Keys, MalformedKeysAreRefusedByName) {
  const SecretKey key = newKey();
  const std::string hex = key.publicKey().hex();
  for (const std::string& text : {std::string(""), hex.substr(1), hex + "0", "zz" + hex.substr(2),
                                  "hexmoe-ed25519-secret-key " + hex, std::string("ssh-ed25519 AAAA")}) {
    StatusOr<PublicKey> r = schema::parsePublicKey(text, "k.pub");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_TRUE(contains(r.status().message(), "k.pub: not a public key")) << r.status().message();
  }
  // A secret key is never taken bare, and its public half must be its seed's.
  std::string line = schema::formatSecretKey(key);
  EXPECT_EQ(schema::parseSecretKey(line.substr(line.find(' ') + 1), "k").status().code(),
            StatusCode::kInvalidArgument);
  line[line.size() - 2] = line[line.size() - 2] == '0' ? '1' : '0';
  StatusOr<SecretKey> damaged = schema::parseSecretKey(line, "k");
  EXPECT_EQ(damaged.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(damaged.status().message(), "k: damaged secret key")) << damaged.status().message();
}

TEST(Keys, KeyPairFilesAreWrittenOnceAndTheSecretKeyStaysPrivate) {
  TempDir dir;
  const std::string path = dir.file("release.key");
  StatusOr<PublicKey> pub = schema::writeKeyPair(path);
  ASSERT_TRUE(pub.ok()) << pub.status().message();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  StatusOr<SecretKey> secret = schema::loadSecretKey(path);
  ASSERT_TRUE(secret.ok()) << secret.status().message();
  EXPECT_TRUE(secret->publicKey() == *pub);
  StatusOr<PublicKey> loaded = schema::loadPublicKey(path + ".pub");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(*loaded == *pub);

  // Never overwritten.
  StatusOr<PublicKey> again = schema::writeKeyPair(path);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(contains(again.status().message(), ": exists; not overwriting a key")) << again.status().message();

  // A secret key others may read is refused, as ssh refuses one.
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  StatusOr<SecretKey> open = schema::loadSecretKey(path);
  EXPECT_EQ(open.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(contains(open.status().message(), "may be read by others (mode 644); chmod 600"))
      << open.status().message();

  // Neither a directory nor a large file is read as a key.
  EXPECT_EQ(schema::loadPublicKey(dir.file("")).status().code(), StatusCode::kInvalidArgument);
  writeText(dir.file("big.pub"), std::string(100000, 'a'), 0644);
  StatusOr<PublicKey> big = schema::loadPublicKey(dir.file("big.pub"));
  EXPECT_TRUE(contains(big.status().message(), "larger than 4096 bytes")) << big.status().message();
  EXPECT_EQ(schema::loadPublicKey(dir.file("missing.pub")).status().code(), StatusCode::kNotFound);
}

TEST(Signatures, SigningAppendsOneBlockAndReplacesAnEarlierOne) {
  const std::vector<uint8_t> bytes = buildTestArtifact();
  const SecretKey a = newKey(), b = newKey();
  const std::vector<uint8_t> byA = sign(bytes, a);
  ASSERT_EQ(byA.size(), bytes.size() + schema::kSignatureBlockSize);
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), byA.begin()));
  EXPECT_EQ(schema::unsignedSize(byA.data(), byA.size()), bytes.size());
  const std::vector<uint8_t> byB = sign(byA, b);
  ASSERT_EQ(byB.size(), byA.size());
  StatusOr<std::optional<PublicKey>> signer = schema::checkSignature(byB.data(), byB.size(), "x");
  ASSERT_TRUE(signer.ok() && signer->has_value());
  EXPECT_TRUE(**signer == b.publicKey());
  // What is not an artifact of its declared size is not signed.
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 1);
  EXPECT_EQ(schema::signArtifact(cut.data(), cut.size(), a, "cut.hxm").status().code(),
            StatusCode::kInvalidArgument);
}

class TrustTest : public ::testing::Test {
 protected:
  Result loadUnder(const std::string& trusted, const std::vector<uint8_t>& bytes) {
    RuntimeConfig config;
    config.trustedKeys = trusted.c_str();
    RuntimePtr rt = makeRuntime(config);
    if (!rt) return {HEXMOE_STATUS_INTERNAL, "no runtime"};
    return loadModule(rt.get(), bytes, module_);
  }

  const SecretKey key_ = newKey();
  const SecretKey other_ = newKey();
  const std::string trusted_ = key_.publicKey().hex();
  ModulePtr module_;
};

TEST_F(TrustTest, SignedByATrustedKeyLoadsAndRuns) {
  const std::vector<uint8_t> bytes = sign(buildTestArtifact(), key_);
  Result r = loadUnder(trusted_, bytes);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(std::string(hexmoe_module_signer(module_.get())), trusted_);
  EXPECT_EQ(variantTag(module_.get()) > 0, true);
  // One of several trusted keys is enough.
  r = loadUnder(other_.publicKey().hex() + "," + trusted_, bytes);
  EXPECT_TRUE(r.ok()) << r.message;
  // With no policy a signed artifact loads too, its signature checked.
  r = loadUnder("", bytes);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(std::string(hexmoe_module_signer(module_.get())), trusted_);
}

TEST_F(TrustTest, UnsignedIsRefusedBeforeAnythingIsRead) {
  // Executables that are not even ELF files: the policy refuses the artifact
  // before the loader ever looks at them.
  TestArtifactOptions options;
  options.variants = {{"generic", {"sse2"}, 0}};
  Result r = loadUnder(trusted_, buildTestArtifact(options));
  EXPECT_EQ(r.code, HEXMOE_STATUS_PERMISSION_DENIED);
  EXPECT_EQ(r.message, "test.hxm: not signed, and this runtime loads only artifacts signed by " +
                           key_.publicKey().id() + " (hexmoe-compile --sign=KEY)");
  // Without a policy the same artifact gets as far as its code.
  r = loadUnder("", buildTestArtifact(options));
  EXPECT_NE(r.code, HEXMOE_STATUS_PERMISSION_DENIED);
  EXPECT_FALSE(r.ok());
  // Garbage is "not signed" too, not parsed.
  r = loadUnder(trusted_, std::vector<uint8_t>(100, 0xab));
  EXPECT_EQ(r.code, HEXMOE_STATUS_PERMISSION_DENIED);
}

TEST_F(TrustTest, SignedByAnotherKeyIsRefused) {
  Result r = loadUnder(trusted_, sign(buildTestArtifact(), other_));
  EXPECT_EQ(r.code, HEXMOE_STATUS_PERMISSION_DENIED);
  EXPECT_EQ(r.message, "test.hxm: signed by " + other_.publicKey().id() +
                           ", which this runtime does not trust (it trusts " + key_.publicKey().id() + ")");
}

TEST_F(TrustTest, AnEditAfterSigningIsRefusedUnderAnyPolicy) {
  std::vector<uint8_t> bytes = sign(buildTestArtifact(), key_);
  const size_t body = bytes.size() - schema::kSignatureBlockSize;
  // One payload byte changed and the container checksum recomputed, as an
  // attacker would: only the signature tells.
  std::vector<uint8_t> edited = bytes;
  edited[body / 2] ^= 0x20;
  const uint64_t sum = schema::fnv1a64(edited.data() + schema::kHeaderSize, body - schema::kHeaderSize);
  for (int i = 0; i < 8; ++i) edited[24 + i] = static_cast<uint8_t>(sum >> (8 * i));
  const std::string expected =
      "test.hxm: its signature by " + key_.publicKey().id() + " does not match its contents (changed after it was signed)";
  for (const std::string& policy : {trusted_, std::string()}) {
    Result r = loadUnder(policy, edited);
    EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS) << policy;
    EXPECT_EQ(r.message, expected);
  }
  // The signature itself changed.
  std::vector<uint8_t> badSignature = bytes;
  badSignature[bytes.size() - 1] ^= 1;
  EXPECT_EQ(loadUnder(trusted_, badSignature).code, HEXMOE_STATUS_DATA_LOSS);
  // The signer's key swapped for a trusted one: the signature is not theirs.
  std::vector<uint8_t> swapped = sign(buildTestArtifact(), other_);
  const PublicKey trustedKey = key_.publicKey();
  std::copy(trustedKey.bytes.begin(), trustedKey.bytes.end(), swapped.begin() + static_cast<std::ptrdiff_t>(body) + 8);
  EXPECT_EQ(loadUnder(trusted_, swapped).code, HEXMOE_STATUS_DATA_LOSS);
  // The block cut off: unsigned, so refused by the policy and loaded without one.
  std::vector<uint8_t> stripped(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(body));
  EXPECT_EQ(loadUnder(trusted_, stripped).code, HEXMOE_STATUS_PERMISSION_DENIED);
  EXPECT_TRUE(loadUnder("", stripped).ok());
  // Part of a block: padding, as any other trailing bytes are.
  std::vector<uint8_t> partial(bytes.begin(), bytes.end() - 1);
  Result r = loadUnder("", partial);
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(r.message, "(truncated or padded)")) << r.message;
}

TEST_F(TrustTest, MetadataEditedAndReSignedByAnotherKeyIsRefused) {
  // The edit that only a signature can catch (identically typed bindings
  // swapped is consistent with every ABI record) signed by whoever made it.
  TestArtifactOptions options;
  options.permutedBindings = true;
  Result r = loadUnder(trusted_, sign(buildTestArtifact(options), other_));
  EXPECT_EQ(r.code, HEXMOE_STATUS_PERMISSION_DENIED);
}

TEST_F(TrustTest, SignedArtifactsStreamFromPipes) {
  const std::vector<uint8_t> bytes = sign(buildTestArtifact(), key_);
  RuntimeConfig config;
  config.trustedKeys = trusted_.c_str();
  RuntimePtr rt = makeRuntime(config);
  Result r = loadFromPipe(rt.get(), bytes, module_);
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TrustPolicy, BadKeysAreRefusedWhenTheRuntimeIsCreated) {
  TempDir dir;
  writeText(dir.file("k.pub"), "not a key\n", 0644);
  const std::string bad = dir.file("k.pub");
  const std::string missing = dir.file("missing.pub");
  struct Case {
    std::string keys;
    hexmoe_status_code_t code;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {bad, HEXMOE_STATUS_INVALID_ARGUMENT, bad + ": not a public key"},
           {missing, HEXMOE_STATUS_NOT_FOUND, missing},
           {"abc,,def", HEXMOE_STATUS_INVALID_ARGUMENT, "trusted keys 'abc,,def': an empty entry"},
       }) {
    hexmoe_runtime_options_t options;
    hexmoe_runtime_options_init(&options);
    options.trusted_keys = c.keys.c_str();
    hexmoe_runtime_t* rt = nullptr;
    Result r = take(hexmoe_runtime_create(&options, &rt));
    EXPECT_EQ(r.code, c.code) << c.keys << ": " << r.message;
    EXPECT_TRUE(contains(r.message, c.message)) << r.message;
    EXPECT_EQ(rt, nullptr);
  }
}

}  // namespace
}  // namespace hexmoe::test
