// CURVE keys: generation, the keygen folder layout, strict permissions on secret files, refusal of
// malformed files, and where clients look for the coordinator's address and keys.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/coordinator_address.h"
#include "common/error.h"
#include "common/keys.h"

namespace segsweep {
namespace {

std::string fresh_dir(const std::string& name) {
    std::string dir = std::string(SEGSWEEP_TEST_TMP) + "/keys-" + name;
    std::filesystem::remove_all(dir);
    return dir;
}

std::string error_of(const std::function<void()>& body) {
    try {
        body();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(Keys, GeneratedPairsAreZ85AndDistinct) {
    CurveKeyPair a = generate_curve_key_pair();
    CurveKeyPair b = generate_curve_key_pair();
    EXPECT_TRUE(is_z85_key(a.public_key));
    EXPECT_TRUE(is_z85_key(a.secret_key));
    EXPECT_NE(a.public_key, b.public_key);
    EXPECT_NE(a.secret_key, a.public_key);
    EXPECT_FALSE(is_z85_key("short"));
    EXPECT_FALSE(is_z85_key(std::string(40, '"')));  // '"' is not in the Z85 alphabet
}

TEST(Keys, KeygenWritesTheLayoutWithSecretFilesPrivate) {
    std::string dir = fresh_dir("layout");
    auto written = keygen_folder(dir, "client", false);
    KeyFolder folder{dir};
    for (const auto& path : {folder.coordinator_secret(), folder.coordinator_public(), folder.client_secret(),
                             folder.client_public(), folder.authorized_dir() + "/client.pub"})
        EXPECT_TRUE(std::filesystem::exists(path)) << path;
    struct stat st {};
    ASSERT_EQ(stat(folder.client_secret().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    CurveKeyPair client = read_secret_key(folder.client_secret());
    EXPECT_EQ(read_public_key(folder.client_public()), client.public_key);
    auto allowed = read_public_keys_in(folder.authorized_dir());
    ASSERT_EQ(allowed.size(), 1u);
    EXPECT_EQ(allowed[0], client.public_key);

    // A second client: the coordinator pair is kept, the new key is authorized too.
    CurveKeyPair coordinator = read_secret_key(folder.coordinator_secret());
    keygen_folder(dir, "alice", false);
    EXPECT_EQ(read_secret_key(folder.coordinator_secret()).public_key, coordinator.public_key);
    EXPECT_EQ(read_public_keys_in(folder.authorized_dir()).size(), 2u);
    // Existing files are not overwritten without --force.
    EXPECT_NE(error_of([&] { keygen_folder(dir, "alice", false); }).find("already exists"), std::string::npos);
}

TEST(Keys, KeysWithHashAndEqualsSignsSurviveTheFileFormat) {
    // '#' and '=' are Z85 characters: the file format must not treat them as syntax.
    std::string dir = fresh_dir("symbols");
    std::filesystem::create_directories(dir);
    CurveKeyPair pair{"#=" + std::string(38, 'a'), std::string(39, 'b') + "#"};
    write_key_pair(dir, "odd", pair, false);
    CurveKeyPair back = read_secret_key(dir + "/odd.secret");
    EXPECT_EQ(back.public_key, pair.public_key);
    EXPECT_EQ(back.secret_key, pair.secret_key);
    EXPECT_EQ(read_public_key(dir + "/odd.pub"), pair.public_key);
}

TEST(Keys, ReadableSecretFileIsRefusedWithTheFix) {
    std::string dir = fresh_dir("mode");
    keygen_folder(dir, "client", false);
    KeyFolder folder{dir};
    ASSERT_EQ(chmod(folder.client_secret().c_str(), 0644), 0);
    std::string error = error_of([&] { read_secret_key(folder.client_secret()); });
    EXPECT_NE(error.find("readable by group or others"), std::string::npos) << error;
    EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
}

TEST(Keys, MalformedKeyFilesAreRefused) {
    std::string dir = fresh_dir("malformed");
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/bad.pub") << "public-key = not-a-key\n";
    EXPECT_NE(error_of([&] { read_public_key(dir + "/bad.pub"); }).find("Z85"), std::string::npos);
    std::ofstream(dir + "/empty.pub") << "# nothing\n";
    EXPECT_NE(error_of([&] { read_public_key(dir + "/empty.pub"); }).find("no 'public-key"), std::string::npos);
    EXPECT_NE(error_of([&] { read_public_key(dir + "/missing.pub"); }).find("cannot read"), std::string::npos);
    EXPECT_NE(error_of([&] { keygen_folder(dir, "../x", false); }).find("plain word"), std::string::npos);
}

TEST(Keys, KeyFolderAndAddressResolution) {
    EXPECT_EQ(resolve_key_dir("/explicit"), "/explicit");
    setenv("SEGSWEEP_KEYS", "/from-env", 1);
    EXPECT_EQ(resolve_key_dir(""), "/from-env");
    unsetenv("SEGSWEEP_KEYS");
    std::string home = fresh_dir("home");
    setenv("SEGSWEEP_HOME", home.c_str(), 1);
    EXPECT_EQ(resolve_key_dir(""), home + "/keys");

    EXPECT_EQ(resolve_coordinator_address("tcp://a:1"), "tcp://a:1");
    setenv("SEGSWEEP_COORDINATOR", "tcp://b:2", 1);
    EXPECT_EQ(resolve_coordinator_address(""), "tcp://b:2");
    unsetenv("SEGSWEEP_COORDINATOR");
    EXPECT_NE(error_of([] { resolve_coordinator_address(""); }).find("--coordinator"), std::string::npos);
    write_endpoint_file(default_endpoint_file(), "tcp://c:3");
    EXPECT_EQ(resolve_coordinator_address(""), "tcp://c:3");
    unsetenv("SEGSWEEP_HOME");

    EXPECT_EQ(connectable_address("tcp://127.0.0.1:5555"), "tcp://127.0.0.1:5555");
    EXPECT_EQ(connectable_address("ipc:///tmp/x"), "ipc:///tmp/x");
    EXPECT_EQ(connectable_address("tcp://0.0.0.0:5555").rfind("tcp://", 0), 0u);
    EXPECT_EQ(connectable_address("tcp://0.0.0.0:5555").find("0.0.0.0"), std::string::npos);
}

}  // namespace
}  // namespace segsweep
