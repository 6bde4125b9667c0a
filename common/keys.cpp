// CURVE key pairs and key files: generation, Z85 text files with strict permissions on the secret
// half, and the key folder that `segsweep keygen` writes.
#include "common/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <zmq.h>

#include "common/error.h"
#include "common/zmq_check.h"

namespace segsweep {
namespace {

constexpr mode_t kSecretFileMode = 0600;  // owner read/write only
constexpr mode_t kPublicFileMode = 0644;
constexpr mode_t kKeyDirMode = 0700;      // the key folder is the user's alone
constexpr const char* kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

void write_file(const std::string& path, const std::string& text, mode_t mode, bool overwrite) {
    int flags = O_WRONLY | O_CREAT | (overwrite ? O_TRUNC : O_EXCL);
    int fd = ::open(path.c_str(), flags, mode);
    if (fd < 0) {
        if (errno == EEXIST) throw Error(path + ": already exists (use --force to replace it)");
        throw Error(path + ": cannot create: " + std::strerror(errno));
    }
    // open() applies the umask and keeps the mode of an existing file: set it exactly.
    if (::fchmod(fd, mode) != 0) {
        int err = errno;
        ::close(fd);
        throw Error(path + ": cannot set mode: " + std::strerror(err));
    }
    size_t written = 0;
    while (written < text.size()) {
        ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            throw Error(path + ": write failed: " + std::strerror(err));
        }
        written += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) throw Error(path + ": close failed: " + std::strerror(errno));
}

// Parses "name = value" lines; a line whose first non-blank character is '#' is a comment ('#'
// and '=' are Z85 characters, so nothing is stripped inside a line).
std::string read_key_line(const std::string& path, const std::string& text, const std::string& name) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        auto trim = [](std::string s) {
            s.erase(0, s.find_first_not_of(" \t\r"));
            s.erase(s.find_last_not_of(" \t\r") + 1);
            return s;
        };
        if (trim(line.substr(0, eq)) != name) continue;
        std::string value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        if (!is_z85_key(value)) throw Error(path + ": " + name + " is not a 40-character Z85 key");
        return value;
    }
    throw Error(path + ": no '" + name + " = ...' line");
}

std::string read_small_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot read (" + std::strerror(errno) + ")");
    std::string text;
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<size_t>(in.gcount()));
        if (text.size() > 64 * 1024) throw Error(path + ": too large for a key file");
    }
    return text;
}

void make_dir(const std::string& dir, mode_t mode) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(dir + ": cannot create folder: " + ec.message());
    if (::chmod(dir.c_str(), mode) != 0) throw Error(dir + ": cannot set mode: " + std::strerror(errno));
}

}  // namespace

CurveKeyPair generate_curve_key_pair() {
    if (!zmq_has("curve")) throw Error("this libzmq has no CURVE support (it needs libsodium)");
    char public_key[kZ85KeyChars + 1];
    char secret_key[kZ85KeyChars + 1];
    ZMQ_CHECK(zmq_curve_keypair(public_key, secret_key));
    return {public_key, secret_key};
}

bool is_z85_key(const std::string& key) {
    if (key.size() != kZ85KeyChars) return false;
    for (char ch : key)
        if (std::strchr(kZ85Alphabet, ch) == nullptr || ch == '\0') return false;
    return true;
}

void write_public_key(const std::string& path, const std::string& public_key, bool overwrite) {
    if (!is_z85_key(public_key)) throw Error(path + ": refusing to write a malformed public key");
    write_file(path, "# segsweep CURVE public key\npublic-key = " + public_key + "\n", kPublicFileMode, overwrite);
}

void write_key_pair(const std::string& dir, const std::string& name, const CurveKeyPair& pair, bool overwrite) {
    if (!is_z85_key(pair.public_key) || !is_z85_key(pair.secret_key))
        throw Error(dir + "/" + name + ": refusing to write a malformed key pair");
    write_file(dir + "/" + name + ".secret",
               "# segsweep CURVE secret key '" + name + "': keep it private (mode 0600)\npublic-key = " +
                   pair.public_key + "\nsecret-key = " + pair.secret_key + "\n",
               kSecretFileMode, overwrite);
    write_public_key(dir + "/" + name + ".pub", pair.public_key, overwrite);
}

std::string read_public_key(const std::string& path) {
    return read_key_line(path, read_small_file(path), "public-key");
}

CurveKeyPair read_secret_key(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw Error(path + ": cannot read secret key (" + std::strerror(errno) + ")");
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        throw Error(path + ": secret key file is readable by group or others (mode " + mode +
                    "); run: chmod 600 " + path);
    }
    std::string text = read_small_file(path);
    return {read_key_line(path, text, "public-key"), read_key_line(path, text, "secret-key")};
}

std::vector<std::string> read_public_keys_in(const std::string& dir) {
    std::vector<std::string> paths;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.path().extension() == ".pub") paths.push_back(entry.path().string());
    }
    if (ec && ec != std::errc::no_such_file_or_directory) throw Error(dir + ": cannot list keys: " + ec.message());
    std::sort(paths.begin(), paths.end());
    std::vector<std::string> keys;
    for (const auto& path : paths) keys.push_back(read_public_key(path));
    return keys;
}

std::string segsweep_home() {
    const char* home = std::getenv("SEGSWEEP_HOME");
    if (home != nullptr && *home != '\0') return home;
    const char* user_home = std::getenv("HOME");
    return std::string(user_home != nullptr ? user_home : ".") + "/.segsweep";
}

std::string resolve_key_dir(const std::string& flag_value) {
    if (!flag_value.empty()) return flag_value;
    const char* env = std::getenv("SEGSWEEP_KEYS");
    if (env != nullptr && *env != '\0') return env;
    return segsweep_home() + "/keys";
}

std::vector<std::string> keygen_folder(const std::string& dir, const std::string& client_name, bool overwrite) {
    if (client_name.empty() || client_name == "coordinator" ||
        client_name.find_first_of("/\\. ") != std::string::npos)
        throw Error("keygen: client name '" + client_name + "' must be a plain word other than 'coordinator'");
    KeyFolder folder{dir};
    make_dir(dir, kKeyDirMode);
    make_dir(folder.authorized_dir(), kKeyDirMode);
    std::vector<std::string> written;
    if (overwrite || !std::filesystem::exists(folder.coordinator_secret())) {
        write_key_pair(dir, "coordinator", generate_curve_key_pair(), overwrite);
        written.push_back(folder.coordinator_secret());
        written.push_back(folder.coordinator_public());
    }
    CurveKeyPair client = generate_curve_key_pair();
    write_key_pair(dir, client_name, client, overwrite);
    written.push_back(folder.client_secret(client_name));
    written.push_back(folder.client_public(client_name));
    std::string authorized = folder.authorized_dir() + "/" + client_name + ".pub";
    write_public_key(authorized, client.public_key, overwrite);
    written.push_back(authorized);
    return written;
}

std::string keygen_hint(const std::string& dir) {
    return "make keys with: segsweep keygen --out " + dir +
           " (or pass --keys DIR / set SEGSWEEP_KEYS; --insecure only for ipc:// or loopback demos)";
}

}  // namespace segsweep
